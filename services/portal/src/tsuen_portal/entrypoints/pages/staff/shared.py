"""What the staff pages share: the notice after an action and the length of a reason."""

from __future__ import annotations

from tsuen_portal.i18n import N_

REASON_MAX = 200

DONE = {
    "check_in": N_("Arrival registered."),
    "check_out": N_("Pickup registered."),
    "scheduled": N_("The interview date is fixed. The guardian is mailed."),
    "held": N_("The interview and the health check are recorded."),
    "accepted": N_("The child is accepted. The guardian is mailed."),
    "declined": N_("The child is declined. The guardian is mailed."),
    "plan_declined": N_("The regular-use plan is declined. The guardian is mailed."),
}
