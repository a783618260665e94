"""Facility use cases: register, change, look up, search, and the grid of free places.

Tenancy: officers manage the facilities of their municipality, staff only their own facility.
Guardians see the facilities of their municipality, and others' only where their municipality
allows 広域利用. Anything else looks absent (404).
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from tsuen_booking.adapters import facility_store
from tsuen_booking.adapters import repository as repo
from tsuen_booking.adapters.facility_store import GuardianOf, Word
from tsuen_booking.domain.audit import StaffAction
from tsuen_booking.domain.errors import (
    FACILITY_NOT_FOUND_JA,
    MUNICIPALITY_NOT_FOUND_JA,
    Conflict,
    InvalidRequest,
    NotFound,
)
from tsuen_booking.domain.facility import Facility, cell_minutes, grid_cells
from tsuen_booking.service_layer import audit
from tsuen_booking.service_layer.commands import FacilityPatch, FacilitySpec
from tsuen_booking.service_layer.context import Context, claim_uuid
from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.search import (
    names_match,
    prefecture_named,
    search_words,
    short_name,
    word_variants,
)

MAX_GRID_DAYS = 62
_EARTH_KM = 6371.0


def visible_municipalities(ctx: Context, principal: Principal) -> set[str] | None:
    """Municipalities whose facilities the caller may see; None means all (platform admin)."""
    if principal.is_platform_admin:
        return None
    assert principal.municipality is not None  # every other role carries one
    if principal.role is Role.GUARDIAN:
        home = (
            ctx.policies.get(principal.municipality)
            if principal.municipality in ctx.policies
            else None
        )
        # 広域利用: only where the guardian's own municipality allows it.
        if home is not None and home.eligibility.cross_municipality_use_allowed:
            return set(ctx.policies.codes)
    return {principal.municipality}


def can_see_facility(ctx: Context, principal: Principal, row: Mapping[Any, Any]) -> bool:
    if principal.role is Role.FACILITY_STAFF:
        return principal.can_access_facility(row["municipality"], str(row["id"]))
    allowed = visible_municipalities(ctx, principal)
    return allowed is None or row["municipality"] in allowed


def facility_out(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        key: row[key]
        for key in (
            "id",
            "municipality",
            "name",
            "kana",
            "address",
            "lat",
            "lon",
            "facility_type",
            "email",
            "phone",
            "comments",
            "extra_hour_fee_yen",
            "opening_hours",
            "places_per_slot",
            "places_by_weekday",
            "place_overrides",
            "closed_days",
            "interview_slots",
        )
    }


async def register(
    ctx: Context, principal: Principal, *, municipality: str, spec: FacilitySpec
) -> dict[str, Any]:
    if not principal.can_access_municipality(municipality):
        raise NotFound(
            f"municipality {municipality} not found", message_ja=MUNICIPALITY_NOT_FOUND_JA
        )
    ctx.policy(municipality)  # only municipalities that run the scheme here
    facility_id = spec.id or uuid.uuid4()
    spec.to_domain(facility_id, municipality)
    row = {**spec.to_row(), "id": facility_id, "municipality": municipality}
    async with ctx.transaction() as session:
        if await repo.facility_row(session, facility_id) is not None:
            raise Conflict(
                f"facility {facility_id} is already registered",
                message_ja="この施設はすでに登録されています。",
            )
        await facility_store.add_facility(session, **row)
        stored = await repo.facility_row(session, facility_id)
    assert stored is not None
    return facility_out(stored)


async def seed(ctx: Context, specs: list[tuple[str, FacilitySpec]]) -> int:
    """Insert facilities that are not there yet (by id); returns how many were new."""
    added = 0
    async with ctx.transaction() as session:
        for municipality, spec in specs:
            assert spec.id is not None
            spec.to_domain(spec.id, municipality)
            added += await facility_store.add_facility_if_new(
                session, **spec.to_row(), id=spec.id, municipality=municipality
            )
    return added


async def get(ctx: Context, principal: Principal, facility_id: uuid.UUID) -> dict[str, Any]:
    async with ctx.sessions() as session:
        row = await repo.facility_row(session, facility_id)
    if row is None or not can_see_facility(ctx, principal, row):
        raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
    return facility_out(row)


async def update(
    ctx: Context, principal: Principal, facility_id: uuid.UUID, patch: FacilityPatch
) -> dict[str, Any]:
    changes = patch.model_dump(mode="json", exclude_unset=True)
    async with ctx.transaction() as session:
        row = await repo.facility_row(session, facility_id, lock=True)
        if row is None or not can_see_facility(ctx, principal, row):
            raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
        if principal.role is Role.GUARDIAN:
            raise Forbidden("guardians cannot change a facility")
        merged = {k: v for k, v in facility_out(row).items() if k not in ("id", "municipality")}
        merged.update(changes)
        try:
            spec = FacilitySpec.model_validate(merged)
        except ValueError as exc:
            raise InvalidRequest(
                str(exc), message_ja="施設の情報に誤りがあります。入力内容をご確認ください。"
            ) from None
        # The later weeks stay (capacity.py changes them): places after their dates are theirs.
        facility = dataclasses.replace(
            spec.to_domain(facility_id, row["municipality"]),
            schedules=repo.facility_from_row(row).schedules,
        )
        await facility_store.update_facility(session, facility_id, **spec.to_row())
        await repo.refresh_future_places(session, facility, ctx.clock().date())
        await audit.record(
            session,
            principal,
            StaffAction.FACILITY_UPDATED,
            municipality=row["municipality"],
            facility_id=facility_id,
            at=ctx.clock(),
            detail={"fields": sorted(changes)},
        )
        stored = await repo.facility_row(session, facility_id)
    assert stored is not None
    return facility_out(stored)


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class SearchQuery:
    keyword: str | None = None
    municipality: str | None = None
    prefecture: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    used_before: bool = False  # 面談・利用歴から探す
    favourites: bool = False  # お気に入りから探す


def _word(ctx: Context, word: str) -> Word:
    """One word of the keyword: in the name, reading or address (either kana script), or the
    name of the facility's municipality or prefecture (short forms too: 掛川, 静岡)."""
    return Word(
        spellings=tuple(word_variants(word)),
        municipalities=[
            p.code
            for p in ctx.policies
            if names_match(word, (p.name, p.name_kana, p.prefecture, short_name(p.name)))
        ],
    )


