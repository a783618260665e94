from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from tsuen_common.auth import (
    AuthConfigError,
    Forbidden,
    InvalidToken,
    Principal,
    PrincipalDep,
    Role,
    TokenExpired,
    TokenIssuer,
    TokenVerifier,
    configure_auth,
    require_roles,
)
from tsuen_common.auth.cli import main as tsuen_token
from tsuen_common.auth.tokens import DEFAULT_LEEWAY, VERIFIED_CACHE_SIZE
from tsuen_common.settings import ServiceSettings

SECRET = "test-only-secret-0123456789abcdef0123456789"
CHIYODA = "131016"
MINATO = "131032"

GUARDIAN = Principal(subject="u-g1", role=Role.GUARDIAN, municipality=CHIYODA, guardian_id="G1")
STAFF = Principal(subject="u-s1", role=Role.FACILITY_STAFF, municipality=CHIYODA, facility_id="F1")
OFFICER = Principal(subject="u-o1", role=Role.MUNICIPALITY_OFFICER, municipality=CHIYODA)
ADMIN = Principal(subject="u-a1", role=Role.PLATFORM_ADMIN)


def hs256_settings(**overrides: object) -> ServiceSettings:
    values: dict[str, object] = {
        "jwt_algorithm": "HS256",
        "jwt_secret": SecretStr(SECRET),
        "jwt_public_key_file": None,
        "jwt_issuer": "tsuen",
        "jwt_audience": "tsuen",
        **overrides,
    }
    return ServiceSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def issuer() -> TokenIssuer:
    return TokenIssuer(algorithm="HS256", key=SECRET)


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier.from_settings(hs256_settings())


def raw_token(**claims: object) -> str:
    now = datetime.now(UTC)
    payload = {"iss": "tsuen", "aud": "tsuen", "iat": now, "exp": now + timedelta(minutes=5)}
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, SECRET, "HS256")


# --- verifying tokens -------------------------------------------------------------------------


@pytest.mark.parametrize("principal", [GUARDIAN, STAFF, OFFICER, ADMIN], ids=lambda p: p.role)
def test_a_valid_token_yields_its_principal(
    issuer: TokenIssuer, verifier: TokenVerifier, principal: Principal
) -> None:
    assert verifier.verify(issuer.mint(principal)) == principal


def test_an_expired_token_is_rejected(issuer: TokenIssuer, verifier: TokenVerifier) -> None:
    token = issuer.mint(
        GUARDIAN, ttl=timedelta(hours=1), now=datetime.now(UTC) - timedelta(hours=2)
    )
    with pytest.raises(TokenExpired, match="expired"):
        verifier.verify(token)


def test_a_token_for_another_audience_is_rejected(verifier: TokenVerifier) -> None:
    token = TokenIssuer(algorithm="HS256", key=SECRET, audience="someone-else").mint(GUARDIAN)
    with pytest.raises(InvalidToken, match="audience"):
        verifier.verify(token)


def test_a_token_from_another_issuer_is_rejected(verifier: TokenVerifier) -> None:
    token = TokenIssuer(algorithm="HS256", key=SECRET, issuer="elsewhere").mint(GUARDIAN)
    with pytest.raises(InvalidToken, match="issuer"):
        verifier.verify(token)


def test_a_token_signed_with_another_key_is_rejected(verifier: TokenVerifier) -> None:
    forged = TokenIssuer(algorithm="HS256", key=SECRET[::-1]).mint(ADMIN)
    with pytest.raises(InvalidToken, match="signature"):
        verifier.verify(forged)


def test_an_unsigned_token_is_rejected(verifier: TokenVerifier) -> None:
    unsigned = jwt.encode(
        {"sub": "x", "role": "platform_admin", "iss": "tsuen", "aud": "tsuen"}, None, "none"
    )
    with pytest.raises(InvalidToken):
        verifier.verify(unsigned)


def test_garbage_is_rejected(verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidToken, match="malformed"):
        verifier.verify("not-a-jwt")


def test_a_token_without_expiry_is_rejected(verifier: TokenVerifier) -> None:
    with pytest.raises(InvalidToken, match="'exp'"):
        verifier.verify(raw_token(sub="u", role="platform_admin", exp=None))


# --- the cache of verified tokens ------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).timestamp()

    def __call__(self) -> float:
        return self.now


