"""What a booking looks like to the API: a booking row, or an interview shown in the booking
list, as the answer's dictionary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tsuen_common.events.booking import BookingKind
from tsuen_common.timeutil import JST


def booking_out(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "facility_id": row["facility_id"],
        "child_id": row["child_id"],
        "municipality": row["municipality"],
        "kind": row["kind"],
        "status": row["status"],
        "use_date": row["use_date"],
        "start": row["start_time"].strftime("%H:%M"),
        "end": row["end_time"].strftime("%H:%M"),
        "starts_at": row["starts_at"].astimezone(JST),
        "ends_at": row["ends_at"].astimezone(JST),
        "held_minutes": row["held_national"] + row["held_topup"],
        "consumed_minutes": row["consumed_minutes"],
        "penalty_minutes": row["penalty_minutes"],
        "over_cap_minutes": row["over_cap_minutes"],
        "by_proxy": row["by_proxy"],
        "cancelled_at": row["cancelled_at"].astimezone(JST) if row["cancelled_at"] else None,
        "cancelled_by": row["cancelled_by"],
        "cancel_reason": row["cancel_reason"],
        "cancel_cause": row.get("cancel_cause"),
        "called_at": row["called_at"].astimezone(JST) if row.get("called_at") else None,
        "bulk_id": row["bulk_id"],
        # Staff lists and the guardian's own list name the child (issue 13); None when the
        # certification came before names were sent, or the row was read without it.
        "child_name": row.get("child_name"),
    }


def interview_as_booking(row: Mapping[Any, Any]) -> dict[str, Any]:
    """An interview in the booking list (予約一覧 shows 初回面談 beside the uses)."""
    starts_at = row["starts_at"].astimezone(JST) if row["starts_at"] else None
    return {
        "id": row["id"],
        "facility_id": row["facility_id"],
        "child_id": row["child_id"],
        "municipality": row["municipality"],
        "kind": BookingKind.INTERVIEW.value,
        "status": row["status"],
        "use_date": starts_at.date() if starts_at else None,
        "start": starts_at.strftime("%H:%M") if starts_at else None,
        "starts_at": starts_at,
        "held_minutes": 0,
        "consumed_minutes": 0,
    }
