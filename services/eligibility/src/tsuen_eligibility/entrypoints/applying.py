"""Public routes for applying: the age window, the municipalities, the application link,
the form (JSON or multipart) and the confirmation of a new e-mail address."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, EmailStr, StringConstraints, ValidationError

from tsuen_common.age import InvalidBirthDate, age_window, is_eligible_by_age, validate_birth_date
from tsuen_common.auth import MunicipalityCode
from tsuen_common.problems import error_responses
from tsuen_eligibility.entrypoints.deps import PUBLIC_FORM, TYPED, CtxDep
from tsuen_eligibility.entrypoints.schemas import (
    AgeWindowOut,
    EmailConfirmedOut,
    LinkIssuedOut,
    MunicipalityOut,
    SubmittedOut,
)
from tsuen_eligibility.service_layer import application_links, attachments, guardians, submission
from tsuen_eligibility.service_layer.commands import ApplicationForm


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
                "holds_lottery": policy.lottery.enabled,
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


ROUTERS = (public,)
