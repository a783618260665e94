"""Officers log in with a second factor (TOTP): the first login enrols the authenticator app
(QR code / secret) and the first right code confirms it; after that every login asks for a
code. A wrong code counts towards the lockout like a wrong password, a code works once, a
challenge expires and allows five tries, and the operator's reset makes the next login enrol
again and ends every session. Guardians and staff are not asked (configuration)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pyotp
import sqlalchemy as sa

from tests.integration.conftest import eventually, run_command
from tests.integration.identity.harness import CHIYODA, PASSWORD, Stack, identity_stack, token_of
from tsuen_common.auth import Role
from tsuen_common.events.identity import AccountIssued
from tsuen_common.sealed import new_key_spec
from tsuen_identity.adapters.orm import second_factors
from tsuen_identity.service_layer import accounts
from tsuen_identity.service_layer.wiring import build_identity

OFFICER = "kodomo-ka@city.example.jp"


async def officer_with_password(stack: Stack, email: str = OFFICER) -> uuid.UUID:
    engine = stack.app.state.engine
    account_id = await accounts.create_account(
        build_identity(stack.settings, engine),
        role=Role.MUNICIPALITY_OFFICER,
        municipality=CHIYODA,
        email=email,
    )

    async def mailed() -> bool:
        return any(m.account_id == account_id for m in stack.reader.of(AccountIssued))

    await eventually(mailed, what="the officer's account mail")
    (mail,) = [m for m in stack.reader.of(AccountIssued) if m.account_id == account_id]
    assert (await stack.set_password(token_of(mail.url))).status_code == 204
    return account_id


def fresh_code(secret: str, used: set[str]) -> str:
    """The app's current code, waiting for the next step if this one was used already."""
    totp = pyotp.TOTP(secret)
    while (code := totp.now()) in used:
        time.sleep(1)
    used.add(code)
    return code


async def second_factor(stack: Stack, challenge: str, code: str) -> object:
    return await stack.client.post(
        "/v1/login/second-factor", json={"challenge": challenge, "code": code}
    )


async def test_an_officer_enrols_then_logs_in_with_a_code_each_time(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers,
        topic_prefix,
        await new_database("identity"),
        tmp_path,
        sealing_keys=new_key_spec("k1"),
    ) as stack:
        account_id = await officer_with_password(stack)
        first = await stack.login(OFFICER)
        assert first.status_code == 202, first.text
        body = first.json()
        assert "access_token" not in body
        enrolment = body["enrolment"]
        assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
        secret = enrolment["secret"]
        # The secret is sealed at rest: the database alone cannot make codes.
        async with stack.app.state.engine.connect() as conn:
            stored = await conn.scalar(
                sa.select(second_factors.c.sealed_secret).where(
                    second_factors.c.account_id == account_id
                )
            )
        assert stored.startswith(b"tsv1:")
        assert secret.encode() not in stored

        used: set[str] = set()
        wrong = await second_factor(stack, body["challenge"], "000000")
        assert wrong.status_code == 401
        assert "確認コード" in wrong.json()["message_ja"]
        code = fresh_code(secret, used)
        done = await second_factor(stack, body["challenge"], code)
        assert done.status_code == 200, done.text
        assert done.json()["role"] == "municipality_officer"
        # The challenge is spent.
        assert (await second_factor(stack, body["challenge"], code)).status_code == 410

        # Enrolled: the next login asks for a code and shows no new secret.
        again = (await stack.login(OFFICER)).json()
        assert again["enrolment"] is None
        # The code already used cannot be replayed on a new challenge.
        replay = await second_factor(stack, again["challenge"], code)
        assert replay.status_code == 401
        ok = await second_factor(stack, again["challenge"], fresh_code(secret, used))
        assert ok.status_code == 200, ok.text

        # Guardians are not asked for one.
        _, token = await stack.new_guardian("hogosha@example.jp")
        assert (await stack.set_password(token)).status_code == 204
        assert (await stack.login("hogosha@example.jp")).status_code == 200


async def test_codes_are_limited_per_challenge_and_count_towards_the_lockout(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        await officer_with_password(stack)
        challenge = (await stack.login(OFFICER)).json()["challenge"]
        answers = [(await second_factor(stack, challenge, "123456")).status_code for _ in range(6)]
        # Five wrong codes lock the account (the lockout counts them like wrong passwords);
        # the challenge is also out of tries.
        assert answers[:4] == [401] * 4
        assert set(answers[4:]) <= {401, 410, 429}
        locked = await stack.login(OFFICER)
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > 0

        # A challenge expires: after five minutes the password is needed again.
        stack.clock.offset = timedelta(minutes=20)  # the lock is over
        fresh = (await stack.login(OFFICER)).json()
        stack.clock.offset = timedelta(minutes=26)
        expired = await second_factor(stack, fresh["challenge"], "123456")
        assert expired.status_code == 410
        assert "もう一度" in expired.json()["message_ja"]


async def test_the_operator_resets_a_lost_phone_and_the_next_login_enrols_again(
    kafka, topic_prefix, new_database, tmp_path
):
    url = await new_database("identity")
    async with identity_stack(kafka.bootstrap_servers, topic_prefix, url, tmp_path) as stack:
        await officer_with_password(stack)
        body = (await stack.login(OFFICER)).json()
        secret = body["enrolment"]["secret"]
        tokens = (await second_factor(stack, body["challenge"], fresh_code(secret, set()))).json()

        env = {"TSUEN_DATABASE_URL": url, "TSUEN_ARGON2_MEMORY_KIB": "8192"}
        reset = await run_command(
            "tsuen-identity", "reset-second-factor", f"--email={OFFICER}", env=env
        )
        assert reset.returncode == 0, reset.stderr
        unknown = await run_command(
            "tsuen-identity", "reset-second-factor", "--email=nobody@example.jp", env=env
        )
        assert unknown.returncode == 1

        # Every session ended; the next login shows a new secret to enrol.
        refreshed = await stack.client.post(
            "/v1/token/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert refreshed.status_code == 401
        again = (await stack.login(OFFICER, PASSWORD)).json()
        assert again["enrolment"] is not None
        assert again["enrolment"]["secret"] != secret
