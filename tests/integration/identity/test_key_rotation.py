"""Identity served as a process over HTTP; another service's TokenVerifier, configured only
with TSUEN_JWT_JWKS_URL, verifies its tokens, and keeps verifying across a key rotation
without being rebuilt."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import eventually
from tests.integration.identity.harness import identity_stack
from tests.integration.testbed import free_port
from tsuen_common.auth import Role, TokenVerifier
from tsuen_common.settings import ServiceSettings
from tsuen_identity.adapters.keys import generate_key_file

BIN = Path(sys.executable).parent


@contextlib.contextmanager
def _serve(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``tsuen-identity serve`` as an operator runs it."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "tsuen-identity"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def _tail(log: Path) -> str:
    return log.read_text()[-3000:]


async def _up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async def healthy() -> bool:
        if process.poll() is not None:
            pytest.fail(f"tsuen-identity serve exited:\n{_tail(log)}")
        async with httpx.AsyncClient(timeout=2.0) as client:
            with contextlib.suppress(httpx.HTTPError):
                return (await client.get(f"{base}/healthz")).status_code == 200
        return False

    await eventually(healthy, within=60, what="identity /healthz")


async def test_verifiers_follow_a_key_rotation_through_the_jwks(
    kafka, topic_prefix, new_database, tmp_path
):
    url = await new_database("identity")
    async with identity_stack(kafka.bootstrap_servers, topic_prefix, url, tmp_path) as stack:
        _, token = await stack.new_guardian("rotation@example.jp")
        assert (await stack.set_password(token)).status_code == 204

    old_key = tmp_path / "identity-signing.pem"  # the stack's key
    new_key = tmp_path / "identity-2027.pem"
    generate_key_file(new_key)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "TSUEN_DATABASE_URL": url,
        "TSUEN_IDENTITY_SIGNING_KEY_FILE": str(old_key),
        "TSUEN_ARGON2_TIME_COST": "1",
        "TSUEN_ARGON2_MEMORY_KIB": "8192",
        "TSUEN_ARGON2_PARALLELISM": "1",
    }
    # Another service's verifier: nothing but the JWKS address.
    verifier = TokenVerifier.from_settings(
        ServiceSettings(jwt_algorithm="ES256", jwt_jwks_url=f"{base}/.well-known/jwks.json")
    )
    login = {"email": "rotation@example.jp", "password": "correct horse battery staple"}

    with _serve(env, port, tmp_path / "before.log") as process:
        await _up(base, process, tmp_path / "before.log")
        async with httpx.AsyncClient(base_url=base) as client:
            before = (await client.post("/v1/login", json=login)).json()["access_token"]
        assert verifier.verify(before).role is Role.GUARDIAN

    # Rotation: sign with the new key, keep publishing the old one.
    rotated = {
        **env,
        "TSUEN_IDENTITY_SIGNING_KEY_FILE": str(new_key),
        "TSUEN_IDENTITY_PUBLISHED_KEY_FILES": f'["{old_key}.pub"]',
    }
    with _serve(rotated, port, tmp_path / "after.log") as process:
        await _up(base, process, tmp_path / "after.log")
        async with httpx.AsyncClient(base_url=base) as client:
            keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
            after = (await client.post("/v1/login", json=login)).json()["access_token"]
        assert len(keys) == 2
        # The same verifier object: it meets the new kid and fetches the JWKS again.
        assert verifier.verify(after).role is Role.GUARDIAN
        assert verifier.verify(before).role is Role.GUARDIAN
