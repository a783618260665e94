"""The JSON API: parse, authorise, call a use case, map domain errors to 4xx.

Facility staff: their facility's claims and statements. Officers: the claims their
municipality pays (totals by facility, CSV) and their guardians' statements. Guardians: their
own statements. Anything outside the caller's tenant is a 404.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, status
from fastapi.responses import HTMLResponse, Response

from tsuen_billing.domain.errors import FACILITY_NOT_FOUND_JA, NotFound
from tsuen_billing.entrypoints.csv_export import claim_csv
from tsuen_billing.entrypoints.deps import BillingDep
from tsuen_billing.entrypoints.schemas import (
    MONTH_PATTERN,
    ClaimDetailOut,
    ClaimOut,
    FacilityTotalOut,
    FeeCategoryIn,
    LineOut,
    MunicipalityTotalsOut,
    StatementDetailOut,
    StatementOut,
)
from tsuen_billing.entrypoints.statement_page import statement_html
from tsuen_billing.service_layer import queries
from tsuen_common.auth import (
    MunicipalityCode,
    OfficerDep,
    Principal,
    PrincipalDep,
    Role,
    require_roles,
)
from tsuen_common.errors import install_error_handler
from tsuen_common.problems import error_responses

router = APIRouter(prefix="/v1", tags=["billing"])


def install_error_handlers(app: FastAPI) -> None:
    """Refusals answer ``{detail, code, message_ja}`` with their kind's status: the shared
    mapping of tsuen_common.errors (create_app installs it already)."""
    install_error_handler(app)


StaffDep = Annotated[Principal, Depends(require_roles(Role.FACILITY_STAFF, Role.PLATFORM_ADMIN))]
GuardianDep = Annotated[Principal, Depends(require_roles(Role.GUARDIAN))]
MonthQuery = Annotated[str | None, Query(pattern=MONTH_PATTERN, description="YYYY-MM")]
# Every route: a token (401), the role or tenant (403/404), a database restart or load
# shedding (503). A change's body can be unreadable (400) or too large (413).
READ = error_responses(401, 403, 404, 422, 503)
CHANGE = error_responses(400, 401, 403, 404, 413, 422, 503)


def _facility_of(principal: Principal, facility_id: uuid.UUID) -> None:
    """Staff of another facility get a 404: a facility's billing is not confirmed to exist."""
    if principal.role is Role.FACILITY_STAFF and principal.facility_id != str(facility_id):
        raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)


# -- facility staff ------------------------------------------------------------------------------


@router.get("/facilities/{facility_id}/claims", response_model=list[ClaimOut], responses=READ)
async def get_facility_claims(
    facility_id: uuid.UUID, principal: StaffDep, ctx: BillingDep, month: MonthQuery = None
) -> list[ClaimOut]:
    """The facility's claims (請求), one per paying municipality and closed month."""
    _facility_of(principal, facility_id)
    rows = await queries.facility_claims(ctx, principal, facility_id, month)
    return [ClaimOut(**r) for r in rows]


@router.get(
    "/facilities/{facility_id}/statements", response_model=list[StatementOut], responses=READ
)
async def get_facility_statements(
    facility_id: uuid.UUID, principal: StaffDep, ctx: BillingDep, month: MonthQuery = None
) -> list[StatementOut]:
    """The statements of the facility's guardians (what each owes the facility)."""
    _facility_of(principal, facility_id)
    rows = await queries.facility_statements(ctx, principal, facility_id, month)
    return [StatementOut(**r) for r in rows]


@router.get("/claims/{claim_id}", response_model=ClaimDetailOut, responses=READ)
async def get_claim(
    claim_id: uuid.UUID, principal: PrincipalDep, ctx: BillingDep
) -> ClaimDetailOut:
    """A claim with its lines (staff of the facility, officers of the paying municipality)."""
    row = await queries.claim(ctx, principal, claim_id)
    return ClaimDetailOut(**{**row, "lines": [LineOut.of(line) for line in row["lines"]]})


