"""Which e-mails an event causes: one :class:`Notice` per recipient and template.

Pure: an event payload and the clock reading in, a list of notices out. The notice carries the
template name and its context already formatted for a Japanese reader, so templates stay free of
logic and the queue row holds everything needed to (re)send the mail.

``dispatch.py`` is the table from event type to its mails and consumer group; the builders live
by area: ``applications`` (認定), ``interviews`` (初回面談, 定期利用), ``bookings``,
``attendance``, ``billing``, ``waitlist`` (空き待ち), ``accounts``; ``model`` is the notice itself.
"""

from tsuen_notification.domain.notices.bookings import booking_reference
from tsuen_notification.domain.notices.dispatch import (
    DISPATCH,
    SUBSCRIPTIONS,
    QueueChange,
    RedirectScheduledMails,
    Subscription,
    WithdrawReminders,
    events_of,
    notices_for,
    queue_changes_for,
)
from tsuen_notification.domain.notices.model import (
    SUBJECTS,
    Context,
    Notice,
    RecipientKind,
    Template,
    When,
)

__all__ = [
    "DISPATCH",
    "SUBJECTS",
    "SUBSCRIPTIONS",
    "Context",
    "Notice",
    "QueueChange",
    "RecipientKind",
    "RedirectScheduledMails",
    "Subscription",
    "Template",
    "When",
    "WithdrawReminders",
    "booking_reference",
    "events_of",
    "notices_for",
    "queue_changes_for",
]
