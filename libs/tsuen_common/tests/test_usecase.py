"""The shared use-case context: Japan's now and today, and the retry of a whole use case when
PostgreSQL aborted it as a deadlock victim (no I/O: the failures are made here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from tsuen_common.errors import Conflict
from tsuen_common.usecase import UseCaseContext, retry_on_conflict


@dataclass
class _PgError(Exception):
    sqlstate: str


def _db_error(sqlstate: str) -> DBAPIError:
    return DBAPIError("statement", {}, _PgError(sqlstate))


def test_now_and_today_are_japans() -> None:
    # 15:30 UTC on 31 December is already New Year's Day in Japan.
    ctx: Any = UseCaseContext(
        sessions=None,  # type: ignore[arg-type]
        outbox=None,  # type: ignore[arg-type]
        clock=lambda: datetime(2026, 12, 31, 15, 30, tzinfo=UTC),
    )
    assert ctx.now().utcoffset().total_seconds() == 9 * 3600
    assert ctx.today() == date(2027, 1, 1)


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
async def test_a_deadlock_victim_is_run_again(sqlstate: str) -> None:
    calls = []

    @retry_on_conflict
    async def use_case() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise _db_error(sqlstate)
        return "done"

    assert await use_case() == "done"
    assert len(calls) == 3


async def test_after_the_last_attempt_the_caller_gets_a_409_in_japanese() -> None:
    @retry_on_conflict
    async def use_case() -> None:
        raise _db_error("40P01")

    with pytest.raises(Conflict) as refused:
        await use_case()
    assert refused.value.status == 409
    assert "もう一度お試しください" in refused.value.message_ja


async def test_other_database_errors_are_not_retried() -> None:
    calls = []

    @retry_on_conflict
    async def use_case() -> None:
        calls.append(1)
        raise _db_error("23505")  # unique violation: running again would not help

    with pytest.raises(DBAPIError):
        await use_case()
    assert calls == [1]
