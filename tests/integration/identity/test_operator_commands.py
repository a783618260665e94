"""Operator commands as a shell runs them: gen-key and create-account (staff and officers)."""

from __future__ import annotations

import uuid

from tests.integration.conftest import eventually, run_command
from tests.integration.identity.harness import CHIYODA, PORTAL, identity_stack, token_of
from tsuen_common.auth import Role
from tsuen_common.events.identity import AccountIssued


async def test_gen_key_never_overwrites_a_key(tmp_path):
    path = tmp_path / "signing.pem"
    first = await run_command("tsuen-identity", "gen-key", str(path), env={})
    assert first.returncode == 0, first.stderr
    assert "kid" in first.stdout
    second = await run_command("tsuen-identity", "gen-key", str(path), env={})
    assert second.returncode == 1
    assert "not overwritten" in second.stderr


async def test_staff_and_officer_accounts_get_the_set_password_mail_and_log_in(
    kafka, topic_prefix, new_database, tmp_path
):
    url = await new_database("identity")
    async with identity_stack(kafka.bootstrap_servers, topic_prefix, url, tmp_path) as stack:
        env = {
            "TSUEN_DATABASE_URL": url,
            "TSUEN_KAFKA_TOPIC_PREFIX": topic_prefix,
            "TSUEN_PORTAL_BASE_URL": PORTAL,
            "TSUEN_ARGON2_MEMORY_KIB": "8192",
        }
        facility = uuid.uuid4()
        staff = await run_command(
            "tsuen-identity",
            "create-account",
            "--role=facility_staff",
            f"--municipality={CHIYODA}",
            f"--facility-id={facility}",
            "--email=Hoikushi@Kanda.example.jp",
            env=env,
        )
        assert staff.returncode == 0, staff.stderr
        officer = await run_command(
            "tsuen-identity",
            "create-account",
            "--role=municipality_officer",
            f"--municipality={CHIYODA}",
            "--email=kodomo@city.example.jp",
            env=env,
        )
        assert officer.returncode == 0, officer.stderr
        for output in (staff.stdout, officer.stdout):
            assert "token" not in output
            assert "password/set" not in output

        again = await run_command(
            "tsuen-identity",
            "create-account",
            "--role=municipality_officer",
            f"--municipality={CHIYODA}",
            "--email=KODOMO@city.example.jp",
            env=env,
        )
        assert again.returncode == 1
        no_facility = await run_command(
            "tsuen-identity",
            "create-account",
            "--role=facility_staff",
            f"--municipality={CHIYODA}",
            "--email=x@example.jp",
            env=env,
        )
        assert no_facility.returncode == 2

        async def two_mails() -> bool:
            return len(stack.reader.of(AccountIssued)) == 2

        await eventually(two_mails, what="the two account mails")
        mails = {m.email: m for m in stack.reader.of(AccountIssued)}
        assert mails["hoikushi@kanda.example.jp"].role == "facility_staff"
        assert mails["kodomo@city.example.jp"].role == "municipality_officer"

        for email in mails:
            assert (await stack.set_password(token_of(mails[email].url))).status_code == 204
        verifier = await stack.verifier()

        body = (await stack.login("hoikushi@kanda.example.jp")).json()
        assert body["role"] == "facility_staff"
        assert body["facility_id"] == str(facility)
        assert body["guardian_id"] is None
        principal = verifier.verify(body["access_token"])
        assert principal.role is Role.FACILITY_STAFF
        assert principal.facility_id == str(facility)
        assert principal.municipality == CHIYODA

        # Officers finish with the second factor (test_second_factor.py): enrol, then a code.
        body = await stack.login_with_code("kodomo@city.example.jp")
        principal = verifier.verify(body["access_token"])
        assert principal.role is Role.MUNICIPALITY_OFFICER
        assert principal.facility_id is None


