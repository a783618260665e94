"""Guardian accounts from eligibility's certifications: the account mail's link sets the
password, the password logs in, and the access token verifies against the published JWKS."""

from __future__ import annotations

import uuid

from tests.integration.conftest import eventually
from tests.integration.identity.harness import CHIYODA, identity_stack, token_of
from tsuen_common.auth import Principal, Role
from tsuen_common.events.eligibility import CertificationChanged
from tsuen_common.events.identity import AccountIssued


async def test_a_certified_guardian_gets_an_account_mail_and_logs_in(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        guardian = uuid.uuid4()
        first = await stack.certify(guardian, "Hanako@Example.jp")
        (mail,) = await stack.issued(guardian)
        assert mail.email == "hanako@example.jp"
        assert mail.role == "guardian"
        (envelope,) = stack.reader.envelopes(AccountIssued)
        assert envelope.municipality == CHIYODA
        assert envelope.producer == "identity"
        lifetime = mail.expires_at - envelope.occurred_at
        assert 71 * 3600 < lifetime.total_seconds() <= 72 * 3600

        # A sibling: same guardian id, a second child. No second account and no second mail.
        sibling = await stack.certify(guardian, "hanako@example.jp")

        response = await stack.set_password(token_of(mail.url))
        assert response.status_code == 204, response.text

        response = await stack.login("  HANAKO@example.JP ")
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == 600
        assert body["role"] == "guardian"
        assert body["municipality"] == CHIYODA
        assert body["guardian_id"] == str(guardian)
        assert body["refresh_token"]

        principal = (await stack.verifier()).verify(body["access_token"])
        assert principal == Principal(
            subject=str(guardian),
            role=Role.GUARDIAN,
            municipality=CHIYODA,
            guardian_id=str(guardian),
        )

        auth = {"Authorization": f"Bearer {body['access_token']}"}

        async def both_children() -> bool:
            me = await stack.client.get("/v1/me", headers=auth)
            return {c["child_id"] for c in me.json()["children"]} == {
                str(first.child_id),
                str(sibling.child_id),
            }

        await eventually(both_children, what="the sibling on the account")
        assert len(await stack.issued(guardian)) == 1

        jwks = await stack.client.get("/.well-known/jwks.json")
        assert jwks.json()["keys"][0]["kid"]
        assert "d" not in jwks.json()["keys"][0]


async def test_a_confirmed_new_email_becomes_the_login_id(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        guardian, token = await stack.new_guardian("old@example.jp")
        assert (await stack.set_password(token)).status_code == 204
        child = uuid.uuid4()
        await stack.publish(
            CertificationChanged(
                certification_id=uuid.uuid4(),
                child_id=child,
                guardian_id=guardian,
                guardian_email="New@example.jp",
                changed_fields=["guardian_email"],
            )
        )

        async def moved() -> bool:
            return (await stack.login("new@example.jp")).status_code == 200

        await eventually(moved, what="login with the new address")
        old = await stack.login("old@example.jp")
        assert old.status_code == 401


async def test_an_email_already_used_by_another_account_never_attaches_the_child(
    kafka, topic_prefix, new_database, tmp_path
):
    """Issue 12: accounts are keyed by identity; an address match alone attaches nothing."""
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        owner, token = await stack.new_guardian("shared@example.jp")
        assert (await stack.set_password(token)).status_code == 204
        stranger = uuid.uuid4()
        await stack.certify(stranger, "shared@example.jp")
        later, _ = await stack.new_guardian("later@example.jp")  # the consumer moved on
        assert later != owner
        login = (await stack.login("shared@example.jp")).json()
        me = await stack.client.get(
            "/v1/me", headers={"Authorization": f"Bearer {login['access_token']}"}
        )
        assert len(me.json()["children"]) == 1
        assert [m for m in stack.reader.of(AccountIssued) if m.account_id == stranger] == []
