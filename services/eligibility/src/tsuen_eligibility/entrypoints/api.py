"""HTTP routes: parse, authorise, call a use case. Errors become 4xx with the use case's message."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, EmailStr, StringConstraints, ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from tsuen_common.age import InvalidBirthDate, age_window, is_eligible_by_age, validate_birth_date
from tsuen_common.auth import Forbidden, MunicipalityCode, OfficerDep, Principal, PrincipalDep, Role
from tsuen_common.problems import error_responses
from tsuen_eligibility.config import Settings
from tsuen_eligibility.domain.attachments import content_disposition
from tsuen_eligibility.entrypoints.schemas import (
    AgeWindowOut,
    ApplicationOut,
    ApplicationSummaryOut,
    ApprovedOut,
    AuditOut,
    CertificationOut,
    ChangedOut,
    DeclinedOut,
    EmailConfirmedOut,
    ImportedOut,
    LinkIssuedOut,
    MunicipalityOut,
    RejectedOut,
    ReplayOut,
    RevokedOut,
    RoundOut,
    SubmittedOut,
    TierOut,
)
from tsuen_eligibility.service_layer import (
    application_links,
    approval,
    attachments,
    audit_trail,
    certifications,
    guardians,
    lottery,
    priority_tiers,
    registries,
    rejection,
    review,
    submission,
)
from tsuen_eligibility.service_layer.commands import (
    ApplicationForm,
    ApproveRequest,
    ChangeRequest,
    EnrollmentIn,
    OpenRoundRequest,
    PriorityTierRequest,
    RejectRequest,
    ReplayRequest,
    ResidentRecordIn,
    RevokeRequest,
)
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.errors import Invalid

ApplicationStatus = Literal[
    "pending", "waitlisted", "approved", "rejected", "withdrawn", "not_selected"
]


# async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
async def get_ctx(request: Request) -> Eligibility:
    ctx: Eligibility = request.app.state.eligibility
    return ctx


CtxDep = Annotated[Eligibility, Depends(get_ctx)]


# What each kind of route can answer besides its success (the OpenAPI ``responses``). Every
# route may meet a database restart or load shedding (503); a body can be unreadable (400: not
# UTF-8 JSON) or too large (413); an unknown municipality code is a 404.
PUBLIC_READ = error_responses(404, 422, 503)
PUBLIC_FORM = error_responses(400, 404, 409, 410, 413, 415, 422, 429, 503)
READ = error_responses(401, 403, 404, 422, 503)
CHANGE = error_responses(400, 401, 403, 404, 409, 413, 422, 503)
# Exactly the keys each use case gives (a round shows its order only once drawn): see schemas.
TYPED: dict[str, Any] = {"response_model_exclude_unset": True}


def officer_of(principal: Principal, municipality: str) -> str:
    """The officer's subject for the audit trail; 403 if the municipality is not theirs."""
    principal.require_municipality(municipality)
    return principal.subject


def _unprocessable(field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", field), "msg": message, "type": "value_error"}]
    )