@router.get(
    "/claims/{claim_id}/lines.csv",
    response_class=Response,
    responses={**READ, 200: {"content": {"text/csv": {}}, "description": "docs/billing.md#csv"}},
)
async def get_claim_csv(claim_id: uuid.UUID, principal: PrincipalDep, ctx: BillingDep) -> Response:
    row = await queries.claim(ctx, principal, claim_id)
    return _csv(claim_csv(row["lines"]), f"claim-{row['month']}-{row['facility_id']}.csv")


# -- officers ------------------------------------------------------------------------------------


@router.get("/municipalities/{code}/claims", response_model=list[ClaimOut], responses=READ)
async def get_municipality_claims(
    code: MunicipalityCode,
    principal: OfficerDep,
    ctx: BillingDep,
    month: MonthQuery = None,
    facility_id: uuid.UUID | None = None,
) -> list[ClaimOut]:
    """Claims to this municipality (its children's hours at any facility, 広域 included)."""
    principal.require_municipality(code)
    return [ClaimOut(**r) for r in await queries.municipality_claims(ctx, code, month, facility_id)]


@router.get(
    "/municipalities/{code}/claims/totals", response_model=MunicipalityTotalsOut, responses=READ
)
async def get_municipality_totals(
    code: MunicipalityCode,
    principal: OfficerDep,
    ctx: BillingDep,
    month: Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM")],
) -> MunicipalityTotalsOut:
    """What the municipality owes for a month, by facility."""
    principal.require_municipality(code)
    rows = await queries.municipality_claims(ctx, code, month)
    facilities = [FacilityTotalOut(**t) for t in queries.totals_by_facility(rows)]
    return MunicipalityTotalsOut(
        municipality=code,
        month=month,
        facilities=facilities,
        minutes=sum(f.minutes for f in facilities),
        total_yen=sum(f.total_yen for f in facilities),
    )


@router.get(
    "/municipalities/{code}/claims.csv",
    response_class=Response,
    responses={**READ, 200: {"content": {"text/csv": {}}, "description": "docs/billing.md#csv"}},
)
async def get_municipality_csv(
    code: MunicipalityCode,
    principal: OfficerDep,
    ctx: BillingDep,
    month: Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM")],
) -> Response:
    """Every line the municipality is claimed for in a month, all facilities."""
    principal.require_municipality(code)
    lines = await queries.municipality_lines(ctx, code, month)
    return _csv(claim_csv(lines), f"claims-{code}-{month}.csv")


@router.put(
    "/municipalities/{code}/children/{child_id}/fee-category",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=CHANGE,
)
async def put_fee_category(
    code: MunicipalityCode,
    child_id: uuid.UUID,
    body: FeeCategoryIn,
    principal: OfficerDep,
    ctx: BillingDep,
) -> Response:
    """The household's fee category (減免) from a day on; lines already closed keep theirs."""
    principal.require_municipality(code)
    await queries.set_fee_category(
        ctx, principal, code, child_id, body.category, body.effective_from
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- guardians (and whoever may see a statement) -------------------------------------------------


@router.get("/statements", response_model=list[StatementOut], responses=READ)
async def get_my_statements(
    principal: GuardianDep, ctx: BillingDep, month: MonthQuery = None
) -> list[StatementOut]:
    """The caller's monthly statements (利用料明細), one per facility and month."""
    return [StatementOut(**r) for r in await queries.guardian_statements(ctx, principal, month)]


@router.get("/statements/{statement_id}", response_model=StatementDetailOut, responses=READ)
async def get_statement(
    statement_id: uuid.UUID, principal: PrincipalDep, ctx: BillingDep
) -> StatementDetailOut:
    row = await queries.statement(ctx, principal, statement_id)
    return StatementDetailOut(**{**row, "lines": [LineOut.of(line) for line in row["lines"]]})


@router.get(
    "/statements/{statement_id}/print",
    # Response, not HTMLResponse: the errors stay documented (and sent) as JSON.
    response_class=Response,
    responses={**READ, 200: {"content": {"text/html": {}}, "description": "printable"}},
)
async def get_statement_page(
    statement_id: uuid.UUID, principal: PrincipalDep, ctx: BillingDep
) -> HTMLResponse:
    """The statement as a printable page (利用料明細書)."""
    return HTMLResponse(statement_html(await queries.statement(ctx, principal, statement_id)))


def _csv(body: str, filename: str) -> Response:
    return Response(
        content=body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
