from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import format_span_id, format_trace_id

from tsuen_common.logging import configure_logging, get_logger, mask_email, redact


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]


def test_personal_data_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("booking")

    get_logger("tsuen_booking.test").info(
        "guardian registered",
        email="taro@example.jp",
        guardian_name="山田 太郎",
        child_name_kana="ヤマダ ハナコ",
        address="東京都千代田区千代田1-1",
        phone=None,
        guardian_id="G1",
        note="reply to hanako.yamada@mail.example.co.jp please",
    )

    [line] = log_lines(capsys)
    assert line["event"] == "guardian registered"
    assert line["email"] == "t***@example.jp"
    assert line["guardian_name"] == "***"
    assert line["child_name_kana"] == "***"
    assert line["address"] == "***"
    assert line["phone"] is None
    assert line["guardian_id"] == "G1"
    assert line["note"] == "reply to h***@mail.example.co.jp please"
    assert line["service"] == "booking"
    assert line["level"] == "info"
    assert line["logger"] == "tsuen_booking.test"
    assert datetime.fromisoformat(line["timestamp"]).utcoffset() is not None
    assert "山田" not in json.dumps(line, ensure_ascii=False)


def test_nested_personal_data_and_messages_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("notification")

    get_logger("test").warning(
        "mail to jiro@example.jp bounced",
        payload={"recipient": {"Email": "jiro@example.jp", "birth_date": "2023-04-01"}},
        attempts=[{"name": "Jiro"}],
    )

    [line] = log_lines(capsys)
    assert line["event"] == "mail to j***@example.jp bounced"
    assert line["payload"] == {"recipient": {"Email": "j***@example.jp", "birth_date": "***"}}
    assert line["attempts"] == [{"name": "***"}]


def test_standard_library_records_are_json_and_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("booking")

    logging.getLogger("uvicorn.error").warning("rejected %s", "saburo@example.jp")

    [line] = log_lines(capsys)
    assert line["event"] == "rejected s***@example.jp"
    assert line["logger"] == "uvicorn.error"
    assert line["level"] == "warning"
    assert line["service"] == "booking"


def test_exceptions_are_rendered_and_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("booking")

    try:
        raise ValueError("unknown address shiro@example.jp")
    except ValueError:
        get_logger("test").exception("lookup failed")

    [line] = log_lines(capsys)
    assert "ValueError: unknown address s***@example.jp" in line["exception"]
    assert "shiro@" not in line["exception"]


def test_levels_below_the_configured_one_are_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("booking", level="warning")

    get_logger("test").info("quiet")
    get_logger("test").warning("loud")

    assert [line["event"] for line in log_lines(capsys)] == ["loud"]


def test_trace_ids_appear_inside_a_span(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("attendance")
    tracer = TracerProvider().get_tracer("test")
    log = get_logger("test")

    with tracer.start_as_current_span("check-in") as span:
        log.info("checked in")
        logging.getLogger("aiokafka").warning("rebalance")
    log.info("after")

    inside, foreign, after = log_lines(capsys)
    context = span.get_span_context()
    assert inside["trace_id"] == format_trace_id(context.trace_id)
    assert inside["span_id"] == format_span_id(context.span_id)
    assert foreign["trace_id"] == inside["trace_id"]
    assert "trace_id" not in after


def test_context_variables_are_merged(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("booking")
    with structlog.contextvars.bound_contextvars(municipality="131016"):
        get_logger("test").info("hello")

    [line] = log_lines(capsys)
    assert line["municipality"] == "131016"


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("taro@example.jp", "t***@example.jp"),
        (" a.b+c@sub.example.com ", "a***@sub.example.com"),
        ("not an address", "***"),
        ("", "***"),
    ],
)
def test_mask_email(address: str, masked: str) -> None:
    assert mask_email(address) == masked


def test_technical_keys_that_contain_name_are_kept() -> None:
    assert redact({"service": "booking", "topic_name": "t", "username": "u"}) == {
        "service": "booking",
        "topic_name": "t",
        "username": "***",
    }


def test_personal_query_parameters_in_access_log_lines_are_masked() -> None:
    from tsuen_common.logging import redact

    line = (
        '127.0.0.1:5 - "GET /v1/eligibility/age-window?birth_date=2024-04-10&on=2026-05-01'
        ' HTTP/1.1" 200'
    )
    masked = redact(line)
    assert "2024-04-10" not in masked
    assert "birth_date=***" in masked
    assert "on=2026-05-01" in masked
    assert "access_token=***" in redact("/facilities/F/display?access_token=eyJabc.def")


def test_a_familys_position_and_a_scanned_code_are_masked_in_access_logs() -> None:
    from tsuen_common.logging import redact

    masked = redact("GET /facilities?mode=near&lat=34.769&lng=138.014&week=2026-12-14 HTTP/1.1")
    assert "34.769" not in masked
    assert "138.014" not in masked
    assert "lat=***" in masked
    assert "week=2026-12-14" in masked  # the names only, not every parameter
    assert "1.abc" not in redact("GET /scan?t=1.abc.123.def HTTP/1.1")
    assert "lon=***" in redact("GET /v1/facilities?lat=1&lon=2")


def test_free_text_searches_in_access_log_lines_are_masked() -> None:
    from tsuen_common.logging import redact

    line = "GET /v1/municipalities/131016/applications?status=pending&q=%E5%B1%B1%E7%94%B0 HTTP/1.1"
    masked = redact(line)
    assert "%E5%B1%B1" not in masked
    assert "q=***" in masked
    assert "status=pending" in masked
