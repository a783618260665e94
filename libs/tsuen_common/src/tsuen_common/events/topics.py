"""The one registry of Kafka topic names.

One topic per producing service keeps every event about one aggregate (keyed by its id; the
child id for booking and attendance) on one partition, so consumers see a child's history in
order. Dead letters for a topic go to ``<topic>.dlq``.
"""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    ELIGIBILITY = "tsuen.eligibility.events"
    BOOKING = "tsuen.booking.events"
    ATTENDANCE = "tsuen.attendance.events"
    NOTIFICATION = "tsuen.notification.events"
    IDENTITY = "tsuen.identity.events"
    BILLING = "tsuen.billing.events"


DLQ_SUFFIX = ".dlq"

# Partitions per topic for provisioning (Helm job, dev stack). Attendance and booking see the
# morning peaks; more partitions let more consumer replicas share them.
PARTITIONS: dict[Topic, int] = {
    Topic.ELIGIBILITY: 6,
    Topic.BOOKING: 12,
    Topic.ATTENDANCE: 12,
    Topic.NOTIFICATION: 3,
    Topic.IDENTITY: 3,
    Topic.BILLING: 3,
}


def topic_name(topic: Topic | str, prefix: str = "") -> str:
    """The physical topic name: an optional namespace prefix (tests, shared clusters) + name."""
    return f"{prefix}{topic}"


def dlq_name(physical_topic: str) -> str:
    return f"{physical_topic}{DLQ_SUFFIX}"
