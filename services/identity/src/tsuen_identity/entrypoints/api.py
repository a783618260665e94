"""The JSON API: parse, call a use case, map domain errors to 4xx.

Every answer under /v1 carries ``Cache-Control: no-store`` (app.py): tokens and personal data
must not stay in a browser's or a proxy's cache.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, FastAPI, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tsuen_common import errors
from tsuen_common.auth import MunicipalityCode, OfficerDep, Principal, PrincipalDep, Role
from tsuen_common.errors import error_body
from tsuen_common.events.envelope import EmailAddress
from tsuen_common.problems import error_responses
from tsuen_common.timeutil import now_jst
from tsuen_identity.domain.errors import IdentityError, TooManyAttempts
from tsuen_identity.domain.passwords import MAX_LENGTH
from tsuen_identity.domain.throttle import retry_after_seconds
from tsuen_identity.entrypoints.deps import ClientDep, IdentityDep
from tsuen_identity.service_layer import accounts, login, second_factor
from tsuen_identity.service_layer.login import Tokens

router = APIRouter(prefix="/v1", tags=["identity"])


def install_error_handlers(app: FastAPI) -> None:
    """Domain errors become 4xx with a stable ``code`` and messages in English and Japanese."""

    async def identity_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, IdentityError)
        headers = {"Cache-Control": "no-store"}
        if isinstance(exc, TooManyAttempts):
            headers["Retry-After"] = str(retry_after_seconds(exc.until, now_jst()))
        return JSONResponse(
            status_code=exc.status,
            content=error_body(str(exc), exc.code, exc.message_ja),
            headers=headers,
        )

    app.add_exception_handler(IdentityError, identity_error)


# What each route can answer besides its success: every route may meet a database restart
# or load shedding (503); a body can be unreadable (400), too large (413) or malformed (422).
_BODY = (400, 413, 422, 503)

# --- schemas ----------------------------------------------------------------------------------

Password = Field(min_length=1, max_length=MAX_LENGTH * 4)
Email = Field(min_length=3, max_length=320)


class TokenIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)


class SetPasswordIn(TokenIn):
    password: str = Password


class LinkOut(BaseModel):
    purpose: Literal["set", "reset"]
    expires_at: datetime


class LoginIn(BaseModel):
    email: str = Email
    password: str = Password


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class ResetRequestIn(BaseModel):
    email: str = Email


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - RFC 6749 token type
    expires_in: int
    refresh_token: str
    account_id: uuid.UUID
    role: str
    municipality: str | None
    guardian_id: uuid.UUID | None = None
    facility_id: uuid.UUID | None = None


class EnrolmentOut(BaseModel):
    secret: str = Field(description="base32, for typing into an authenticator app")
    otpauth_uri: str = Field(description="otpauth://totp/… for the QR code")


class SecondFactorOut(BaseModel):
    """202: the password was right; send the code with the challenge to finish logging in."""

    second_factor: Literal["totp"] = "totp"
    challenge: str
    expires_in: int
    account_id: uuid.UUID
    enrolment: EnrolmentOut | None = Field(
        default=None, description="present until an authenticator app is confirmed"
    )


class SecondFactorIn(BaseModel):
    challenge: str = Field(min_length=1, max_length=200)
    code: str = Field(min_length=1, max_length=20)


class AccountIn(BaseModel):
    role: Literal["facility_staff", "municipality_officer"]
    email: EmailAddress = Email
    facility_id: uuid.UUID | None = None


class AccountCreatedOut(BaseModel):
    account_id: uuid.UUID


class ChildOut(BaseModel):
    child_id: uuid.UUID
    certification_id: uuid.UUID
    municipality: str


class MeOut(BaseModel):
    account_id: uuid.UUID
    email: str
    role: str
    municipality: str | None
    guardian_id: uuid.UUID | None
    facility_id: uuid.UUID | None
    children: list[ChildOut]


def _token_out(tokens: Tokens) -> TokenOut:
    account = tokens.account
    principal = account.principal()
    return TokenOut(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        account_id=account.id,
        role=str(account.role),
        municipality=account.municipality,
        guardian_id=uuid.UUID(principal.guardian_id) if principal.guardian_id else None,
        facility_id=account.facility_id,
    )


# --- routes -----------------------------------------------------------------------------------


@router.post(
    "/login",
    response_model=TokenOut | SecondFactorOut,
    responses={
        202: {"model": SecondFactorOut, "description": "the second factor is needed"},
        **error_responses(401, 429, *_BODY),
    },
)
async def post_login(
    body: LoginIn, identity: IdentityDep, client: ClientDep, response: Response
) -> TokenOut | SecondFactorOut:
    """Log in with the e-mail address and password. The same 401 for an unknown address and a
    wrong password; 429 with Retry-After while the address or the client is locked. For a role
    with a second factor (officers): 202 with a challenge, then ``/login/second-factor``."""
    outcome = await login.login(identity, body.email, body.password, client=client)
    if isinstance(outcome, login.SecondFactorNeeded):
        response.status_code = status.HTTP_202_ACCEPTED
        enrolment = outcome.enrolment
        return SecondFactorOut(
            challenge=outcome.challenge,
            expires_in=outcome.expires_in,
            account_id=outcome.account.id,
            enrolment=EnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)
            if enrolment
            else None,
        )
    return _token_out(outcome)


@router.post(
    "/login/second-factor",
    response_model=TokenOut,
    responses=error_responses(401, 410, 429, *_BODY),
)
async def post_second_factor(
    body: SecondFactorIn, identity: IdentityDep, client: ClientDep
) -> TokenOut:
    """The authenticator app's 6-digit code for the login's challenge. 401 for a wrong code
    (counted towards the lockout like a wrong password); 410 when the challenge is unknown,
    used, expired or out of tries (log in again)."""
    return _token_out(
        await second_factor.complete(identity, body.challenge, body.code, client=client)
    )


@router.post("/token/refresh", response_model=TokenOut, responses=error_responses(401, *_BODY))
async def post_refresh(body: RefreshIn, identity: IdentityDep) -> TokenOut:
    """Spend a refresh token for a new pair. A refresh token works once."""
    return _token_out(await login.refresh(identity, body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(*_BODY))
async def post_logout(body: RefreshIn, identity: IdentityDep) -> Response:
    """End one session (its refresh token). Unknown tokens are fine: the result is the same."""
    await login.logout(identity, body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


NO_ACCOUNT_JA = "アカウントが見つかりませんでした。もう一度ログインしてください。"


def _account_id(principal: Principal) -> uuid.UUID:
    """The caller's account: identity's tokens carry its id as the subject. A token from
    elsewhere (a dev token, another issuer) names no account here: 404, not a 500."""
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        raise errors.NotFound("no such account", message_ja=NO_ACCOUNT_JA) from None


@router.post(
    "/logout-all",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 404, 503),
)
async def post_logout_all(principal: PrincipalDep, identity: IdentityDep) -> Response:
    """End every session of the caller's account. Access tokens already issued run out within
    their lifetime (10 minutes by default)."""
    await login.logout_all(identity, _account_id(principal))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    response_model=MeOut,
    responses=error_responses(401, 404, 503),
)
async def get_me(principal: PrincipalDep, identity: IdentityDep) -> MeOut:
    """The caller's account and, for a guardian, the certified children on it."""
    found = await login.profile(identity, _account_id(principal))
    if found is None:
        raise errors.NotFound("no such account", message_ja=NO_ACCOUNT_JA)
    account = found.account
    return MeOut(
        account_id=account.id,
        email=account.email,
        role=str(account.role),
        municipality=account.municipality,
        guardian_id=uuid.UUID(p) if (p := account.principal().guardian_id) else None,
        facility_id=account.facility_id,
        children=[
            ChildOut(
                child_id=c.child_id,
                certification_id=c.certification_id,
                municipality=c.municipality,
            )
            for c in found.children
        ],
    )


