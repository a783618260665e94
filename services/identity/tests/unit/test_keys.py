"""The signing key file, its key id and the JWKS document."""

from __future__ import annotations

import json
import stat
from datetime import timedelta

import jwt
import pytest

from tsuen_common.auth import Principal, Role, TokenIssuer, TokenVerifier
from tsuen_identity.adapters.keys import SigningKey, generate_key_file, jwks


def test_gen_key_writes_a_private_file_only_its_owner_reads_and_never_overwrites(tmp_path):
    path = tmp_path / "signing.pem"
    kid = generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (tmp_path / "signing.pem.pub").exists()
    assert SigningKey.load(path).key_id == kid
    with pytest.raises(FileExistsError):
        generate_key_file(path)


def test_tokens_carry_the_kid_and_verify_with_the_published_key(tmp_path):
    generate_key_file(tmp_path / "new.pem")
    generate_key_file(tmp_path / "old.pem")
    key = SigningKey.load(tmp_path / "new.pem")
    document = jwks(key, [tmp_path / "old.pem.pub", tmp_path / "new.pem.pub"])
    assert next(k["kid"] for k in document["keys"]) == key.key_id
    assert len(document["keys"]) == 2  # the signing key is not listed twice
    assert {k["alg"] for k in document["keys"]} == {"ES256"}
    assert all("d" not in k for k in document["keys"])  # public parts only

    issuer = TokenIssuer(algorithm="ES256", key=key.private_key, key_id=key.key_id)
    principal = Principal(
        subject="g-1", role=Role.GUARDIAN, municipality="131016", guardian_id="g-1"
    )
    token = issuer.mint(principal, ttl=timedelta(minutes=10))
    assert jwt.get_unverified_header(token)["kid"] == key.key_id
    published = jwt.PyJWK(json.loads(json.dumps(document["keys"][0])))
    verifier = TokenVerifier(algorithm="ES256", key=published.key, issuer="tsuen", audience="tsuen")
    assert verifier.verify(token) == principal