async def test_purge_deletes_spent_links_and_sessions_and_keeps_live_ones(
    kafka, topic_prefix, new_database, tmp_path
):
    url = await new_database("identity")
    async with identity_stack(kafka.bootstrap_servers, topic_prefix, url, tmp_path) as stack:
        _, token = await stack.new_guardian("tidy@example.jp")
        assert (await stack.set_password(token)).status_code == 204
        first = (await stack.login("tidy@example.jp")).json()
        rotated = await stack.client.post(
            "/v1/token/refresh", json={"refresh_token": first["refresh_token"]}
        )
        live = rotated.json()["refresh_token"]

        env = {"TSUEN_DATABASE_URL": url, "TSUEN_ARGON2_MEMORY_KIB": "8192"}
        purged = await run_command("tsuen-identity", "purge", "--days=0", env=env)
        assert purged.returncode == 0, purged.stderr
        assert "1 links, 1 refresh_tokens" in purged.stdout

        again = await stack.client.post("/v1/token/refresh", json={"refresh_token": live})
        assert again.status_code == 200
        assert (await stack.login("tidy@example.jp")).status_code == 200


async def test_an_officer_creates_staff_accounts_of_their_own_municipality_only(
    kafka, topic_prefix, new_database, tmp_path
):
    url = await new_database("identity")
    async with identity_stack(kafka.bootstrap_servers, topic_prefix, url, tmp_path) as stack:
        env = {
            "TSUEN_DATABASE_URL": url,
            "TSUEN_KAFKA_TOPIC_PREFIX": topic_prefix,
            "TSUEN_PORTAL_BASE_URL": PORTAL,
            "TSUEN_ARGON2_MEMORY_KIB": "8192",
        }
        made = await run_command(
            "tsuen-identity",
            "create-account",
            "--role=municipality_officer",
            f"--municipality={CHIYODA}",
            "--email=officer@city.example.jp",
            env=env,
        )
        assert made.returncode == 0, made.stderr

        async def mailed() -> bool:
            return len(stack.reader.of(AccountIssued)) == 1

        await eventually(mailed, what="the officer's account mail")
        (mail,) = stack.reader.of(AccountIssued)
        assert (await stack.set_password(token_of(mail.url))).status_code == 204
        officer = await stack.login_with_code("officer@city.example.jp")
        auth = {"Authorization": f"Bearer {officer['access_token']}"}

        facility = uuid.uuid4()
        created = await stack.client.post(
            f"/v1/municipalities/{CHIYODA}/accounts",
            json={
                "role": "facility_staff",
                "email": "new-staff@example.jp",
                "facility_id": str(facility),
            },
            headers=auth,
        )
        assert created.status_code == 201, created.text
        other_city = await stack.client.post(
            "/v1/municipalities/222135/accounts",
            json={"role": "municipality_officer", "email": "x@example.jp"},
            headers=auth,
        )
        assert other_city.status_code == 403
        taken = await stack.client.post(
            f"/v1/municipalities/{CHIYODA}/accounts",
            json={
                "role": "facility_staff",
                "email": "NEW-staff@example.jp",
                "facility_id": str(facility),
            },
            headers=auth,
        )
        assert taken.status_code == 409
        no_facility = await stack.client.post(
            f"/v1/municipalities/{CHIYODA}/accounts",
            json={"role": "facility_staff", "email": "y@example.jp"},
            headers=auth,
        )
        assert no_facility.status_code == 422

        _, token = await stack.new_guardian("parent@example.jp")
        assert (await stack.set_password(token)).status_code == 204
        parent = (await stack.login("parent@example.jp")).json()
        refused = await stack.client.post(
            f"/v1/municipalities/{CHIYODA}/accounts",
            json={"role": "municipality_officer", "email": "z@example.jp"},
            headers={"Authorization": f"Bearer {parent['access_token']}"},
        )
        assert refused.status_code == 403

        async def staff_mailed() -> bool:
            return any(m.email == "new-staff@example.jp" for m in stack.reader.of(AccountIssued))

        await eventually(staff_mailed, what="the new staff member's account mail")
