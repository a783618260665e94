"""Logs: one JSON object per line on stdout, personal data masked before it is written.

Every line carries ``timestamp`` (ISO 8601, UTC), ``level``, ``event``, ``service``, ``logger``
and, inside a span, ``trace_id``/``span_id``. Records from the standard library (uvicorn,
aiokafka, SQLAlchemy) pass through the same processors, so they are JSON and masked too.

Guardians' and children's personal data (氏名, カナ, 住所, 電話, 生年月日, e-mail) must not
reach log storage: values under personal-data keys are replaced, and e-mail addresses found
anywhere in a string are masked. Log identifiers (``guardian_id``) rather than personal data.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from tsuen_common.telemetry import current_trace_ids

# A key is personal data if it contains one of these (so ``guardian_email``, ``child_name_kana``).
PERSONAL_DATA_KEYS: tuple[str, ...] = (
    "email",
    "name",
    "kana",
    "address",
    "phone",
    "birth_date",
    "guardian_name",
    "child_name",
)
# Technical keys that contain "name" but never hold personal data.
_NOT_PERSONAL_KEYS = frozenset(
    {
        "service",
        "logger",
        "logger_name",
        "filename",
        "func_name",
        "thread_name",
        "process_name",
        "hostname",
        "event_name",
        "topic_name",
        "table_name",
    }
)
MASK = "***"

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# Loggers that install their own handlers; they are made to propagate to ours instead.
_LOGGERS_WITH_OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def is_personal_data_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in _NOT_PERSONAL_KEYS:
        return False
    return any(marker in lowered for marker in PERSONAL_DATA_KEYS)


def mask_email(address: str) -> str:
    """``taro@example.jp`` becomes ``t***@example.jp``; anything else becomes ``***``."""
    match = _EMAIL.fullmatch(address.strip())
    return f"{match.group(1)}{MASK}@{match.group(2)}" if match else MASK


def mask_emails_in(text: str) -> str:
    return _EMAIL.sub(rf"\1{MASK}@\2", text)


# `birth_date=2024-04-10` in a URL (access logs): the value of any query parameter whose name
# is personal data or a credential, of free-text searches (`q=山田`: officers search by name),
# of a position (`lat`, `lng`, `lon`: 施設をさがす from where the family is) and of a scanned
# 2D code (`t`) is masked.
_QUERY_PARAM = re.compile(
    r"(?P<key>[?&;](?:q|query|search|keyword|lat|lng|lon|latitude|longitude|t|[A-Za-z_]*(?:"
    + "|".join((*PERSONAL_DATA_KEYS, "token", "password", "secret"))
    + r")[A-Za-z_]*)=)(?P<value>[^&\s\"']*)",
    re.IGNORECASE,
)


def mask_query_values(text: str) -> str:
    return _QUERY_PARAM.sub(rf"\g<key>{MASK}", text)


def redact(value: Any, key: str | None = None) -> Any:
    """``value`` with personal data masked, looking into dicts, lists and tuples."""
    if key is not None and is_personal_data_key(key):
        if value is None:
            return None
        if "email" in key.lower() and isinstance(value, str):
            return mask_email(value)
        return MASK
    if isinstance(value, str):
        return mask_query_values(mask_emails_in(value))
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item) for item in value]
    return value


def redact_personal_data(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """structlog processor: run last before rendering, after exceptions are formatted."""
    return {key: redact(value, key) for key, value in event_dict.items()}


def add_trace_context(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    ids = current_trace_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    return event_dict


def configure_logging(service_name: str, level: str | int = "INFO", json: bool = True) -> None:
    """Route structlog and the standard library to one stdout handler; safe to call again.

    ``json=False`` renders coloured console lines for a developer's terminal; masking still
    applies. Uvicorn keeps its loggers, but they lose their own handlers and propagate here.
    """

    def add_service(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service_name)
        return event_dict

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_service,
        add_trace_context,
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer(default=_json_fallback, ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer()
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_color_message],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            redact_personal_data,
            renderer,
        ],
    )
    handler = _StdoutHandler()
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, _StdoutHandler) or _is_plain_console_handler(old):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in _LOGGERS_WITH_OWN_HANDLERS:
        own = logging.getLogger(name)
        own.handlers.clear()
        own.propagate = True

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: modules take their logger at import time, before configure_logging runs.
        cache_logger_on_first_use=False,
    )


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structured logger; call ``log.info("booking confirmed", booking_id=...)``."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time, so captured output in tests works."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def _drop_color_message(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    # Uvicorn passes an ANSI-coloured copy of each message as an ``extra``.
    event_dict.pop("color_message", None)
    return event_dict


def _is_plain_console_handler(handler: logging.Handler) -> bool:
    # What logging.basicConfig installs; subclasses (pytest's capture) are left alone.
    return type(handler) is logging.StreamHandler and handler.stream in (sys.stdout, sys.stderr)


def _json_fallback(value: Any) -> Any:
    """For objects json cannot encode: models are dumped and masked, the rest stringified."""
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):
        return redact(model_dump(mode="json"))
    return mask_emails_in(str(value))
