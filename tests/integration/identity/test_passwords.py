"""Set-password links are single use and expire; weak passwords are refused; resets work and
are limited; logins fail the same way whether or not the account exists, and lock."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from tests.integration.conftest import eventually
from tests.integration.identity.harness import identity_stack, token_of
from tsuen_common.events.identity import AccountLocked, PasswordResetRequested


async def test_the_set_password_link_works_once_and_refuses_weak_passwords(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        _, token = await stack.new_guardian("once@example.jp")

        check = await stack.client.post("/v1/password/check-link", json={"token": token})
        assert check.status_code == 200
        assert check.json()["purpose"] == "set"

        weak = await stack.set_password(token, "password")
        assert weak.status_code == 422
        assert weak.json()["code"] == "weak_password"
        assert weak.json()["message_ja"]
        same_as_email = await stack.set_password(token, "once@example.jp")
        assert same_as_email.status_code == 422

        assert (await stack.set_password(token)).status_code == 204
        again = await stack.set_password(token, "another long passphrase")
        assert again.status_code == 410
        assert again.json()["code"] == "link_used"
        assert (await stack.login("once@example.jp")).status_code == 200

        unknown = await stack.set_password("not-a-real-token")
        assert unknown.status_code == 404


async def test_an_expired_link_says_how_to_get_a_new_one(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        _, token = await stack.new_guardian("late@example.jp")
        stack.clock.offset = timedelta(hours=72, minutes=1)
        response = await stack.set_password(token)
        assert response.status_code == 410
        body = response.json()
        assert body["code"] == "link_expired"
        assert "http://portal.test/password/reset" in body["detail"]
        assert "パスワード再設定" in body["message_ja"]
        assert response.headers["cache-control"] == "no-store"


async def test_unknown_email_and_wrong_password_get_the_same_answer_and_both_lock(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        guardian, token = await stack.new_guardian("real@example.jp")
        assert (await stack.set_password(token)).status_code == 204

        wrong = await stack.login("real@example.jp", "not my password at all")
        unknown = await stack.login("nobody@example.jp", "not my password at all")
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()

        for _ in range(4):  # 5 failures in all for each address
            await stack.login("real@example.jp", "not my password at all")
            await stack.login("nobody@example.jp", "not my password at all")

        locked = await stack.login("real@example.jp")  # even the right password
        locked_unknown = await stack.login("nobody@example.jp")
        assert locked.status_code == locked_unknown.status_code == 429
        assert locked.json() == locked_unknown.json()
        assert int(locked.headers["retry-after"]) > 0
        assert locked.json()["message_ja"]

        async def mailed() -> bool:
            return len(stack.reader.of(AccountLocked)) == 1

        await eventually(mailed, what="AccountLocked for the real account only")
        (event,) = stack.reader.of(AccountLocked)
        assert event.account_id == guardian
        assert event.email == "real@example.jp"

        stack.clock.offset = timedelta(minutes=16)
        assert (await stack.login("real@example.jp")).status_code == 200


async def test_password_reset_by_mail_and_its_limit(kafka, topic_prefix, new_database, tmp_path):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        guardian, token = await stack.new_guardian("forgot@example.jp")
        assert (await stack.set_password(token)).status_code == 204
        old_session = (await stack.login("forgot@example.jp")).json()

        unknown = await stack.client.post(
            "/v1/password/reset-request", json={"email": "ghost@example.jp"}
        )
        known = await stack.client.post(
            "/v1/password/reset-request", json={"email": "Forgot@example.jp"}
        )
        assert unknown.status_code == known.status_code == 202
        assert unknown.json() == known.json()

        async def one_reset() -> bool:
            return len(stack.reader.of(PasswordResetRequested)) == 1

        await eventually(one_reset, what="one reset mail (none for the unknown address)")
        (reset,) = stack.reader.of(PasswordResetRequested)
        assert reset.account_id == guardian
        assert parse_qs(urlsplit(reset.url).query)["purpose"] == ["reset"]
        (envelope,) = stack.reader.envelopes(PasswordResetRequested)
        assert 59 * 60 < (reset.expires_at - envelope.occurred_at).total_seconds() <= 3600

        new_password = "a completely different passphrase"
        assert (await stack.set_password(token_of(reset.url), new_password)).status_code == 204
        assert (await stack.login("forgot@example.jp")).status_code == 401
        assert (await stack.login("forgot@example.jp", new_password)).status_code == 200
        refreshed = await stack.client.post(
            "/v1/token/refresh", json={"refresh_token": old_session["refresh_token"]}
        )
        assert refreshed.status_code == 401  # the reset ended the old sessions

        # Three requests per client and hour: ghost, forgot and the first of these three.
        for _ in range(3):
            more = await stack.client.post(
                "/v1/password/reset-request", json={"email": "forgot@example.jp"}
            )
            assert more.status_code == 202
        await stack.new_guardian("marker@example.jp")  # the relay has moved past them
        assert len(stack.reader.of(PasswordResetRequested)) == 2
