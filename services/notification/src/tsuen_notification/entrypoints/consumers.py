"""The notification consumers (one per producing service) and the sender loop beside them.

``tsuen-notification consume`` runs both: the consumers fill the mail queue, the sender empties
it, and a consumer transaction that queued new mails wakes the sender when it commits, so a new
mail does not wait for the sender's next poll. The sender can also run alone
(``tsuen-notification send``, polling) to scale sending apart from consuming; any number of
senders share the queue safely.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_common.messaging import ConsumerWorker, Outbox
from tsuen_common.policy import PolicyRegistry, load_policies
from tsuen_common.settings import ServiceSettings
from tsuen_common.timeutil import now_jst
from tsuen_notification.adapters.rendering import Renderer
from tsuen_notification.adapters.smtp import SmtpTransport
from tsuen_notification.config import Settings
from tsuen_notification.domain.notices import SUBSCRIPTIONS, events_of
from tsuen_notification.service_layer.handlers import queue_notices
from tsuen_notification.service_layer.sender import MailSender


def build_transport(settings: Settings) -> SmtpTransport:
    return SmtpTransport(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        timeout=settings.smtp_timeout_seconds,
        validate_certs=settings.smtp_validate_certs,
    )


def build_sender(
    settings: Settings, engine: AsyncEngine, policies: PolicyRegistry | None = None
) -> MailSender:
    return MailSender(
        engine=engine,
        transport=build_transport(settings),
        policies=policies or load_policies(settings.policy_dir),
        renderer=Renderer(portal_url=settings.portal_url),
        outbox=Outbox(producer="notification", topic_prefix=settings.kafka_topic_prefix),
        batch_size=settings.sender_batch_size,
        poll_interval=settings.sender_poll_interval_ms / 1000,
        lease_seconds=settings.sender_lease_seconds,
        retry_base_seconds=settings.mail_retry_base_seconds,
        retry_max_seconds=settings.mail_retry_max_seconds,
        max_attempts=settings.mail_max_attempts,
        concurrency=settings.sender_concurrency,
        retention_seconds=settings.mail_retention_days * 24 * 3600,
        smtp_idle_seconds=settings.sender_smtp_idle_seconds,
    )


class NotificationWorker(ConsumerWorker):
    """The shared consumer worker, plus the sender loop when ``sender_in_consumer`` is on."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: AsyncEngine | None = None,
        clock: Callable[[], datetime] = now_jst,
    ) -> None:
        super().__init__(settings, engine=engine)
        policies = load_policies(settings.policy_dir)
        handler = queue_notices(policies, clock, on_committed=self._wake_sender)
        # One consumer per producing service, each subscribed to the events the dispatch table
        # gives it (domain/notices/dispatch.py), all handled by the one handler.
        for subscription in SUBSCRIPTIONS:
            self.add(
                subscription.group,
                dict.fromkeys(events_of(subscription), handler),
                subscription.topic,
            )
        self.sender = (
            build_sender(settings, self.engine, policies) if settings.sender_in_consumer else None
        )
        self._sender_task: asyncio.Task[None] | None = None

    def _wake_sender(self) -> None:
        if self.sender is not None:
            self.sender.wake()

    async def start(self) -> None:
        await super().start()
        if self.sender is not None:
            self._sender_task = asyncio.create_task(self.sender.run(), name="mail-sender")

    async def stop_sender(self) -> None:
        if self.sender is not None and self._sender_task is not None:
            self.sender.stop()
            await self._sender_task
            self._sender_task = None

    async def stop(self) -> None:
        await self.stop_sender()
        await super().stop()


def build_worker(settings: ServiceSettings) -> ConsumerWorker:
    assert isinstance(settings, Settings)
    return NotificationWorker(settings)