async def search(ctx: Context, principal: Principal, query: SearchQuery) -> list[dict[str, Any]]:
    if (query.lat is None) != (query.lon is None):
        raise InvalidRequest(
            "give both lat and lon to search near a point",
            message_ja="近くの施設を探すには、緯度と経度の両方をご指定ください。",
        )
    allowed = visible_municipalities(ctx, principal)
    # Staff find only their own facility.
    only_facility = (
        claim_uuid(principal.facility_id) if principal.role is Role.FACILITY_STAFF else None
    )
    in_prefecture = None
    if query.prefecture:
        prefecture = prefecture_named(query.prefecture) or query.prefecture
        in_prefecture = [p.code for p in ctx.policies if p.prefecture == prefecture]
    used_by = favourites_of = None
    if query.used_before:
        if principal.role is not Role.GUARDIAN:
            raise InvalidRequest(
                "used_before is a guardian's search",
                message_ja="「利用したことのある施設」での絞り込みは、保護者の方のみご利用いただけます。",
            )
        used_by = GuardianOf(claim_uuid(principal.guardian_id), principal.municipality)
    if query.favourites:
        if principal.role is not Role.GUARDIAN:
            raise InvalidRequest(
                "favourites is a guardian's search",
                message_ja="「お気に入り」での絞り込みは、保護者の方のみご利用いただけます。",
            )
        favourites_of = GuardianOf(claim_uuid(principal.guardian_id), principal.municipality)
    async with ctx.sessions() as session:
        rows = await facility_store.search_facilities(
            session,
            visible=sorted(allowed) if allowed is not None else None,
            only_facility=only_facility,
            municipality=query.municipality,
            in_municipalities=in_prefecture,
            words=[_word(ctx, word) for word in search_words(query.keyword or "")],
            used_by=used_by,
            favourites_of=favourites_of,
            limit=500,
        )
        found = [facility_out(r) for r in rows]
    if query.lat is not None and query.lon is not None:
        for f in found:
            f["distance_km"] = (
                round(_distance_km(query.lat, query.lon, f["lat"], f["lon"]), 3)
                if f["lat"] is not None and f["lon"] is not None
                else None
            )
        found = [
            f
            for f in found
            if f["distance_km"] is not None
            and (query.radius_km is None or f["distance_km"] <= query.radius_km)
        ]
        found.sort(key=lambda f: f["distance_km"])
    return found


