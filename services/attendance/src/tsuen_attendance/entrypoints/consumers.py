"""Other services' events: booking's build this service's projection of who is booked where
and when; eligibility's keep the guardian's e-mail on those visits current and the children's
details for the roster. The effects are use cases in ``service_layer/projections.py``; here
only which consumer group reads which events."""

from __future__ import annotations

from tsuen_attendance.service_layer import projections
from tsuen_common.events.booking import BookingCancelled, BookingConfirmed
from tsuen_common.events.eligibility import (
    CertificationChanged,
    ChildCertified,
    ChildProfileUpdated,
)
from tsuen_common.events.topics import Topic
from tsuen_common.messaging import ConsumerWorker
from tsuen_common.settings import ServiceSettings

# Kafka group ids and inbox keys: renaming one replays its topic.
CONSUMER = "attendance-bookings"
ELIGIBILITY_CONSUMER = "attendance-eligibility"
# Its own group, so a new deployment reads eligibility's topic from the start and learns every
# child certified before it (the roster's reading, age and the guardian's record).
CHILDREN_CONSUMER = "attendance-children"


def build_worker(settings: ServiceSettings) -> ConsumerWorker:
    worker = ConsumerWorker(settings)
    worker.add(
        CONSUMER,
        {
            BookingConfirmed: projections.on_booking_confirmed,
            BookingCancelled: projections.on_booking_cancelled,
        },
        Topic.BOOKING,
    )
    worker.add(
        ELIGIBILITY_CONSUMER,
        {CertificationChanged: projections.on_certification_changed},
        Topic.ELIGIBILITY,
    )
    worker.add(
        CHILDREN_CONSUMER,
        {
            ChildCertified: projections.on_child_certified,
            ChildProfileUpdated: projections.on_child_profile_updated,
        },
        Topic.ELIGIBILITY,
    )
    return worker
