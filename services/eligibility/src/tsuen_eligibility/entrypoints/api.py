"""Eligibility's HTTP routes, one module per area; each route parses, authorises and calls a use
case (the shared error handler answers its refusals with 4xx).

- applying.py        public: age window, municipalities, application link, the form, e-mail change
- review.py          officers: list and read applications, attachments, approve, reject, tier, audit
- registries.py      officers: resident records and enrollments (JSON or CSV)
- certifications.py  officers revoke; officers and guardians list, read and ask for changes
- lottery_rounds.py  public rounds and replay; officers open, draw and record declines
- deps.py            the context dependency, officer_of, the refusals each kind of route declares
"""

from __future__ import annotations

from tsuen_eligibility.entrypoints import (
    applying,
    certifications,
    lottery_rounds,
    registries,
    review,
)

# In the order the routes were always registered, so the OpenAPI document lists them as before.
ROUTERS = (
    applying.public,
    lottery_rounds.public,
    review.officers,
    registries.officers,
    certifications.officers,
    lottery_rounds.officers,
    certifications.holders,
)