def test_a_verified_token_still_expires_when_answered_from_the_cache(
    issuer: TokenIssuer,
) -> None:
    clock = Clock()
    verifier = TokenVerifier(
        algorithm="HS256", key=SECRET, issuer="tsuen", audience="tsuen", clock=clock
    )
    token = issuer.mint(GUARDIAN, ttl=timedelta(minutes=5))
    assert verifier.verify(token) == GUARDIAN
    clock.now += 4 * 60
    assert verifier.verify(token) == GUARDIAN  # from the cache, still valid
    clock.now += 60 + DEFAULT_LEEWAY.total_seconds() + 1
    with pytest.raises(TokenExpired, match="expired"):
        verifier.verify(token)


def test_a_refused_token_is_refused_every_time(verifier: TokenVerifier) -> None:
    forged = TokenIssuer(algorithm="HS256", key=SECRET[::-1]).mint(ADMIN)
    for _ in range(2):
        with pytest.raises(InvalidToken, match="signature"):
            verifier.verify(forged)


def test_the_cache_of_verified_tokens_is_bounded(
    issuer: TokenIssuer, verifier: TokenVerifier
) -> None:
    now = datetime.now(UTC)
    tokens = [
        issuer.mint(GUARDIAN, now=now - timedelta(seconds=i % 60), ttl=timedelta(minutes=i + 1))
        for i in range(VERIFIED_CACHE_SIZE + 10)
    ]
    assert len(set(tokens)) == len(tokens)
    for token in tokens:
        assert verifier.verify(token) == GUARDIAN
    assert len(verifier._verified) == VERIFIED_CACHE_SIZE
    assert tokens[0] not in verifier._verified  # the least recently used went first
    assert verifier.verify(tokens[0]) == GUARDIAN  # and verifies again from scratch


@pytest.mark.parametrize(
    ("claims", "missing"),
    [
        ({"role": "guardian", "municipality": CHIYODA}, "guardian_id"),
        ({"role": "guardian", "guardian_id": "G1"}, "municipality"),
        ({"role": "facility_staff", "municipality": CHIYODA}, "facility_id"),
        ({"role": "municipality_officer"}, "municipality"),
        ({"role": "municipality_officer", "municipality": "13101"}, "municipality"),
        ({"role": "municipality_officer", "municipality": 131016}, "municipality"),
        ({"role": "superuser"}, "role"),
    ],
)
def test_tenant_claims_must_fit_the_role(
    verifier: TokenVerifier, claims: dict[str, object], missing: str
) -> None:
    with pytest.raises(InvalidToken, match=f"claims are invalid: .*{missing}"):
        verifier.verify(raw_token(sub="u1", **claims))


