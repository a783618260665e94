"""Building the use-case context from settings: one place for the app, the worker and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_common.auth import TokenIssuer
from tsuen_common.db import make_sessions
from tsuen_common.messaging import Outbox
from tsuen_common.sealed import box_from_settings
from tsuen_common.timeutil import now_jst
from tsuen_identity.adapters.hashing import Passwords
from tsuen_identity.adapters.keys import SigningKey
from tsuen_identity.config import Settings
from tsuen_identity.service_layer.context import Identity


def build_signer(settings: Settings, key: SigningKey) -> TokenIssuer:
    return TokenIssuer(
        algorithm="ES256",
        key=key.private_key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        default_ttl=settings.policy().access_token_ttl,
        key_id=key.key_id,
    )


def build_identity(
    settings: Settings,
    engine: AsyncEngine,
    *,
    signing_key: SigningKey | None = None,
    now: Callable[[], datetime] | None = None,
) -> Identity:
    return Identity(
        sessions=make_sessions(engine),
        outbox=Outbox(producer="identity", topic_prefix=settings.kafka_topic_prefix),
        policy=settings.policy(),
        passwords=Passwords(
            time_cost=settings.argon2_time_cost,
            memory_kib=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        ),
        portal_base_url=settings.portal_base_url,
        signer=build_signer(settings, signing_key) if signing_key else None,
        clock=now or now_jst,
        second_factor_roles=frozenset(settings.second_factor_roles),
        box=box_from_settings(
            settings.sealing_keys.get_secret_value() if settings.sealing_keys else None,
            environment=settings.environment,
        ),
    )
