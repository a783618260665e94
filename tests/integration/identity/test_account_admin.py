"""An officer manages the municipality's staff and officer accounts (issue 16): invites a
staff member (the set-password mail), lists the accounts with their status, disables one (the
holder's login answers like a wrong password, every refresh token dies at once, no reset mail)
and enables it again; all of it in the audit trail with the officer's id. An officer cannot
disable themselves; another municipality's account or a guardian's is a 404 like a missing one."""

from __future__ import annotations

import uuid

from tests.integration.conftest import eventually
from tests.integration.identity.harness import CHIYODA, Stack, identity_stack, token_of
from tsuen_common.auth import Role
from tsuen_common.events.identity import AccountIssued, PasswordResetRequested
from tsuen_identity.service_layer import accounts
from tsuen_identity.service_layer.wiring import build_identity

KAKEGAWA = "222135"


async def mail_of(stack: Stack, account_id: uuid.UUID) -> AccountIssued:
    async def mailed() -> bool:
        return any(m.account_id == account_id for m in stack.reader.of(AccountIssued))

    await eventually(mailed, what="the account mail")
    (mail,) = [m for m in stack.reader.of(AccountIssued) if m.account_id == account_id]
    return mail


async def officer(stack: Stack, email: str, municipality: str) -> tuple[uuid.UUID, dict[str, str]]:
    """An officer made by the operator command's use case, logged in with the second factor."""
    account_id = await accounts.create_account(
        build_identity(stack.settings, stack.app.state.engine),
        role=Role.MUNICIPALITY_OFFICER,
        municipality=municipality,
        email=email,
    )
    mail = await mail_of(stack, account_id)
    assert (await stack.set_password(token_of(mail.url))).status_code == 204
    tokens = await stack.login_with_code(email)
    return account_id, {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_an_officer_invites_disables_and_enables_a_staff_account(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        officer_id, auth = await officer(stack, "kakari@city.example.jp", CHIYODA)
        accounts_path = f"/v1/municipalities/{CHIYODA}/accounts"
        facility = uuid.uuid4()
        invited = await stack.client.post(
            accounts_path,
            json={
                "role": "facility_staff",
                "email": "Hoiku@Example.jp",
                "facility_id": str(facility),
            },
            headers=auth,
        )
        assert invited.status_code == 201, invited.text
        staff_id = uuid.UUID(invited.json()["account_id"])

        listed = (await stack.client.get(accounts_path, headers=auth)).json()
        by_id = {a["account_id"]: a for a in listed}
        assert by_id[str(staff_id)]["status"] == "invited"
        assert by_id[str(staff_id)]["facility_id"] == str(facility)
        assert by_id[str(staff_id)]["email"] == "hoiku@example.jp"
        assert by_id[str(officer_id)]["status"] == "active"

        mail = await mail_of(stack, staff_id)
        assert (await stack.set_password(token_of(mail.url))).status_code == 204
        session = (await stack.login("hoiku@example.jp")).json()
        listed = (await stack.client.get(accounts_path, headers=auth)).json()
        assert {a["account_id"]: a["status"] for a in listed}[str(staff_id)] == "active"

        disabled = await stack.client.post(f"{accounts_path}/{staff_id}/disable", headers=auth)
        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["status"] == "disabled"
        assert disabled.json()["disabled_at"]
        # Twice is the same answer and no second audit entry.
        again = await stack.client.post(f"{accounts_path}/{staff_id}/disable", headers=auth)
        assert again.json()["status"] == "disabled"

        # Every refresh token died at once: the portal's session ends at its next refresh.
        refreshed = await stack.client.post(
            "/v1/token/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert refreshed.status_code == 401
        # The right password answers exactly like a wrong one.
        right = await stack.login("hoiku@example.jp")
        wrong = await stack.login("hoiku@example.jp", "not the password at all")
        assert right.status_code == wrong.status_code == 401
        assert right.json() == wrong.json()
        # No reset mail for a disabled account (a new password must not reopen it).
        reset = await stack.client.post(
            "/v1/password/reset-request", json={"email": "hoiku@example.jp"}
        )
        assert reset.status_code == 202

        enabled = await stack.client.post(f"{accounts_path}/{staff_id}/enable", headers=auth)
        assert enabled.status_code == 200
        assert enabled.json()["status"] == "active"
        assert enabled.json()["disabled_at"] is None
        assert (await stack.login("hoiku@example.jp")).status_code == 200
        assert [
            m for m in stack.reader.of(PasswordResetRequested) if m.account_id == staff_id
        ] == []

        trail = (
            await stack.client.get(f"/v1/municipalities/{CHIYODA}/account-audit", headers=auth)
        ).json()
        assert [(e["action"], e["actor"], e["email"]) for e in trail] == [
            ("account.enabled", str(officer_id), "hoiku@example.jp"),
            ("account.disabled", str(officer_id), "hoiku@example.jp"),
            ("account.invited", str(officer_id), "hoiku@example.jp"),
            ("account.invited", "command", "kakari@city.example.jp"),  # the operator's command
        ]


async def test_accounts_outside_the_officers_reach_are_not_found_and_self_is_refused(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        chiyoda_id, chiyoda = await officer(stack, "chiyoda@city.example.jp", CHIYODA)
        _, kakegawa = await officer(stack, "kakegawa@city.example.jp", KAKEGAWA)
        invited = await stack.client.post(
            f"/v1/municipalities/{CHIYODA}/accounts",
            json={
                "role": "facility_staff",
                "email": "kanda@example.jp",
                "facility_id": str(uuid.uuid4()),
            },
            headers=chiyoda,
        )
        staff_id = invited.json()["account_id"]
        guardian_id, _ = await stack.new_guardian("parent@example.jp")

        own = f"/v1/municipalities/{KAKEGAWA}/accounts"
        for target in (staff_id, chiyoda_id, guardian_id, uuid.uuid4()):
            for action in ("disable", "enable"):
                refused = await stack.client.post(f"{own}/{target}/{action}", headers=kakegawa)
                assert refused.status_code == 404, (target, action, refused.text)
                assert refused.json()["message_ja"]
        # A guardian of the officer's own municipality is not an account managed here either.
        guardian = await stack.client.post(
            f"/v1/municipalities/{CHIYODA}/accounts/{guardian_id}/disable", headers=chiyoda
        )
        assert guardian.status_code == 404
        # Another municipality's code: refused as for creating accounts.
        other = await stack.client.post(
            f"/v1/municipalities/{CHIYODA}/accounts/{staff_id}/disable", headers=kakegawa
        )
        assert other.status_code == 403
        listed = (await stack.client.get(own, headers=kakegawa)).json()
        assert [a["email"] for a in listed] == ["kakegawa@city.example.jp"]
        assert (
            await stack.client.get(f"/v1/municipalities/{CHIYODA}/accounts", headers=kakegawa)
        ).status_code == 403

        myself = await stack.client.post(
            f"/v1/municipalities/{CHIYODA}/accounts/{chiyoda_id}/disable", headers=chiyoda
        )
        assert myself.status_code == 409
        assert myself.json()["code"] == "cannot_disable_self"
        assert "ご自身のアカウント" in myself.json()["message_ja"]
        # Nothing of this reached the audit trail but the invitation.
        trail = (
            await stack.client.get(f"/v1/municipalities/{CHIYODA}/account-audit", headers=chiyoda)
        ).json()
        assert [(e["action"], e["email"]) for e in trail] == [
            ("account.invited", "kanda@example.jp"),
            ("account.invited", "chiyoda@city.example.jp"),
        ]
