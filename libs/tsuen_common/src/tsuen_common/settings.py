"""Settings every tsuen service shares, read from the environment (prefix ``TSUEN_``).

Each service subclasses :class:`ServiceSettings` for what only it needs; nothing here has a
default that would be wrong in production except where noted (development defaults point at
127.0.0.1 so a developer's laptop works out of the box).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TSUEN_", env_file=None, extra="ignore")

    service_name: str = "tsuen"
    environment: Literal["dev", "test", "prod"] = "dev"

    # PostgreSQL: one database per service, async driver.
    database_url: str = "postgresql+asyncpg://tsuen:tsuen@127.0.0.1:5432/tsuen"

    # Kafka
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Prepended to every topic name; lets tests (and shared clusters) keep topics apart.
    kafka_topic_prefix: str = ""
    # Kafka security (messaging/security.py): PLAINTEXT on the test bed and in dev; TLS and/or
    # SASL/SCRAM against a production cluster (the Helm chart passes these).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = None
    # Attempts a consumer gives one event before it goes to the dead-letter topic.
    consumer_max_attempts: int = Field(default=5, ge=1)
    consumer_retry_backoff_ms: int = Field(default=200, ge=0)

    # HTTP API: uvicorn worker processes per container. 1 where an orchestrator scales pods
    # (Helm); more on one box with spare cores (bench/README.md measures both).
    web_workers: int = Field(default=1, ge=1)
    # Largest request body a route takes unless the service allows a route more (edge.py).
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    # Requests one worker carries at once; the next is refused at once with 503 + Retry-After
    # (tsuen_common.overload). Above the pool (20 connections) so short requests queue briefly
    # for a connection, low enough that the queue drains in well under a second.
    max_requests_in_flight: int = Field(default=64, ge=1)
    # /docs and /openapi.json: on in dev and test; in prod only when an operator turns them on.
    api_docs: bool | None = None

    # Outbox relay
    relay_batch_size: int = Field(default=200, ge=1)
    relay_poll_interval_ms: int = Field(default=50, ge=1)
    relay_lease_seconds: float = Field(default=30.0, gt=0)

    # Logs and traces
    log_level: str = "INFO"
    log_json: bool = True
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str | None = None

    # Auth: HS256 shared secret or an RS256/ES256 public key file. Never a default in prod.
    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    jwt_secret: SecretStr | None = None
    jwt_public_key_file: Path | None = None
    # The identity service's JWKS (…/.well-known/jwks.json): RS256/ES256 tokens are verified
    # with the key their ``kid`` names, fetched from here (key rotation without restarts).
    # With TSUEN_JWT_SECRET also set, HS256 tokens keep working too (tests, dev stack only).
    jwt_jwks_url: str | None = None
    jwt_issuer: str = "tsuen"
    jwt_audience: str = "tsuen"

    # Keys that seal secrets stored in the database (tsuen_common.sealed): "id:base64,...",
    # newest first. Required in prod by the services that store secrets.
    sealing_keys: SecretStr | None = None

    # Municipality policies: a directory of YAML files, one per municipality.
    policy_dir: Path | None = None
