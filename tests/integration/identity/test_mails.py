"""Identity and notification together: a certification becomes the account mail in a real SMTP
server, and the link in that mail sets the password that logs in. Then the reset and lockout
mails."""

from __future__ import annotations

import re
import uuid

from tests.integration.conftest import eventually
from tests.integration.identity.harness import PORTAL, identity_stack, token_of
from tests.integration.notification.conftest import (  # the notification service, in process
    NotificationStack,
    notification,
)

__all__ = ["notification"]


def _text(stack: NotificationStack, address: str, subject: str) -> str:
    for caught in stack.smtp.mails_to(address):
        if caught.message["Subject"] == subject:
            part = caught.message.get_body(preferencelist=("plain",))
            assert part is not None
            return str(part.get_content())
    raise AssertionError(f"no mail {subject!r}")


async def test_the_account_mail_link_sets_the_password_and_the_holder_logs_in(
    kafka, topic_prefix, new_database, tmp_path, notification: NotificationStack
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        email = "mail-journey@example.jp"
        guardian = uuid.uuid4()
        # Both services read the eligibility topic: notification mails the 認定, identity the
        # account (and its mail goes through notification too).
        await stack.certify(guardian, email)

        async def both_mails() -> bool:
            return len(notification.smtp.mails_to(email)) == 2

        await eventually(both_mails, what="the certification mail and the account mail")
        account_mail = _text(notification, email, "アカウント発行のお知らせ（パスワード設定）")
        (link,) = re.findall(re.escape(PORTAL) + r"/password/set\?token=[\w-]+", account_mail)
        assert "有効期限を過ぎた場合" in account_mail
        certified = _text(notification, email, "アカウント発行のお知らせ")
        assert "ログイン画面から、パスワードを設定してください" not in certified

        assert (await stack.set_password(token_of(link))).status_code == 204
        assert (await stack.login(email)).status_code == 200

        # Reset by mail: the new link works once and the new password logs in.
        await stack.client.post("/v1/password/reset-request", json={"email": email})

        async def reset_mail() -> bool:
            return len(notification.smtp.mails_to(email)) == 3

        await eventually(reset_mail, what="the reset mail")
        reset_text = _text(notification, email, "パスワード再設定のお知らせ")
        (reset_link,) = re.findall(
            re.escape(PORTAL) + r"/password/set\?token=[\w-]+&purpose=reset", reset_text
        )
        new_password = "another quite long passphrase"
        response = await stack.set_password(token_of(reset_link), new_password)
        assert response.status_code == 204

        # Five wrong passwords: the lock mail.
        for _ in range(5):
            await stack.login(email, "wrong wrong wrong")

        async def lock_mail() -> bool:
            return len(notification.smtp.mails_to(email)) == 4

        await eventually(lock_mail, what="the lock mail")
        assert "一時的に停止" in _text(notification, email, "アカウントの一時ロックのお知らせ")
