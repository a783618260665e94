"""Outbox, relay, inbox, consumers and dead letters: how tsuen loses nothing."""

from tsuen_common.messaging.consumer import (
    BatchHandler,
    EventConsumer,
    Handler,
    Outcome,
    PermanentFailure,
)
from tsuen_common.messaging.dead_letters import DeadLetterPublisher, Delivery
from tsuen_common.messaging.inbox import claim_event
from tsuen_common.messaging.kafka import reliable_producer
from tsuen_common.messaging.outbox import Outbox
from tsuen_common.messaging.relay import OutboxRelay
from tsuen_common.messaging.subscriptions import subscribe
from tsuen_common.messaging.tables import (
    MessagingTables,
    add_messaging_tables,
    create_messaging_tables,
)
from tsuen_common.messaging.worker import ConsumerWorker

__all__ = [
    "BatchHandler",
    "ConsumerWorker",
    "DeadLetterPublisher",
    "Delivery",
    "EventConsumer",
    "Handler",
    "MessagingTables",
    "Outbox",
    "OutboxRelay",
    "Outcome",
    "PermanentFailure",
    "add_messaging_tables",
    "claim_event",
    "create_messaging_tables",
    "reliable_producer",
    "subscribe",
]