@router.post(
    "/password/check-link",
    response_model=LinkOut,
    responses=error_responses(404, 410, *_BODY),
)
async def post_check_link(body: TokenIn, identity: IdentityDep) -> LinkOut:
    """Whether a set-password/reset link still works (before showing the password form)."""
    info = await accounts.check_link(identity, body.token)
    return LinkOut(purpose=info.purpose.value, expires_at=info.expires_at)


@router.post(
    "/password/set",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(404, 410, *_BODY),
)
async def post_set_password(body: SetPasswordIn, identity: IdentityDep) -> Response:
    """Set the password with the one-time link from the account or reset mail. Ends every
    other open link and every session of the account."""
    await accounts.set_password(identity, body.token, body.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class ResetRequestedOut(BaseModel):
    detail: str
    message_ja: str


@router.post(
    "/password/reset-request",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ResetRequestedOut,
    responses=error_responses(*_BODY),
)
async def post_reset_request(
    body: ResetRequestIn, identity: IdentityDep, client: ClientDep
) -> ResetRequestedOut:
    """Always 202, whether or not the address has an account or the request was limited."""
    await accounts.request_reset(identity, body.email, client=client)
    return ResetRequestedOut(
        detail="if an account has this e-mail address, a link to set a new password is on its way",
        message_ja="このメールアドレスのアカウントがある場合は、パスワード再設定用のリンクを"
        "お送りしました。メールをご確認ください。",
    )


@router.post(
    "/municipalities/{municipality}/accounts",
    status_code=status.HTTP_201_CREATED,
    response_model=AccountCreatedOut,
    responses=error_responses(401, 403, 409, *_BODY),
)
async def post_account(
    body: AccountIn,
    principal: OfficerDep,
    identity: IdentityDep,
    municipality: MunicipalityCode,
) -> AccountCreatedOut:
    """An officer creates a staff or officer account of their municipality; the holder gets
    the set-password link by mail (identity.AccountIssued)."""
    principal.require_municipality(municipality)
    role = Role(body.role)
    if (role is Role.FACILITY_STAFF) != (body.facility_id is not None):
        raise errors.Invalid(
            "facility_id is required for facility_staff and only for it",
            message_ja="施設職員のアカウントには施設を指定してください（市区町村職員には指定しません）。",
        )
    account_id = await accounts.create_account(
        identity,
        role=role,
        municipality=municipality,
        email=body.email,
        facility_id=body.facility_id,
        actor=principal.subject,
    )
    return AccountCreatedOut(account_id=account_id)
