"""Kafka clients take TLS and SASL/SCRAM from settings; plain text stays the test bed's."""

from __future__ import annotations

import ssl

import pytest
from faststream.security import SASLScram512

from tsuen_common.messaging.security import (
    KafkaSecurityError,
    broker_security,
    client_options,
)
from tsuen_common.settings import ServiceSettings


def test_plaintext_by_default() -> None:
    settings = ServiceSettings()
    assert client_options(settings) == {"security_protocol": "PLAINTEXT"}
    assert broker_security(settings) is None


def test_scram_over_tls() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="booking",
        kafka_sasl_password="s3cret",
    )
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("booking", "s3cret")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    security = broker_security(settings)
    assert isinstance(security, SASLScram512)
    assert security.use_ssl


def test_tls_only_has_no_credentials() -> None:
    options = client_options(ServiceSettings(kafka_security_protocol="SSL"))
    assert set(options) == {"security_protocol", "ssl_context"}


def test_sasl_without_credentials_is_refused_with_the_settings_to_set() -> None:
    with pytest.raises(KafkaSecurityError, match="TSUEN_KAFKA_SASL_USERNAME"):
        client_options(ServiceSettings(kafka_security_protocol="SASL_SSL"))
