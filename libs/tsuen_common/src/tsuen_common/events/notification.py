"""Events produced by the notification service on ``tsuen.notification.events``.

Contract: fields are only ever added (optional, with defaults); never renamed or removed
within a version.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from tsuen_common.events.envelope import EventPayload
from tsuen_common.events.topics import Topic


class _Notification(EventPayload):
    topic: ClassVar[Topic] = Topic.NOTIFICATION
    aggregate_field: ClassVar[str] = "notice_id"


class EmailDelivered(_Notification):
    event_type: ClassVar[str] = "notification.EmailDelivered"

    notice_id: uuid.UUID
    template: str
    caused_by_event: uuid.UUID
    delivered_at: datetime


class EmailFailed(_Notification):
    event_type: ClassVar[str] = "notification.EmailFailed"

    notice_id: uuid.UUID
    template: str
    caused_by_event: uuid.UUID
    error: str
    permanent: bool


EVENTS: tuple[type[EventPayload], ...] = (
    EmailDelivered,
    EmailFailed,
)