def test_es256_tokens_verify_with_the_public_key_file(tmp_path: Path) -> None:
    private_key = ec.generate_private_key(ec.SECP256R1())
    private_file = tmp_path / "es256.pem"
    public_file = tmp_path / "es256.pub.pem"
    private_file.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_file.write_bytes(
        private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    issuer = TokenIssuer.from_private_key_file(private_file, algorithm="ES256")
    verifier = TokenVerifier.from_settings(
        hs256_settings(jwt_algorithm="ES256", jwt_secret=None, jwt_public_key_file=public_file)
    )

    assert verifier.verify(issuer.mint(STAFF)) == STAFF
    # An HS256 token must not pass by treating the public key as a shared secret.
    with pytest.raises(InvalidToken):
        verifier.verify(TokenIssuer(algorithm="HS256", key=SECRET).mint(STAFF))


# --- configuration ----------------------------------------------------------------------------


def test_without_a_secret_the_verifier_refuses_to_start() -> None:
    with pytest.raises(AuthConfigError, match="TSUEN_JWT_SECRET"):
        TokenVerifier.from_settings(hs256_settings(jwt_secret=None))


def test_without_a_public_key_file_the_verifier_refuses_to_start() -> None:
    with pytest.raises(AuthConfigError, match="TSUEN_JWT_PUBLIC_KEY_FILE"):
        TokenVerifier.from_settings(hs256_settings(jwt_algorithm="RS256"))


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(AuthConfigError, match="at least 32"):
        TokenVerifier.from_settings(hs256_settings(jwt_secret=SecretStr("short")))


def test_a_public_key_file_that_is_not_a_key_is_refused(tmp_path: Path) -> None:
    not_a_key = tmp_path / "key.pem"
    not_a_key.write_text("hello")
    with pytest.raises(AuthConfigError, match="not a PEM public key"):
        TokenVerifier.from_settings(
            hs256_settings(jwt_algorithm="RS256", jwt_public_key_file=not_a_key)
        )


# --- tenant rules -----------------------------------------------------------------------------


def test_principal_refuses_missing_tenant_claims() -> None:
    with pytest.raises(ValidationError, match="guardian_id"):
        Principal(subject="u", role=Role.GUARDIAN, municipality=CHIYODA)


def test_principal_is_immutable() -> None:
    with pytest.raises(ValidationError):
        OFFICER.municipality = MINATO  # type: ignore[misc]


@pytest.mark.parametrize(
    ("principal", "municipality", "allowed"),
    [
        (ADMIN, MINATO, True),
        (OFFICER, CHIYODA, True),
        (OFFICER, MINATO, False),
        (STAFF, CHIYODA, True),
        (STAFF, MINATO, False),
        (GUARDIAN, CHIYODA, True),
        (GUARDIAN, MINATO, False),
    ],
)
def test_municipality_access(principal: Principal, municipality: str, allowed: bool) -> None:
    assert principal.can_access_municipality(municipality) is allowed


@pytest.mark.parametrize(
    ("principal", "municipality", "facility", "allowed"),
    [
        (ADMIN, MINATO, "F9", True),
        (OFFICER, CHIYODA, "F9", True),
        (OFFICER, MINATO, "F1", False),
        (STAFF, CHIYODA, "F1", True),
        (STAFF, CHIYODA, "F2", False),
        # Facility ids are only unique within a municipality.
        (STAFF, MINATO, "F1", False),
        (GUARDIAN, CHIYODA, "F1", False),
    ],
)
def test_facility_access(
    principal: Principal, municipality: str, facility: str, allowed: bool
) -> None:
    assert principal.can_access_facility(municipality, facility) is allowed


@pytest.mark.parametrize(
    ("principal", "municipality", "guardian", "allowed"),
    [
        (ADMIN, MINATO, "G9", True),
        (OFFICER, CHIYODA, "G9", True),
        (OFFICER, MINATO, "G1", False),
        (GUARDIAN, CHIYODA, "G1", True),
        (GUARDIAN, CHIYODA, "G2", False),
        (GUARDIAN, MINATO, "G1", False),
        (STAFF, CHIYODA, "G1", False),
    ],
)
def test_guardian_access(
    principal: Principal, municipality: str, guardian: str, allowed: bool
) -> None:
    assert principal.can_access_guardian(municipality, guardian) is allowed


def test_require_variants_raise_forbidden() -> None:
    OFFICER.require_municipality(CHIYODA)
    STAFF.require_facility(CHIYODA, "F1")
    GUARDIAN.require_guardian(CHIYODA, "G1")
    with pytest.raises(Forbidden, match=MINATO):
        OFFICER.require_municipality(MINATO)
    with pytest.raises(Forbidden, match="F2"):
        STAFF.require_facility(CHIYODA, "F2")
    with pytest.raises(Forbidden, match="G2"):
        GUARDIAN.require_guardian(CHIYODA, "G2")


# --- FastAPI ----------------------------------------------------------------------------------


@pytest.fixture
def client(verifier: TokenVerifier) -> TestClient:
    app = FastAPI()
    configure_auth(app, verifier)

    @app.get("/me")
    async def me(principal: PrincipalDep) -> dict[str, str | None]:
        return {"role": principal.role, "municipality": principal.municipality}

    officers = require_roles(Role.MUNICIPALITY_OFFICER, Role.PLATFORM_ADMIN)

    @app.get("/municipalities/{code}/report")
    async def report(code: str, principal: Principal = Depends(officers)) -> dict[str, str]:
        principal.require_municipality(code)
        return {"municipality": code}

    return TestClient(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_401_with_a_bearer_challenge(client: TestClient) -> None:
    response = client.get("/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"] == "missing bearer token"


def test_another_scheme_is_401(client: TestClient) -> None:
    response = client.get("/me", headers={"Authorization": "Basic dTpw"})
    assert response.status_code == 401


def test_an_expired_token_is_401_with_the_reason(client: TestClient, issuer: TokenIssuer) -> None:
    token = issuer.mint(OFFICER, ttl=timedelta(seconds=-60))
    response = client.get("/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.json()["detail"] == "token has expired"


def test_an_invalid_token_is_401(client: TestClient) -> None:
    response = client.get("/me", headers=bearer("not-a-jwt"))
    assert response.status_code == 401
    assert response.json()["detail"] == "token is malformed"


def test_a_valid_token_reaches_the_route(client: TestClient, issuer: TokenIssuer) -> None:
    response = client.get("/me", headers=bearer(issuer.mint(GUARDIAN)))
    assert response.status_code == 200
    assert response.json() == {"role": "guardian", "municipality": CHIYODA}


def test_the_wrong_role_is_403(client: TestClient, issuer: TokenIssuer) -> None:
    response = client.get(f"/municipalities/{CHIYODA}/report", headers=bearer(issuer.mint(STAFF)))
    assert response.status_code == 403
    assert "facility_staff" in response.json()["detail"]


@pytest.mark.parametrize("principal", [OFFICER, ADMIN], ids=lambda p: p.role)
def test_the_right_role_is_200(
    client: TestClient, issuer: TokenIssuer, principal: Principal
) -> None:
    response = client.get(
        f"/municipalities/{CHIYODA}/report", headers=bearer(issuer.mint(principal))
    )
    assert response.status_code == 200


def test_another_municipality_is_403(client: TestClient, issuer: TokenIssuer) -> None:
    response = client.get(f"/municipalities/{MINATO}/report", headers=bearer(issuer.mint(OFFICER)))
    assert response.status_code == 403
    assert MINATO in response.json()["detail"]


def test_an_app_without_configure_auth_fails_loudly(issuer: TokenIssuer) -> None:
    app = FastAPI()

    @app.get("/me")
    async def me(principal: PrincipalDep) -> str:
        return principal.subject

    with pytest.raises(RuntimeError, match="configure_auth"):
        TestClient(app).get("/me", headers=bearer(issuer.mint(ADMIN)))


def test_require_roles_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require_roles()


# --- tsuen-token ------------------------------------------------------------------------------


def test_cli_mints_a_token_the_verifier_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], verifier: TokenVerifier
) -> None:
    monkeypatch.setenv("TSUEN_JWT_SECRET", SECRET)
    argv = ["mint", "--role", "guardian", "--municipality", CHIYODA, "--guardian-id", "G1"]

    assert tsuen_token(argv) == 0

    principal = verifier.verify(capsys.readouterr().out.strip())
    assert principal.role is Role.GUARDIAN
    assert principal.municipality == CHIYODA
    assert principal.guardian_id == "G1"


def test_cli_reads_the_secret_from_the_named_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], verifier: TokenVerifier
) -> None:
    monkeypatch.delenv("TSUEN_JWT_SECRET", raising=False)
    monkeypatch.setenv("DEV_SECRET", SECRET)
    argv = ["mint", "--role", "facility_staff", "--municipality", CHIYODA, "--facility-id", "F1"]

    assert tsuen_token([*argv, "--secret-env", "DEV_SECRET", "--ttl", "60"]) == 0

    assert verifier.verify(capsys.readouterr().out.strip()).facility_id == "F1"


