"""The development mail catcher: `tsuen-notification mailcatcher` takes mail over SMTP and shows
it, decoded, on a web page."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid

import aiosmtplib
import httpx

from tests.integration.conftest import eventually
from tests.integration.testbed import free_port
from tsuen_common.policy import load_policies
from tsuen_common.timeutil import now_jst
from tsuen_notification.adapters.message import build_message
from tsuen_notification.adapters.rendering import Renderer
from tsuen_notification.domain.notices import RecipientKind, Template


async def test_mailcatcher_command_shows_caught_mails_decoded() -> None:
    smtp_port, http_port = free_port(), free_port()
    process = subprocess.Popen(  # noqa: ASYNC220 - returns at once; the wait is off-loop
        [
            sys.executable,
            "-c",
            "from tsuen_notification.entrypoints.cli import main; raise SystemExit(main())",
            "mailcatcher",
            "--smtp-port",
            str(smtp_port),
            "--http-port",
            str(http_port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{http_port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:

            async def up() -> bool:
                try:
                    return (await client.get("/api/mails")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(up, within=30, what="the mail catcher")
            policy = load_policies().get("131016")
            mail = Renderer().render(
                Template.FACILITY_ACCEPTED,
                {"facility_name": "ひまわり<保育園>"},
                recipient_kind=RecipientKind.GUARDIAN,
                policy=policy,
            )
            message = build_message(
                notice_id=uuid.uuid4(),
                mail=mail,
                recipient="taro@example.jp",
                sender=policy.notification,
                date=now_jst(),
            )
            await aiosmtplib.send(message, hostname="127.0.0.1", port=smtp_port, timeout=10)

            [caught] = (await client.get("/api/mails")).json()
            assert caught["subject"] == "受入決定のお知らせ"
            assert caught["to"] == ["taro@example.jp"]
            assert "千代田区 こども誰でも通園制度" in caught["from"]
            assert "ひまわり<保育園>での受入れが決まりました" in caught["text"]
            page = await client.get("/")
            assert page.status_code == 200
            assert "受入決定のお知らせ" in page.text
            detail = await client.get(f"/mails/{caught['id']}")
            # Decoded, and escaped: what a mail contains never becomes markup of the page.
            assert "ひまわり&lt;保育園&gt;での受入れが決まりました" in detail.text
            assert "<iframe sandbox" in detail.text
            assert (await client.get("/mails/999")).status_code == 404
            assert (await client.get("/mails/abc")).status_code == 422
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 10)
