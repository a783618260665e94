"""Every API says what it answers (issues 12 and 14): each operation of each service's OpenAPI
document has a typed success body and declares the refusals any route can meet.

No I/O: the documents are built from the services' routers. The fuzz suite
(tests/integration/test_api_fuzz.py) then checks the answers against them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI


def _routers(service: str) -> Iterable[APIRouter]:
    if service == "booking":
        from tsuen_booking.entrypoints import api as booking

        return booking.ROUTERS
    if service == "eligibility":
        from tsuen_eligibility.entrypoints import api as eligibility
        from tsuen_eligibility.entrypoints import profiles

        return [*eligibility.ROUTERS, *profiles.ROUTERS]
    if service == "attendance":
        from tsuen_attendance.entrypoints import api as attendance

        return [attendance.router]
    if service == "identity":
        from tsuen_identity.entrypoints import api as identity

        return [identity.router]
    if service == "billing":
        from tsuen_billing.entrypoints import api as billing

        return [billing.router]
    from tsuen_notification.entrypoints import api as notification

    return [notification.router]


SERVICES = ["attendance", "billing", "booking", "eligibility", "identity", "notification"]


def _operations(service: str) -> Iterable[tuple[str, dict[str, Any]]]:
    app = FastAPI()
    for router in _routers(service):
        app.include_router(router)
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _typed(schema: dict[str, Any]) -> bool:
    """A schema that says something: a $ref, a type, or a union of those (not ``{}``, and not
    an object of anything)."""
    if "$ref" in schema:
        return True
    if "anyOf" in schema:
        return all(_typed(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return _typed(schema.get("items", {}))
    if schema.get("type") == "object":
        return bool(schema.get("properties"))
    return "type" in schema


@pytest.mark.parametrize("service", SERVICES)
def test_every_success_says_what_comes_back(service: str) -> None:
    untyped = []
    for name, operation in _operations(service):
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            json = response.get("content", {}).get("application/json")
            if json is not None and not _typed(json.get("schema", {})):
                untyped.append(f"{name} {status}")
    assert untyped == [], f"{service} answers without a response model: {untyped}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_declares_its_refusals(service: str) -> None:
    """Load shedding and a database restart (503) can meet any route, and a route with a
    parameter or a body can meet a malformed one (422); all declared with the shared body."""
    missing = []
    for name, operation in _operations(service):
        responses = operation["responses"]
        expected = {"503"}
        if operation.get("parameters") or operation.get("requestBody"):
            expected.add("422")
        for status in sorted(expected - set(responses)):
            missing.append(f"{name} {status}")
        for status, response in responses.items():
            if status[0] in "45":
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema is None or "ErrorBody" not in schema.get("$ref", ""):
                    missing.append(f"{name} {status} (body is not ErrorBody)")
    assert missing == [], f"{service}: {missing}"
