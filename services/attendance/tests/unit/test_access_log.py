from __future__ import annotations

import logging

from tsuen_attendance.entrypoints.app import _HideAccessTokens


def test_the_display_tokens_in_the_access_log_are_masked() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:5000",
            "GET",
            "/facilities/F/display?access_token=eyJ.secret.sig&x=1",
            "1.1",
            303,
        ),
        None,
    )
    assert _HideAccessTokens().filter(record)
    assert "eyJ" not in record.getMessage()
    assert "access_token=***&x=1" in record.getMessage()
