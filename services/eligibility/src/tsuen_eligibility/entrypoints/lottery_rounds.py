"""Lottery rounds (抽選): the public audit and replay, and the officer's open, draw and
decline."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request

from tsuen_common.auth import MunicipalityCode, OfficerDep
from tsuen_common.problems import error_responses
from tsuen_eligibility.entrypoints.deps import CHANGE, PUBLIC_READ, TYPED, CtxDep, officer_of
from tsuen_eligibility.entrypoints.schemas import DeclinedOut, ReplayOut, RoundOut
from tsuen_eligibility.service_layer import draw_replay, round_draw, rounds, waitlist
from tsuen_eligibility.service_layer.commands import OpenRoundRequest, ReplayRequest

public = APIRouter(prefix="/v1", tags=["public"])


@public.get(
    "/municipalities/{code}/lottery-rounds/{round_id}",
    summary="A lottery round: seed hash before the draw; seed, applicant list and order after",
    response_model=RoundOut,
    responses=PUBLIC_READ,
    **TYPED,
)
async def public_round(code: MunicipalityCode, round_id: uuid.UUID, ctx: CtxDep) -> dict[str, Any]:
    return await rounds.get_round(ctx, municipality=code, round_id=round_id)


@public.get(
    "/municipalities/{code}/lottery-rounds",
    summary="Lottery rounds (public audit)",
    response_model=list[RoundOut],
    responses=PUBLIC_READ,
    **TYPED,
)
async def public_rounds(code: MunicipalityCode, ctx: CtxDep) -> list[dict[str, Any]]:
    return await rounds.list_rounds(ctx, municipality=code)


@public.post(
    "/lottery/replay",
    summary="Re-run a draw from its revealed seed and applicant list",
    response_model=ReplayOut,
    responses=error_responses(400, 413, 422, 429, 503),
    **TYPED,
)
async def replay(body: ReplayRequest, request: Request, ctx: CtxDep) -> dict[str, Any]:
    # Anyone may re-run a draw, so how often one client may is limited (it costs a draw).
    await draw_replay.limit_replays(ctx, client=request.client.host if request.client else None)
    return draw_replay.replay(body)


officers = APIRouter(prefix="/v1/municipalities/{code}", tags=["officers"])


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
    return await rounds.open_round(
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
    return await round_draw.draw_round(
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
    return await waitlist.decline(
        ctx,
        municipality=code,
        round_id=round_id,
        application_id=application_id,
        actor=officer_of(principal, code),
    )


ROUTERS = (public, officers)
