"""The display page may be opened once with ``?access_token=<JWT>``. The attendance app adds no
filter of its own: the shared log redaction (``tsuen_common.logging``), installed when the app
is created, keeps the credential out of uvicorn's access log."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from tsuen_attendance.config import Settings
from tsuen_attendance.entrypoints.app import create
from tsuen_common.auth import Principal, Role, TokenIssuer

SECRET = "unit-test-secret-0123456789abcdef0123"


@pytest.mark.parametrize("json", [True, False])
async def test_the_display_token_never_reaches_the_access_log(
    json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    jwt = TokenIssuer(algorithm="HS256", key=SECRET).mint(
        Principal(
            subject="display-kanda",
            role=Role.FACILITY_STAFF,
            municipality="131016",
            facility_id="7a1c0e52-1f0b-4a53-9d6c-000000000101",
        ),
        ttl=timedelta(hours=1),
    )
    app = create(Settings(jwt_secret=SECRET, log_json=json))
    try:
        # Exactly the call uvicorn's HTTP protocol makes for each response.
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            f"/facilities/F/display?access_token={jwt}&x=1",
            "1.1",
            303,
        )
    finally:
        await app.state.engine.dispose()
    written = capsys.readouterr().out
    assert "/facilities/F/display?access_token=***&x=1" in written
    assert jwt not in written
    assert jwt.split(".")[2] not in written
