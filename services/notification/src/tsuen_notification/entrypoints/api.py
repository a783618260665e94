"""Operator API: see which mails are waiting or failed, and send a failed one again.

For municipality officers (their own municipality) and platform admins. The list masks the
addresses (a screen of many guardians' e-mails is a leak waiting to happen); the detail of one
mail shows the address in full, because checking it for a typo is the usual reason to look.
A mail of another municipality is a 404, like one that does not exist.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tsuen_common import errors
from tsuen_common.auth import MunicipalityCode, OfficerDep, Principal, Role, require_roles
from tsuen_common.logging import get_logger, mask_email, mask_emails_in
from tsuen_common.problems import error_responses
from tsuen_notification.adapters import mail_queue
from tsuen_notification.domain.notices import SUBJECTS, Template

log = get_logger(__name__)

router = APIRouter(tags=["operator"])


class MailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class MailView(BaseModel):
    notice_id: uuid.UUID
    municipality: str
    event_id: uuid.UUID
    event_type: str
    template: str
    subject: str
    recipient: str
    recipient_kind: str
    status: MailStatus
    attempts: int
    last_error: str | None
    due_at: datetime
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None


class MailList(BaseModel):
    mails: list[MailView]


# async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request.
async def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    return sessions


SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(_sessions)]


def _view(row: Any, *, masked: bool) -> MailView:
    try:
        subject = SUBJECTS[Template(row.template)]
    except ValueError:  # a template retired since the row was written
        subject = row.template
    return MailView(
        notice_id=row.notice_id,
        municipality=row.municipality,
        event_id=row.event_id,
        event_type=row.event_type,
        template=row.template,
        subject=subject,
        recipient=mask_email(row.recipient) if masked else row.recipient,
        recipient_kind=row.recipient_kind,
        status=MailStatus(row.status),
        attempts=row.attempts,
        last_error=(
            mask_emails_in(row.last_error) if masked and row.last_error else row.last_error
        ),
        due_at=row.due_at,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


@router.get(
    "/municipalities/{code}/mails",
    summary="Mails of a municipality by status (addresses masked)",
    responses=error_responses(401, 403, 422, 503),
)
async def list_mails(
    code: MunicipalityCode,
    principal: OfficerDep,
    sessions: SessionsDep,
    status_: Annotated[
        list[MailStatus] | None,
        Query(alias="status", description="repeatable; default failed and pending"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MailList:
    principal.require_municipality(code)
    statuses = [str(s) for s in (status_ or [MailStatus.FAILED, MailStatus.PENDING])]
    async with sessions() as session:
        rows = await mail_queue.list_mails(
            session, municipality=code, statuses=statuses, limit=limit
        )
    return MailList(mails=[_view(r, masked=True) for r in rows])


AdminDep = Annotated[Principal, Depends(require_roles(Role.PLATFORM_ADMIN))]


@router.get(
    "/mails",
    summary="Mails of every municipality by status (platform admin, masked)",
    responses=error_responses(401, 403, 422, 503),
)
async def list_all_mails(
    principal: AdminDep,
    sessions: SessionsDep,
    status_: Annotated[
        list[MailStatus] | None,
        Query(alias="status", description="repeatable; default failed and pending"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MailList:
    statuses = [str(s) for s in (status_ or [MailStatus.FAILED, MailStatus.PENDING])]
    async with sessions() as session:
        rows = await mail_queue.list_mails(
            session, municipality=None, statuses=statuses, limit=limit
        )
    return MailList(mails=[_view(r, masked=True) for r in rows])


def _not_found() -> errors.NotFound:
    return errors.NotFound(
        "no such mail in this municipality",
        message_ja="この市区町村のメールが見つかりませんでした。一覧を開き直してください。",
    )


@router.get(
    "/municipalities/{code}/mails/{notice_id}",
    summary="One mail, address in full",
    responses=error_responses(401, 403, 404, 422, 503),
)
async def get_mail(
    code: MunicipalityCode, notice_id: uuid.UUID, principal: OfficerDep, sessions: SessionsDep
) -> MailView:
    if not principal.can_access_municipality(code):
        raise _not_found()
    async with sessions() as session:
        row = await mail_queue.get_mail(session, notice_id, municipality=code)
    if row is None:
        raise _not_found()
    return _view(row, masked=False)


@router.post(
    "/municipalities/{code}/mails/{notice_id}/resend",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a failed mail again (same Message-ID)",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
async def resend_mail(
    code: MunicipalityCode, notice_id: uuid.UUID, principal: OfficerDep, sessions: SessionsDep
) -> MailView:
    if not principal.can_access_municipality(code):
        raise _not_found()
    async with sessions() as session, session.begin():
        row = await mail_queue.get_mail(session, notice_id, municipality=code)
        if row is None:
            raise _not_found()
        if not await mail_queue.requeue(session, notice_id):
            raise errors.Conflict(
                f"only a failed mail can be resent; this one is {row.status}",
                message_ja="送信に失敗したメールだけを再送できます。このメールの状態をご確認ください。",
            )
        row = await mail_queue.get_mail(session, notice_id, municipality=code)
    assert row is not None
    log.info("mail requeued", notice_id=str(notice_id), by=principal.subject)
    return _view(row, masked=False)
