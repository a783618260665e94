"""How the staff's use cases call the services: the facility is always the token's
``facility_id`` (from the session), never an id from a URL or a form. An id of another
facility's booking or interview reaches the service with this facility's token and comes back
404 (``BackendNotFound``), which the page shows as its own 404. Refusals a person can act on (a
service's ``message_ja``) come back as :class:`Refused`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from tsuen_common.timeutil import JST
from tsuen_portal.adapters.backends import (
    BackendNotFound,
    BackendRefused,
    BackendUnavailable,
    ServiceApi,
)
from tsuen_portal.service_layer.guardian import Backends

STAFF = "facility_staff"


@dataclass(frozen=True)
class Refused(Exception):
    """A service said no for a reason the staff member can act on: its ``message_ja``, or
    (``japanese=False``) its English ``detail`` when it has no Japanese wording for it."""

    message_ja: str
    japanese: bool = True


def when(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value)).astimezone(JST)


def refusal(response: httpx.Response) -> Refused | None:
    """The service's reason for a 4xx, if it gave one a person can read."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    detail = body.get("detail")
    message = body.get("message_ja")
    if message is None and isinstance(detail, dict):
        message = detail.get("message_ja")
    if message:
        return Refused(str(message))
    if isinstance(detail, str) and detail:
        return Refused(detail, japanese=False)
    return None


async def act(
    api: ServiceApi, method: str, path: str, token: str, body: Any = None
) -> dict[str, Any]:
    """A change; 404/403 → BackendNotFound, other refusals → Refused with the service's words."""
    response = await api.send(method, path, token, json=body)
    if response.status_code in (403, 404):
        raise BackendNotFound(path)
    if response.status_code >= 400:
        refused = refusal(response)
        if refused is None:
            raise BackendRefused(f"{path}: {response.status_code}")
        raise refused
    result: dict[str, Any] = response.json() if response.content else {}
    return result


def attendance_api(api: Backends) -> ServiceApi:
    if api.attendance is None:
        raise BackendUnavailable("attendance is not configured")
    return api.attendance
