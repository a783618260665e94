"""Refresh tokens rotate; a reused one ends every session; logout and logout-all."""

from __future__ import annotations

from tests.integration.identity.harness import identity_stack


async def test_refresh_rotates_and_logout_all_ends_every_session(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        guardian, token = await stack.new_guardian("sessions@example.jp")
        assert (await stack.set_password(token)).status_code == 204
        phone = (await stack.login("sessions@example.jp")).json()
        laptop = (await stack.login("sessions@example.jp")).json()

        rotated = await stack.client.post(
            "/v1/token/refresh", json={"refresh_token": phone["refresh_token"]}
        )
        assert rotated.status_code == 200
        assert rotated.headers["cache-control"] == "no-store"
        phone2 = rotated.json()
        assert phone2["refresh_token"] != phone["refresh_token"]
        assert (await stack.verifier()).verify(phone2["access_token"]).guardian_id == str(guardian)

        # Logging out one session leaves the other.
        out = await stack.client.post("/v1/logout", json={"refresh_token": laptop["refresh_token"]})
        assert out.status_code == 204
        dead = await stack.client.post(
            "/v1/token/refresh", json={"refresh_token": laptop["refresh_token"]}
        )
        assert dead.status_code == 401
        assert dead.json()["code"] == "invalid_refresh_token"

        tablet = (await stack.login("sessions@example.jp")).json()
        everywhere = await stack.client.post(
            "/v1/logout-all", headers={"Authorization": f"Bearer {phone2['access_token']}"}
        )
        assert everywhere.status_code == 204
        for session in (phone2, tablet):
            refused = await stack.client.post(
                "/v1/token/refresh", json={"refresh_token": session["refresh_token"]}
            )
            assert refused.status_code == 401
        assert (await stack.login("sessions@example.jp")).status_code == 200


async def test_a_refresh_token_used_twice_ends_every_session(
    kafka, topic_prefix, new_database, tmp_path
):
    async with identity_stack(
        kafka.bootstrap_servers, topic_prefix, await new_database("identity"), tmp_path
    ) as stack:
        _, token = await stack.new_guardian("stolen@example.jp")
        assert (await stack.set_password(token)).status_code == 204
        first = (await stack.login("stolen@example.jp")).json()
        second = (
            await stack.client.post(
                "/v1/token/refresh", json={"refresh_token": first["refresh_token"]}
            )
        ).json()
        replay = await stack.client.post(
            "/v1/token/refresh", json={"refresh_token": first["refresh_token"]}
        )
        assert replay.status_code == 401
        legit = await stack.client.post(
            "/v1/token/refresh", json={"refresh_token": second["refresh_token"]}
        )
        assert legit.status_code == 401
