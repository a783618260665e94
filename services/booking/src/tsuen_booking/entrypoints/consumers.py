"""Booking's Kafka consumers: eligibility (who may book) and attendance (what was used)."""

from __future__ import annotations

from tsuen_booking.entrypoints.waitlist_sweeper import SweepingWorker
from tsuen_booking.service_layer.context import Context
from tsuen_booking.service_layer.events import EventHandlers
from tsuen_common.events.attendance import CheckedIn, CheckedOut, NoShow
from tsuen_common.events.eligibility import (
    CertificationChanged,
    CertificationRevoked,
    ChildCertified,
)
from tsuen_common.events.topics import Topic
from tsuen_common.messaging import ConsumerWorker, Outbox
from tsuen_common.policy import PolicyRegistry, load_policies
from tsuen_common.settings import ServiceSettings

# Consumer names are Kafka group ids and inbox keys: renaming one replays its topic.
ELIGIBILITY_CONSUMER = "booking-eligibility"
ATTENDANCE_CONSUMER = "booking-attendance"


def build_worker(
    settings: ServiceSettings,
    *,
    policies: PolicyRegistry | None = None,
    ctx: Context | None = None,
) -> ConsumerWorker:
    worker = SweepingWorker(settings)  # the consumers and the 空き待ち sweep
    if ctx is None:
        from tsuen_common.db import make_sessions

        ctx = Context(
            sessions=make_sessions(worker.engine),
            outbox=Outbox(producer="booking", topic_prefix=settings.kafka_topic_prefix),
            policies=policies or load_policies(settings.policy_dir),
        )
    worker.ctx = ctx
    handlers = EventHandlers(ctx)
    worker.add(
        ELIGIBILITY_CONSUMER,
        {
            ChildCertified: handlers.child_certified,
            CertificationRevoked: handlers.certification_revoked,
            CertificationChanged: handlers.certification_changed,
        },
        Topic.ELIGIBILITY,
    )
    worker.add(
        ATTENDANCE_CONSUMER,
        {
            CheckedIn: handlers.checked_in,
            CheckedOut: handlers.checked_out,
            NoShow: handlers.no_show,
        },
        Topic.ATTENDANCE,
    )
    return worker
