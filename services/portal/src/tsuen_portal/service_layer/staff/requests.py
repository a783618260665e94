"""申込み for the facility's staff: 初回面談 requested, scheduled or held (fix the date, record
it, accept or decline the child) and 定期利用 applications (approve or decline)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.sessions import Account
from tsuen_portal.service_layer.guardian import Backends
from tsuen_portal.service_layer.staff.calls import act, when

INBOX_INTERVIEW_STATUSES = ("requested", "scheduled", "held")


@dataclass(frozen=True)
class Interview:
    id: str
    child_id: str
    child_name: str
    status: str
    proposed_times: list[datetime]
    starts_at: datetime | None
    held_at: datetime | None
    health_check: str | None
    # 配慮事項 and 医療的ケア from the application (read before accepting the child).
    considerations: Considerations | None = None
    accepted: bool | None = None  # the facility's decision on the child; None before one


@dataclass(frozen=True)
class Considerations:
    content: str
    diagnosis: str
    required_care: str
    doctor_instructions: str
    medical_care: bool


def _considerations(body: Any) -> Considerations | None:
    if not isinstance(body, dict):
        return None
    return Considerations(
        content=str(body.get("content") or ""),
        diagnosis=str(body.get("diagnosis") or ""),
        required_care=str(body.get("required_care") or ""),
        doctor_instructions=str(body.get("doctor_instructions") or ""),
        medical_care=bool(body.get("medical_care")),
    )


@dataclass(frozen=True)
class Plan:
    id: str
    child_id: str
    child_name: str
    weekday: int
    start: str
    end: str
    valid_from: date
    valid_until: date | None


@dataclass(frozen=True)
class Inbox:
    interviews: list[Interview]
    plans: list[Plan]


def _interview(body: dict[str, Any]) -> Interview:
    return Interview(
        id=str(body["id"]),
        child_id=str(body["child_id"]),
        child_name=str(body.get("child_name") or ""),
        status=str(body["status"]),
        proposed_times=[t for t in (when(p) for p in body.get("proposed_times") or []) if t],
        starts_at=when(body.get("starts_at")),
        held_at=when(body.get("held_at")),
        health_check=body.get("health_check"),
        considerations=_considerations(body.get("child_considerations")),
        accepted=body.get("child_accepted"),
    )


async def interviews_here(api: Backends, account: Account, token: str) -> list[Interview]:
    body = await api.booking.get("/v1/interviews", token)
    return [
        _interview(item)
        for item in body
        if str(item.get("facility_id")) == account.facility_id
        and item.get("status") in INBOX_INTERVIEW_STATUSES
    ]


async def inbox(api: Backends, account: Account, token: str) -> Inbox:
    interviews, plans_body = await asyncio.gather(
        interviews_here(api, account, token), api.booking.get("/v1/regular-plans", token)
    )
    # Plans carry no name; the child's 初回面談 at this facility does.
    names = {i.child_id: i.child_name for i in interviews if i.child_name}
    if any(str(p.get("child_id")) not in names for p in plans_body):
        everything = await api.booking.get("/v1/interviews", token)
        names.update(
            {str(i["child_id"]): str(i["child_name"]) for i in everything if i.get("child_name")}
        )
    plans = [
        Plan(
            id=str(p["id"]),
            child_id=str(p["child_id"]),
            child_name=names.get(str(p["child_id"]), ""),
            weekday=int(p["weekday"]),
            start=str(p["start"]),
            end=str(p["end"]),
            valid_from=date.fromisoformat(str(p["valid_from"])),
            valid_until=date.fromisoformat(str(p["valid_until"])) if p.get("valid_until") else None,
        )
        for p in plans_body
        if p.get("status") == "applied" and str(p.get("facility_id")) == account.facility_id
    ]
    order = {s: n for n, s in enumerate(INBOX_INTERVIEW_STATUSES)}
    interviews.sort(key=lambda i: order[i.status])
    return Inbox(interviews=interviews, plans=plans)


async def schedule_interview(
    api: Backends, token: str, interview_id: str, starts_at: datetime
) -> None:
    await act(
        api.booking,
        "POST",
        f"/v1/interviews/{interview_id}/schedule",
        token,
        {"starts_at": starts_at.isoformat()},
    )


async def interview_held(
    api: Backends, token: str, interview_id: str, health_check: str, note: str
) -> None:
    await act(
        api.booking,
        "POST",
        f"/v1/interviews/{interview_id}/held",
        token,
        {"health_check": health_check, "note": note or None},
    )


async def decide_child(
    api: Backends,
    account: Account,
    token: str,
    child_id: str,
    accepted: bool,
    medical_care_consulted: bool = False,
) -> str:
    """Accept or decline a child who had a 初回面談 here; another child is a 404. The name."""
    known = {
        i.child_id: i.child_name
        for i in await interviews_here(api, account, token)
        if i.status == "held"
    }
    if child_id not in known:
        raise BackendNotFound(child_id)
    await act(
        api.booking,
        "PUT",
        f"/v1/facilities/{account.facility_id}/acceptances/{child_id}",
        token,
        {"accepted": accepted, "medical_care_consulted": medical_care_consulted},
    )
    return known[child_id]


async def decide_plan(api: Backends, token: str, plan_id: str, approve: bool) -> list[date]:
    """Approve or decline a 定期利用 plan; the dates booked on approval."""
    verb = "approve" if approve else "decline"
    body = await act(api.booking, "POST", f"/v1/regular-plans/{plan_id}/{verb}", token)
    booked = body.get("generated") or []
    return sorted(date.fromisoformat(str(b["date"])) for b in booked if b.get("date"))
