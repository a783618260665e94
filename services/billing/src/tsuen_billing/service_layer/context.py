"""What every billing use case works with, built once (service_layer.wiring)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tsuen_billing.domain.prices import PriceBook
from tsuen_common.messaging import Outbox
from tsuen_common.timeutil import now_jst


@dataclass
class Billing:
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    prices: PriceBook
    clock: Callable[[], datetime] = now_jst
