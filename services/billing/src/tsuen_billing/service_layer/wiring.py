"""Building the use-case context from settings: one place for the app, the worker and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_billing.adapters.price_files import load_price_book
from tsuen_billing.config import Settings
from tsuen_billing.service_layer.context import Billing
from tsuen_common.db import make_sessions
from tsuen_common.messaging import Outbox
from tsuen_common.timeutil import now_jst


def build_billing(
    settings: Settings, engine: AsyncEngine, *, clock: Callable[[], datetime] | None = None
) -> Billing:
    return Billing(
        sessions=make_sessions(engine),
        outbox=Outbox(producer="billing", topic_prefix=settings.kafka_topic_prefix),
        prices=load_price_book(settings.billing_prices_dir),
        clock=clock or now_jst,
    )