async def availability(
    ctx: Context, principal: Principal, facility_id: uuid.UUID, first: date, last: date
) -> dict[str, Any]:
    """The grid of free places (空き枠) per cell for each day from ``first`` to ``last``."""
    if last < first:
        raise InvalidRequest(
            f"'to' ({last}) is before 'from' ({first})",
            message_ja="終了日が開始日より前になっています。期間をご確認ください。",
        )
    if (last - first).days >= MAX_GRID_DAYS:
        raise InvalidRequest(
            f"ask for at most {MAX_GRID_DAYS} days at a time",
            message_ja=f"空き状況は一度に{MAX_GRID_DAYS}日分までご覧いただけます。期間を短くしてください。",
        )
    async with ctx.sessions() as session:
        row = await repo.facility_row(session, facility_id)
        if row is None or not can_see_facility(ctx, principal, row):
            raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
        booked = await repo.taken_cells(session, facility_id, first, last)
    facility = repo.facility_from_row(row)
    step = cell_minutes(ctx.policy(facility.municipality).quota.unit_minutes)
    days = []
    day = first
    while day <= last:
        days.append(_grid_day(facility, day, step, booked))
        day += timedelta(days=1)
    return {"facility_id": facility_id, "cell_minutes": step, "days": days}


def _grid_day(
    facility: Facility, day: date, step: int, booked: Mapping[tuple[date, time], tuple[int, int]]
) -> dict[str, Any]:
    hours = facility.hours_on(day)
    if hours is None:
        return {"date": day, "open": False, "cells": []}
    out = []
    for start in grid_cells(day, hours.open, hours.close, step):
        places, taken = booked.get((day, start), (facility.places_at(day, start.hour), 0))
        end = (datetime.combine(day, start) + timedelta(minutes=step)).time()
        out.append(
            {
                "start": start.strftime("%H:%M"),
                "end": end.strftime("%H:%M"),
                "places": places,
                "taken": taken,
                "free": max(places - taken, 0),
            }
        )
    return {"date": day, "open": True, "cells": out}


async def set_favourite(
    ctx: Context, principal: Principal, facility_id: uuid.UUID, *, favourite: bool
) -> None:
    """お気に入り: a guardian's own list of facilities."""
    if principal.role is not Role.GUARDIAN:
        raise Forbidden("favourites belong to a guardian")
    guardian_id = claim_uuid(principal.guardian_id)
    async with ctx.transaction() as session:
        row = await repo.facility_row(session, facility_id)
        if row is None or not can_see_facility(ctx, principal, row):
            raise NotFound(f"facility {facility_id} not found", message_ja=FACILITY_NOT_FOUND_JA)
        owner = GuardianOf(guardian_id, principal.municipality)
        if favourite:
            await facility_store.add_favourite(session, owner, facility_id)
        else:
            await facility_store.remove_favourite(session, owner, facility_id)
