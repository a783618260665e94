"""Every event the services exchange, as versioned payload schemas.

One module per producing service: ``events/eligibility.py`` (認定), ``booking.py``
(予約・利用枠), ``attendance.py`` (登降園), ``notification.py`` (メール), ``identity.py``
(アカウント), ``billing.py`` (請求); this module only gathers them. Naming:
``<service>.<PastTenseFact>``. Who consumes what is in the generated AsyncAPI document
(``docs/asyncapi.json``, ``tsuen-asyncapi``).

Payloads carry what the consumers need to act without calling back, including the recipient
e-mail address for notices: the events are personal data and must never be logged whole.
"""

from __future__ import annotations

from tsuen_common.events import (
    attendance,
    billing,
    booking,
    eligibility,
    identity,
    notification,
)
from tsuen_common.events.envelope import EventPayload

ALL_EVENTS: tuple[type[EventPayload], ...] = (
    *eligibility.EVENTS,
    *booking.EVENTS,
    *attendance.EVENTS,
    *notification.EVENTS,
    *identity.EVENTS,
    *billing.EVENTS,
)
