"""How every Kafka client of a service authenticates and encrypts: from settings, in one place.

The test bed and the dev stack talk PLAINTEXT on loopback. A production cluster takes TLS
(``SSL``), SASL/SCRAM (``SASL_SSL`` with ``SCRAM-SHA-512``) or both; the Helm chart passes the
settings as environment variables (the password from a Secret) and docs/runbook.md says how.
Every client — the outbox relay's producer, the consumers (FastStream), the dead-letter
producer, topic provisioning and ``tsuen-dlq`` — takes its options from here, so none can be
left talking plain text to a cluster that expects TLS.
"""

from __future__ import annotations

import ssl
from typing import Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from tsuen_common.settings import ServiceSettings


class KafkaSecurityError(ValueError):
    pass


def _ssl_context(settings: ServiceSettings) -> ssl.SSLContext | None:
    if settings.kafka_security_protocol not in ("SSL", "SASL_SSL"):
        return None
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    return ssl.create_default_context(cafile=cafile)


def _credentials(settings: ServiceSettings) -> tuple[str, str]:
    if not settings.kafka_sasl_username or settings.kafka_sasl_password is None:
        raise KafkaSecurityError(
            f"TSUEN_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol} needs "
            "TSUEN_KAFKA_SASL_USERNAME and TSUEN_KAFKA_SASL_PASSWORD"
        )
    return settings.kafka_sasl_username, settings.kafka_sasl_password.get_secret_value()


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    """Keyword arguments for aiokafka's producer, consumer and admin client."""
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {"security_protocol": protocol}
    context = _ssl_context(settings)
    if context is not None:
        options["ssl_context"] = context
    if protocol.startswith("SASL_"):
        username, password = _credentials(settings)
        options |= {
            "sasl_mechanism": settings.kafka_sasl_mechanism,
            "sasl_plain_username": username,
            "sasl_plain_password": password,
        }
    return options


def broker_security(settings: ServiceSettings) -> BaseSecurity | None:
    """The same, for FastStream's KafkaBroker (the consumers)."""
    protocol = settings.kafka_security_protocol
    context = _ssl_context(settings)
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    username, password = _credentials(settings)
    kind = {
        "SCRAM-SHA-512": SASLScram512,
        "SCRAM-SHA-256": SASLScram256,
        "PLAIN": SASLPlaintext,
    }[settings.kafka_sasl_mechanism]
    return kind(
        username=username,
        password=password,
        ssl_context=context,
        use_ssl=protocol == "SASL_SSL",
    )
