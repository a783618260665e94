"""The municipality's registries pushed by officers: resident records (住民登録) and
enrollments (保育所等の在籍), as JSON or CSV."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile as StarletteUpload

from tsuen_common.auth import MunicipalityCode, OfficerDep
from tsuen_eligibility.entrypoints.deps import CHANGE, CtxDep, officer_of
from tsuen_eligibility.entrypoints.schemas import ImportedOut
from tsuen_eligibility.service_layer import registries
from tsuen_eligibility.service_layer.commands import EnrollmentIn, ResidentRecordIn
from tsuen_eligibility.service_layer.errors import Invalid

officers = APIRouter(prefix="/v1/municipalities/{code}", tags=["officers"])


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


ROUTERS = (officers,)
