"""Eligibility's events make guardian accounts: ChildCertified creates the account (or adds a
sibling to it), CertificationChanged follows a confirmed change of the guardian's e-mail."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.events.eligibility import CertificationChanged, ChildCertified
from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.events.topics import Topic
from tsuen_common.messaging import ConsumerWorker
from tsuen_common.settings import ServiceSettings
from tsuen_identity.config import Settings
from tsuen_identity.service_layer import accounts
from tsuen_identity.service_layer.wiring import build_identity

# Kafka group id and inbox key: renaming it replays the eligibility topic.
ELIGIBILITY_CONSUMER = "identity-eligibility"


def build_worker(settings: ServiceSettings) -> ConsumerWorker:
    assert isinstance(settings, Settings)
    worker = ConsumerWorker(settings)
    ctx = build_identity(settings, worker.engine)

    async def on_certified(
        session: AsyncSession, envelope: EventEnvelope, payload: ChildCertified
    ) -> None:
        await accounts.on_child_certified(ctx, session, envelope, payload)

    async def on_changed(
        session: AsyncSession, envelope: EventEnvelope, payload: CertificationChanged
    ) -> None:
        await accounts.on_certification_changed(ctx, session, envelope, payload)

    worker.add(
        ELIGIBILITY_CONSUMER,
        {ChildCertified: on_certified, CertificationChanged: on_changed},
        Topic.ELIGIBILITY,
    )
    return worker
