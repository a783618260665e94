"""The officer's view of who is in a lottery round (names included), beside the public round,
and closing a round's entries before its draw.

Its own router so that ``api.py`` does not grow; the use case is ``service_layer/round_entries``.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from tsuen_common.auth import MunicipalityCode, OfficerDep
from tsuen_common.problems import error_responses
from tsuen_eligibility.entrypoints.deps import CtxDep
from tsuen_eligibility.entrypoints.schemas import RoundEntryOut, RoundOut
from tsuen_eligibility.service_layer import round_close, round_entries

router = APIRouter(prefix="/v1/municipalities/{code}", tags=["officers"])


@router.get(
    "/lottery-rounds/{round_id}/entries",
    summary="A round's applications with names: who the draw would take, or the drawn order",
    response_model=list[RoundEntryOut],
    responses=error_responses(401, 403, 404, 422, 503),
)
async def entries(
    code: MunicipalityCode, round_id: uuid.UUID, principal: OfficerDep, ctx: CtxDep
) -> list[dict[str, Any]]:
    # Names are personal data: only the municipality's officers (403 for anyone else's).
    principal.require_municipality(code)
    return await round_entries.round_entries(ctx, municipality=code, round_id=round_id)


@router.post(
    "/lottery-rounds/{round_id}/close",
    summary="Close the entries: the list is fixed and published; the seed stays secret",
    response_model=RoundOut,
    responses=error_responses(400, 401, 403, 404, 409, 413, 422, 503),
    response_model_exclude_unset=True,
)
async def close(
    code: MunicipalityCode, round_id: uuid.UUID, principal: OfficerDep, ctx: CtxDep
) -> dict[str, Any]:
    principal.require_municipality(code)
    return await round_close.close_round(
        ctx, municipality=code, round_id=round_id, actor=principal.subject
    )


ROUTERS = (router,)