def _parse_day(field: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _unprocessable(
            field, f"{field} must be a calendar date written YYYY-MM-DD, got {value!r}"
        ) from None


# ---------------------------------------------------------------- public

public = APIRouter(prefix="/v1", tags=["public"])


@public.get(
    "/eligibility/age-window",
    summary="The age window of a child (0歳6か月 to 満3歳の前々日, 民法143条)",
    response_model=AgeWindowOut,
    responses=error_responses(422, 503),
    **TYPED,
)
async def get_age_window(
    ctx: CtxDep,
    birth_date: Annotated[str, Query(description="YYYY-MM-DD, not after today (JST)")],
    on: Annotated[str | None, Query(description="a use date, YYYY-MM-DD")] = None,
) -> dict[str, Any]:
    birth = _parse_day("birth_date", birth_date)
    try:
        window = age_window(validate_birth_date(birth, ctx.today()))
    except InvalidBirthDate as exc:
        raise _unprocessable("birth_date", f"{exc}; a child must already be born") from None
    body: dict[str, Any] = {
        "first_usable_day": window.first_usable_day.isoformat(),
        "last_usable_day": window.last_usable_day.isoformat(),
    }
    if on is not None:
        body["eligible_by_age"] = is_eligible_by_age(birth, _parse_day("on", on))
    return body


@public.get(
    "/municipalities",
    summary="The municipalities on the platform: where to apply, and what each publishes",
    response_model=list[MunicipalityOut],
    responses=error_responses(503),
    **TYPED,
)
async def municipalities(ctx: CtxDep) -> list[dict[str, Any]]:
    """For the portal's first page (都道府県 → 市区町村): the phase of each application period
    and the dates the municipality publishes."""
    today = ctx.today()
    out = []
    for policy in sorted(ctx.policies, key=lambda p: p.code):
        rule = policy.eligibility
        out.append(
            {
                "code": policy.code,
                "name": policy.name,
                "name_kana": policy.name_kana,
                "prefecture": policy.prefecture,
                "phase": str(rule.application_phase(today)),
                "applications_open_on": rule.applications_open_on,
                "applications_close_on": rule.applications_close_on,
                "key_dates": [d.model_dump() for d in rule.key_dates],
            }
        )
    return out


class LinkRequest(BaseModel):
    email: EmailStr


@public.post(
    "/municipalities/{code}/application-links",
    status_code=status.HTTP_202_ACCEPTED,
    summary="利用申請: e-mail a one-time application link",
    response_model=LinkIssuedOut,
    responses=PUBLIC_FORM,
    **TYPED,
)
async def request_link(
    code: MunicipalityCode, body: LinkRequest, request: Request, ctx: CtxDep
) -> dict[str, Any]:
    issued = await application_links.issue_link(
        ctx,
        municipality=code,
        email=str(body.email),
        client=request.client.host if request.client else None,
    )
    return {
        "link_id": issued.link_id,
        "expires_at": issued.expires_at,
        "message": "the application link has been sent to the e-mail address",
    }


class EmailConfirmation(BaseModel):
    token: Annotated[str, StringConstraints(min_length=10, max_length=200)]


@public.post(
    "/municipalities/{code}/email-changes/confirm",
    summary="メールアドレス変更の確認: the new address's owner confirms with the mailed token",
    response_model=EmailConfirmedOut,
    responses=PUBLIC_FORM,
    **TYPED,
)
async def confirm_email_change(
    code: MunicipalityCode, body: EmailConfirmation, ctx: CtxDep
) -> dict[str, Any]:
    return await guardians.confirm_email_change(ctx, municipality=code, token=body.token)


@public.post(
    "/municipalities/{code}/applications",
    status_code=status.HTTP_201_CREATED,
    summary="Submit the application form with the token from the e-mailed link",
    response_model=SubmittedOut,
    responses=PUBLIC_FORM,
    **TYPED,
)
async def submit(code: MunicipalityCode, form: ApplicationForm, ctx: CtxDep) -> dict[str, Any]:
    return await submission.submit_application(ctx, municipality=code, form=form)


@public.post(
    "/municipalities/{code}/applications/multipart",
    status_code=status.HTTP_201_CREATED,
    summary="Submit the form as multipart: field 'application' (JSON) and files 'files'",
    response_model=SubmittedOut,
    responses=PUBLIC_FORM,
    **TYPED,
)
async def submit_multipart(
    code: MunicipalityCode,
    ctx: CtxDep,
    application: Annotated[
        str, Form(description="the application form as JSON (attachments may be omitted)")
    ],
    files: Annotated[list[UploadFile] | None, File(description="PDF, JPEG or PNG")] = None,
) -> dict[str, Any]:
    try:
        form = ApplicationForm.model_validate_json(application)
    except ValidationError as exc:
        raise RequestValidationError(
            [
                {**e, "loc": ("body", "application", *e["loc"])}
                for e in exc.errors(include_url=False, include_context=False)
            ]
        ) from None
    uploads = []
    for upload in files or []:
        # One byte over the limit is enough to know it is too large; do not read the rest.
        data = await upload.read(ctx.settings.attachment_max_bytes + 1)
        uploads.append(
            attachments.AttachmentFile(
                filename=upload.filename or "attachment",
                content_type=upload.content_type or "application/octet-stream",
                data=data,
            )
        )
    return await submission.submit_application(ctx, municipality=code, form=form, uploads=uploads)


@public.get(
    "/municipalities/{code}/lottery-rounds/{round_id}",
    summary="A lottery round: seed hash before the draw; seed, applicant list and order after",
    response_model=RoundOut,
    responses=PUBLIC_READ,
    **TYPED,
)
async def public_round(code: MunicipalityCode, round_id: uuid.UUID, ctx: CtxDep) -> dict[str, Any]:
    return await lottery.get_round(ctx, municipality=code, round_id=round_id)


@public.get(
    "/municipalities/{code}/lottery-rounds",
    summary="Lottery rounds (public audit)",
    response_model=list[RoundOut],
    responses=PUBLIC_READ,
    **TYPED,
)
async def public_rounds(code: MunicipalityCode, ctx: CtxDep) -> list[dict[str, Any]]:
    return await lottery.list_rounds(ctx, municipality=code)


@public.post(
    "/lottery/replay",
    summary="Re-run a draw from its revealed seed and applicant list",
    response_model=ReplayOut,
    responses=error_responses(400, 413, 422, 429, 503),
    **TYPED,
)
async def replay(body: ReplayRequest, request: Request, ctx: CtxDep) -> dict[str, Any]:
    # Anyone may re-run a draw, so how often one client may is limited (it costs a draw).
    await lottery.limit_replays(ctx, client=request.client.host if request.client else None)
    return lottery.replay(body)


# ---------------------------------------------------------------- officers

officers = APIRouter(prefix="/v1/municipalities/{code}", tags=["officers"])


@officers.get(
    "/applications",
    summary="List and search applications with check results",
    response_model=list[ApplicationSummaryOut],
    responses=READ,
    **TYPED,
)
async def list_applications(
    code: MunicipalityCode,
    principal: OfficerDep,
    ctx: CtxDep,
    status_: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    q: Annotated[str | None, Query(max_length=100, description="name, kana or e-mail")] = None,
    checks_passed: bool | None = None,
    facility_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    officer_of(principal, code)
    return await review.list_applications(
        ctx,
        municipality=code,
        status=status_,
        q=q,
        checks_passed=checks_passed,
        facility_id=facility_id,
        limit=limit,
        offset=offset,
    )


@officers.get(
    "/applications/{application_id}",
    summary="One application with its audit trail",
    response_model=ApplicationOut,
    responses=READ,
    **TYPED,
)
async def get_application(
    code: MunicipalityCode, application_id: uuid.UUID, principal: OfficerDep, ctx: CtxDep
) -> dict[str, Any]:
    officer_of(principal, code)
    return await review.get_application(ctx, municipality=code, application_id=application_id)


@officers.get(
    "/applications/{application_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        **READ,
        200: {
            "content": {t: {} for t in Settings.model_fields["attachment_content_types"].default},
            "description": "the file as it was sent (always a download, never sniffed)",
        },
    },
)
async def get_attachment(
    code: MunicipalityCode,
    application_id: uuid.UUID,
    attachment_id: uuid.UUID,
    principal: OfficerDep,
    ctx: CtxDep,
) -> Response:
    officer_of(principal, code)
    filename, content_type, data = await attachments.get_attachment(
        ctx, municipality=code, application_id=application_id, attachment_id=attachment_id
    )
    # Always a download (never shown inline), never sniffed into another type.
    return Response(
        content=data,
        media_type=content_type,
        headers={
            "Content-Disposition": content_disposition(filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


@officers.post(
    "/applications/{application_id}/approve",
    summary="認定: approve and certify",
    response_model=ApprovedOut,
    responses=CHANGE,
    **TYPED,
)
async def approve(
    code: MunicipalityCode,
    application_id: uuid.UUID,
    principal: OfficerDep,
    ctx: CtxDep,
    body: ApproveRequest | None = None,
) -> dict[str, Any]:
    return await approval.approve(
        ctx,
        municipality=code,
        application_id=application_id,
        request=body or ApproveRequest(),
        actor=officer_of(principal, code),
    )


@officers.post(
    "/applications/{application_id}/reject",
    summary="Reject with a reason",
    response_model=RejectedOut,
    responses=CHANGE,
    **TYPED,
)
async def reject(
    code: MunicipalityCode,
    application_id: uuid.UUID,
    body: RejectRequest,
    principal: OfficerDep,
    ctx: CtxDep,
) -> dict[str, Any]:
    return await rejection.reject(
        ctx,
        municipality=code,
        application_id=application_id,
        request=body,
        actor=officer_of(principal, code),
    )


@officers.put(
    "/applications/{application_id}/priority-tier",
    summary="Lottery priority tier",
    response_model=TierOut,
    responses=CHANGE,
    **TYPED,
)
async def set_tier(
    code: MunicipalityCode,
    application_id: uuid.UUID,
    body: PriorityTierRequest,
    principal: OfficerDep,
    ctx: CtxDep,
) -> dict[str, Any]:
    return await priority_tiers.set_priority_tier(
        ctx,
        municipality=code,
        application_id=application_id,
        tier=body.tier,
        actor=officer_of(principal, code),
    )


@officers.get(
    "/audit-log",
    summary="Audit trail: who did what, when",
    response_model=list[AuditOut],
    responses=READ,
    **TYPED,
)
async def audit_log(
    code: MunicipalityCode,
    principal: OfficerDep,
    ctx: CtxDep,
    application_id: uuid.UUID | None = None,
    certification_id: uuid.UUID | None = None,
    round_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    officer_of(principal, code)
    return await audit_trail.list_audit(
        ctx,
        municipality=code,
        application_id=application_id,
        certification_id=certification_id,
        round_id=round_id,
        limit=limit,
        offset=offset,
    )


async def _csv_body(request: Request) -> str:
    """The CSV as a raw body (text/csv) or as a file upload (multipart/form-data, what a
    browser form or `curl -F file=@residents.csv` sends): the first file in the form."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        files = [v for v in form.values() if isinstance(v, StarletteUpload)]
        if not files:
            raise Invalid(
                "the form has no file; send the CSV as a file field (e.g. file=@residents.csv)",
                message_ja="CSVファイルが添付されていません。ファイルを選んで送信してください。",
            )
        raw = await files[0].read()
    else:
        raw = await request.body()
    # Municipal systems often export Shift_JIS; accept it as well as UTF-8.
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid(
        "the CSV is neither UTF-8 nor Shift_JIS; save it as UTF-8",
        message_ja="CSVファイルの文字コードを読み取れません。"
        "UTF-8 で保存し直して、もう一度お送りください。",
    )


@officers.post(
    "/resident-records",
    summary="Push resident records (住民登録)",
    response_model=ImportedOut,
    responses=CHANGE,
)
async def push_residents(
    code: MunicipalityCode, body: list[ResidentRecordIn], principal: OfficerDep, ctx: CtxDep
) -> dict[str, int]:
    actor = officer_of(principal, code)
    return await registries.import_residents(ctx, municipality=code, rows=body, actor=actor)


@officers.post(
    "/resident-records/csv",
    summary="Import resident records from CSV (child_kana,child_birth_date,moved_in_on,…)",
    response_model=ImportedOut,
    responses=CHANGE,
)
async def import_residents_csv(
    code: MunicipalityCode, request: Request, principal: OfficerDep, ctx: CtxDep
) -> dict[str, int]:
    actor = officer_of(principal, code)
    rows = registries.parse_csv(await _csv_body(request), ResidentRecordIn)
    return await registries.import_residents(ctx, municipality=code, rows=rows, actor=actor)


@officers.post(
    "/enrollments",
    summary="Push enrollments (保育所等の在籍)",
    response_model=ImportedOut,
    responses=CHANGE,
)
async def push_enrollments(
    code: MunicipalityCode, body: list[EnrollmentIn], principal: OfficerDep, ctx: CtxDep
) -> dict[str, int]:
    actor = officer_of(principal, code)
    return await registries.import_enrollments(ctx, municipality=code, rows=body, actor=actor)


@officers.post(
    "/enrollments/csv",
    summary="Import enrollments from CSV (child_kana,child_birth_date,facility_type,…)",
    response_model=ImportedOut,
    responses=CHANGE,
)
async def import_enrollments_csv(
    code: MunicipalityCode, request: Request, principal: OfficerDep, ctx: CtxDep
) -> dict[str, int]:
    actor = officer_of(principal, code)
    rows = registries.parse_csv(await _csv_body(request), EnrollmentIn)
    return await registries.import_enrollments(ctx, municipality=code, rows=rows, actor=actor)


@officers.post(
    "/certifications/{certification_id}/revoke",
    summary="End a certification",
    response_model=RevokedOut,
    responses=CHANGE,
    **TYPED,
)
async def revoke(
    code: MunicipalityCode,
    certification_id: uuid.UUID,
    body: RevokeRequest,
    principal: OfficerDep,
    ctx: CtxDep,
) -> dict[str, Any]:
    return await certifications.revoke_certification(
        ctx,
        municipality=code,
        certification_id=certification_id,
        request=body,
        actor=officer_of(principal, code),
    )


@officers.post(
    "/lottery-rounds",
    status_code=201,
    summary="Open an intake round (publishes hash)",
    response_model=RoundOut,
    responses=CHANGE,
    **TYPED,
)
async def open_round(
    code: MunicipalityCode, body: OpenRoundRequest, principal: OfficerDep, ctx: CtxDep
) -> dict[str, Any]:
    return await lottery.open_round(
        ctx, municipality=code, request=body, actor=officer_of(principal, code)
    )


@officers.post(
    "/lottery-rounds/{round_id}/draw",
    summary="Draw, publish the list, reveal seed",
    response_model=RoundOut,
    responses=CHANGE,
    **TYPED,
)
async def draw_round(
    code: MunicipalityCode, round_id: uuid.UUID, principal: OfficerDep, ctx: CtxDep
) -> dict[str, Any]:
    return await lottery.draw_round(
        ctx, municipality=code, round_id=round_id, actor=officer_of(principal, code)
    )


@officers.post(
    "/lottery-rounds/{round_id}/entries/{application_id}/decline",
    summary="Record that a winner (or 補欠) declines; the next 補欠 is promoted",
    response_model=DeclinedOut,
    responses=CHANGE,
    **TYPED,
)
async def decline(
    code: MunicipalityCode,
    round_id: uuid.UUID,
    application_id: uuid.UUID,
    principal: OfficerDep,
    ctx: CtxDep,
) -> dict[str, Any]:
    return await lottery.decline(
        ctx,
        municipality=code,
        round_id=round_id,
        application_id=application_id,
        actor=officer_of(principal, code),
    )


# ---------------------------------------------------------------- officers and the guardian

holders = APIRouter(prefix="/v1/municipalities/{code}", tags=["certifications"])


@holders.get(
    "/certifications",
    summary="Certifications: all of the municipality (officer), or the guardian's own children's",
    response_model=list[CertificationOut],
    responses=READ,
    **TYPED,
)
async def list_certifications(
    code: MunicipalityCode,
    principal: PrincipalDep,
    ctx: CtxDep,
    status_: Annotated[Literal["active", "revoked"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    if principal.role is Role.GUARDIAN:
        # 認定状況: a guardian sees their own children's certifications, nobody else's.
        guardian = certifications.guardian_of(principal, code)
    elif principal.role in (Role.MUNICIPALITY_OFFICER, Role.PLATFORM_ADMIN):
        officer_of(principal, code)
        guardian = None
    else:
        raise Forbidden(f"{principal.role} may not list certifications")
    return await certifications.list_certifications(
        ctx, municipality=code, status=status_, limit=limit, offset=offset, guardian_id=guardian
    )


@holders.get(
    "/certifications/{certification_id}",
    summary="A certification (認定証)",
    response_model=CertificationOut,
    responses=READ,
    **TYPED,
)
async def get_certification(
    code: MunicipalityCode, certification_id: uuid.UUID, principal: PrincipalDep, ctx: CtxDep
) -> dict[str, Any]:
    return await certifications.get_certification(
        ctx, municipality=code, certification_id=certification_id, principal=principal
    )


@holders.post(
    "/certifications/{certification_id}/changes",
    summary="変更申請: address or guardian details (the guardian or an officer)",
    response_model=ChangedOut,
    responses=CHANGE,
    **TYPED,
)
async def change(
    code: MunicipalityCode,
    certification_id: uuid.UUID,
    body: ChangeRequest,
    principal: PrincipalDep,
    ctx: CtxDep,
) -> dict[str, Any]:
    return await certifications.change_certification(
        ctx,
        municipality=code,
        certification_id=certification_id,
        change=body,
        principal=principal,
    )


ROUTERS = (public, officers, holders)