def test_cli_without_a_secret_explains_what_to_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TSUEN_JWT_SECRET", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        tsuen_token(["mint", "--role", "platform_admin"])
    assert exit_info.value.code == 2
    assert "TSUEN_JWT_SECRET is not set" in capsys.readouterr().err


def test_cli_refuses_a_guardian_without_guardian_id(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TSUEN_JWT_SECRET", SECRET)
    with pytest.raises(SystemExit):
        tsuen_token(["mint", "--role", "guardian", "--municipality", CHIYODA])
    assert "guardian_id" in capsys.readouterr().err


def test_refusals_carry_a_code_and_a_japanese_message(
    client: TestClient, issuer: TokenIssuer
) -> None:
    """Every 401 and 403 has the shared body: what a portal shows a person is Japanese."""
    missing = client.get("/me").json()
    assert missing["code"] == "unauthenticated"
    assert "ログイン" in missing["message_ja"]
    wrong_role = client.get("/municipalities/131016/report", headers=bearer(issuer.mint(GUARDIAN)))
    assert wrong_role.status_code == 403
    assert wrong_role.json()["code"] == "forbidden"
    assert "権限" in wrong_role.json()["message_ja"]
    other_town = client.get("/municipalities/222135/report", headers=bearer(issuer.mint(OFFICER)))
    assert other_town.status_code == 403
    assert other_town.json()["message_ja"]
