"""Registry imports with a preview over HTTP (issue 16): the officer's CSV is checked and
compared with the records first (``…/imports/{kind}/preview``, nothing changes), then applied
with the preview's fingerprint (``…/imports/{kind}``). The older ``…/csv`` routes (api.py)
still import at once for scripts.

The CSV travels as JSON text: the portal decodes the officer's file (UTF-8 or Shift_JIS) and
carries it between the two steps. Answers name children: never cached (the edge's no-store).
"""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tsuen_common.auth import MunicipalityCode, OfficerDep
from tsuen_common.problems import error_responses
from tsuen_eligibility.entrypoints.deps import CtxDep, officer_of
from tsuen_eligibility.entrypoints.schemas import ImportedOut
from tsuen_eligibility.service_layer import registry_imports

MAX_CSV_CHARS = 8 * 1024 * 1024


Kind = Literal["resident-records", "enrollments"]


class CsvIn(BaseModel):
    csv: str = Field(max_length=MAX_CSV_CHARS, description="the CSV's text, header first")


class ApplyIn(CsvIn):
    fingerprint: str = Field(max_length=128, description="the preview's fingerprint")


class RowErrorOut(BaseModel):
    line: int = Field(description="the spreadsheet's row: the header is 1, blank rows count")
    column: str | None
    message: str
    message_ja: str


class RowOut(BaseModel, extra="allow"):
    line: int
    outcome: Literal["new", "changed", "unchanged"]
    before: dict[str, str | None] | None = Field(description="on record now (null: nothing)")


class EndingOut(BaseModel):
    certification_id: uuid.UUID
    certificate_number: str
    child_name: str | None
    child_kana: str
    child_birth_date: str
    reason: str = Field(description="moved_out | enrolled")
    ends_on: str = Field(description="the first day it no longer holds")
    line: int


class PreviewOut(BaseModel):
    kind: Kind
    rows: list[RowOut]
    counts: dict[str, int] = Field(description="new, changed, unchanged")
    errors: list[RowErrorOut] = Field(description="the first 200, in line order")
    error_count: int
    certifications_ending: list[EndingOut]
    fingerprint: str


router = APIRouter(prefix="/v1/municipalities/{code}/imports", tags=["registry imports"])


@router.post(
    "/{kind}/preview",
    summary="Preview a registry CSV: line-numbered errors, changes, certifications ending",
    response_model=PreviewOut,
    responses=error_responses(400, 401, 403, 404, 413, 422, 503),
)
async def preview(
    code: MunicipalityCode, kind: Kind, body: CsvIn, principal: OfficerDep, ctx: CtxDep
) -> dict[str, object]:
    officer_of(principal, code)
    return await registry_imports.preview(ctx, municipality=code, kind=kind, text=body.csv)


@router.post(
    "/{kind}",
    summary="Apply a previewed registry CSV (409 with errors or another fingerprint)",
    response_model=ImportedOut,
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 503),
)
async def apply(
    code: MunicipalityCode, kind: Kind, body: ApplyIn, principal: OfficerDep, ctx: CtxDep
) -> dict[str, int]:
    actor = officer_of(principal, code)
    return await registry_imports.apply(
        ctx,
        municipality=code,
        kind=kind,
        text=body.csv,
        fingerprint=body.fingerprint,
        actor=actor,
    )


ROUTERS = (router,)
