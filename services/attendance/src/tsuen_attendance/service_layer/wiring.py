"""Building the use-case object from settings: one place for the app, the worker and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_attendance.config import Settings
from tsuen_attendance.domain.codes import TokenClock
from tsuen_attendance.service_layer.attendance import AttendanceService
from tsuen_common.db import make_sessions
from tsuen_common.messaging import Outbox
from tsuen_common.policy import load_policies
from tsuen_common.sealed import box_from_settings
from tsuen_common.timeutil import now_jst


def build_service(
    settings: Settings, engine: AsyncEngine, *, now: Callable[[], datetime] | None = None
) -> AttendanceService:
    return AttendanceService(
        sessions=make_sessions(engine),
        outbox=Outbox(producer="attendance", topic_prefix=settings.kafka_topic_prefix),
        policies=load_policies(settings.policy_dir),
        token_clock=TokenClock(
            step_seconds=settings.code_step_seconds, grace_steps=settings.code_grace_steps
        ),
        public_base_url=settings.public_base_url,
        clock=now or now_jst,
        key_box=box_from_settings(
            settings.sealing_keys.get_secret_value() if settings.sealing_keys else None,
            environment=settings.environment,
        ),
        roster_record_days_ahead=settings.roster_record_days_ahead,
    )
