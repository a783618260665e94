"""Schemathesis against a service's HTTP API, in process, for every role.

The service runs exactly as its own integration tests run it (their harness, a fresh migrated
database, real Kafka where the harness starts it) on the test's event loop, reached through
its ``httpx.AsyncClient``. Schemathesis generates the requests from the service's own OpenAPI
document (coverage phase: boundaries and wrong types for every parameter; fuzzing phase:
valid and invalid inputs drawn by Hypothesis) in a worker thread, and every request crosses
back onto the loop, so the app, its connection pool and its Kafka tasks stay where they were
made. Generation is derandomised: the same cases run on every machine.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode, overrides
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tsuen_common.auth import Principal, Role, TokenIssuer

# What a CI run can afford on two cores: the whole fuzz suite in about three minutes.
# TSUEN_FUZZ_MAX_EXAMPLES asks for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("TSUEN_FUZZ_MAX_EXAMPLES", "6"))
# Every 5xx fails the suite; the conformance checks are turned on per service once its
# OpenAPI document declares every status and body it answers with.
SERVER_ERRORS = (not_a_server_error,)
CONFORMANCE = (status_code_conformance, content_type_conformance, response_schema_conformance)

CHIYODA = "131016"


def role_principals(
    *, municipality: str = CHIYODA, facility_id: str, guardian_id: str
) -> dict[str, Principal | None]:
    """The five kinds of caller: no token, and one principal per role."""
    return {
        "anonymous": None,
        "guardian": Principal(
            subject=guardian_id,
            role=Role.GUARDIAN,
            municipality=municipality,
            guardian_id=guardian_id,
        ),
        "facility_staff": Principal(
            subject=f"staff-{facility_id}",
            role=Role.FACILITY_STAFF,
            municipality=municipality,
            facility_id=facility_id,
        ),
        "municipality_officer": Principal(
            subject=f"officer-{municipality}",
            role=Role.MUNICIPALITY_OFFICER,
            municipality=municipality,
        ),
        "platform_admin": Principal(subject="admin-1", role=Role.PLATFORM_ADMIN),
    }


def bearer_headers(
    issuer: TokenIssuer, principals: Mapping[str, Principal | None]
) -> dict[str, dict[str, str]]:
    return {
        role: {} if principal is None else {"Authorization": f"Bearer {issuer.mint(principal)}"}
        for role, principal in principals.items()
    }


@dataclass
class FuzzReport:
    cases: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.failures)} failing operation(s) in {self.cases} cases:\n\n" + (
            "\n\n".join(self.failures)
        )


def _to_httpx(prepared: requests.PreparedRequest) -> httpx.Request:
    body = prepared.body
    if isinstance(body, str):
        body = body.encode("utf-8")
    return httpx.Request(
        prepared.method or "GET",
        prepared.url or "/",
        headers=list(prepared.headers.items()),
        content=body or b"",
    )


_REQUEST_KEYS = ("method", "url", "headers", "params", "cookies", "json", "data", "files")

# What schemathesis does not draw on its own and what broke the services before (issue 12):
# numbers past PostgreSQL's integer and bigint, past a float, text that is not text (an unpaired
# surrogate escape, a control character), text longer than any column, dates at the ends of
# the calendar, and the wrong JSON type. Each is sent in every top-level field of an accepted
# request's JSON body and in every query parameter.


@dataclass(frozen=True)
class RawJson:
    """A JSON token Python does not write (a lone surrogate escape, a non-finite number), as a
    client in another language would send it."""

    token: str


HOSTILE_VALUES: tuple[object, ...] = (
    2**31,
    2**63,
    RawJson("1e999"),
    RawJson('"\\ud800"'),
    "\u0001",
    "x" * 5000,
    "0001-01-01",
    "9999-12-31T23:59:59+14:00",
    None,
    [],
)
HOSTILE_QUERY_VALUES = ("9223372036854775808", "1e999", "0001-01-01", "9999-12-31", "x" * 5000)


def json_text(body: object) -> bytes:
    """``body`` as JSON, with each :class:`RawJson` written as its token."""
    raw: list[str] = []

    def placeholder(value: object) -> str:
        if not isinstance(value, RawJson):
            raise TypeError(type(value).__name__)
        raw.append(value.token)
        return f"@@raw{len(raw) - 1}@@"

    text = json.dumps(body, ensure_ascii=False, default=placeholder)
    for index, token in enumerate(raw):
        text = text.replace(f'"@@raw{index}@@"', token)
    return text.encode()


def _paths(value: object, depth: int = 2) -> list[tuple[str | int, ...]]:
    """Where a value can go: every key of every object (and the first item of every array),
    down to ``depth`` levels."""
    if depth == 0:
        return []
    found: list[tuple[str | int, ...]] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append((key,))
            found += [(key, *rest) for rest in _paths(inner, depth - 1)]
    elif isinstance(value, list) and value:
        found += [(0, *rest) for rest in _paths(value[0], depth - 1)]
    return found


def _replaced(value: object, path: tuple[str | int, ...], new: object) -> object:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    assert isinstance(value, list)
    assert isinstance(head, int)
    return [*value[:head], _replaced(value[head], rest, new), *value[head + 1 :]]


def hostile_variants(request: httpx.Request, body: object) -> list[tuple[str, httpx.Request]]:
    """The accepted request once per hostile value per body field and query parameter."""
    variants: list[tuple[str, httpx.Request]] = []
    headers = [(k, v) for k, v in request.headers.items() if k.lower() != "content-length"]
    for path in _paths(body):
        where = ".".join(str(p) for p in path)
        for value in HOSTILE_VALUES:
            variants.append(
                (
                    f"body.{where}={value!r:.40}",
                    httpx.Request(
                        request.method,
                        request.url,
                        headers=headers,
                        content=json_text(_replaced(body, path, value)),
                    ),
                )
            )
    for name in dict(request.url.params):
        for text in HOSTILE_QUERY_VALUES:
            url = request.url.copy_set_param(name, text)
            variants.append(
                (
                    f"query.{name}={text!r:.40}",
                    httpx.Request(request.method, url, headers=headers, content=request.content),
                )
            )
    return variants


async def fuzz(
    client: httpx.AsyncClient,
    roles: Mapping[str, Mapping[str, str]],
    *,
    checks: tuple[Callable[..., Any], ...] = SERVER_ERRORS,
    max_examples: int = MAX_EXAMPLES,
    exclude_paths: tuple[str, ...] = (),
    path_parameters: Mapping[str, str] | None = None,
    seeds: Sequence[tuple[httpx.Request, object]] = (),
) -> FuzzReport:
    """Every operation of the client's app, once per role; the failures of every check.

    ``path_parameters`` fixes path parameters by name (the caller's municipality code, a
    facility that exists) so that requests get past the tenant check to the code behind it.
    ``seeds`` are valid requests (built with ``client.build_request``, and their JSON body)
    that random generation rarely gets right (a whole application form, a facility); the
    hostile values go into them as well as into the accepted requests schemathesis found.
    """
    openapi = (await client.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(openapi)
    if exclude_paths:
        schema = schema.exclude(path=list(exclude_paths))
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=max_examples,
        deterministic=True,
        database="none",
    )
    # Methods a path does not declare answer 405 from the router; nothing to learn there.
    schema.config.phases.coverage.unexpected_methods = set()
    if path_parameters:
        schema.config.update(parameters={f"path.{k}": v for k, v in path_parameters.items()})
    loop = asyncio.get_running_loop()
    base_url = str(client.base_url).rstrip("/")
    report = FuzzReport()
    preparer = requests.Session()

    def send(case: schemathesis.Case, headers: Mapping[str, str]) -> httpx.Response:
        kwargs = case.as_transport_kwargs(base_url=base_url, headers=dict(headers))
        request = requests.Request(**{k: v for k, v in kwargs.items() if k in _REQUEST_KEYS})
        prepared = preparer.prepare_request(request)
        future = asyncio.run_coroutine_threadsafe(client.send(_to_httpx(prepared)), loop)
        return future.result(timeout=120)

    # Per operation, the request the hostile values are put into: one the service accepted
    # (rank 0), else one it refused only after validation (rank 2: 400/404/409/410); the
    # seeds first of all.
    accepted: dict[str, tuple[float, httpx.Request, object]] = {
        f"{request.method} {request.url.path} (seed)": (-1, request, body)
        for request, body in seeds
    }

    def remember(case: schemathesis.Case, response: httpx.Response) -> None:
        status = response.status_code
        json_body = isinstance(case.body, (dict, list)) and "json" in (case.media_type or "")
        if not json_body and not response.request.url.params:
            return
        # Lower is better: accepted before refused-after-validation, then the fuller body.
        fields = len(case.body) if isinstance(case.body, dict) else 0
        rank: float | None = 0 if status < 400 else 2 if status in (400, 404, 409, 410) else None
        if rank is None:
            return
        rank -= min(fields, 99) / 100
        label = case.operation.label
        if label in accepted and accepted[label][0] <= rank:
            return
        accepted[label] = (rank, response.request, case.body if json_body else None)

    def hostile_pass() -> None:
        for label, (_, request, body) in accepted.items():
            for what, variant in hostile_variants(request, body):
                report.cases += 1
                future = asyncio.run_coroutine_threadsafe(client.send(variant), loop)
                try:
                    status = future.result(timeout=120).status_code
                except Exception as exc:
                    report.failures.append(f"{label} (hostile {what})\n{exc!r}")
                    continue
                if status >= 500:
                    report.failures.append(f"{label} (hostile {what})\nanswered {status}")

    def checker(
        headers: Mapping[str, str], statuses: set[int]
    ) -> Callable[[schemathesis.Case], None]:
        def check(case: schemathesis.Case) -> None:
            report.cases += 1
            response = send(case, headers)
            statuses.add(response.status_code)
            remember(case, response)
            case.validate_response(response, checks=list(checks), headers=dict(headers))

        return check

    def run_phase(
        operation: schemathesis.APIOperation,
        mode: HypothesisTestMode,
        headers: Mapping[str, str],
        statuses: set[int],
    ) -> None:
        settings = hypothesis.settings(
            schema.config.get_hypothesis_settings(operation=operation, phase="fuzzing"),
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        test = create_test(
            operation=operation,
            test_func=checker(headers, statuses),
            config=HypothesisTestConfig(
                project=schema.config,
                modes=[mode],
                settings=settings,
                override=overrides.for_operation(schema.config, operation=operation),
            ),
        )
        test()

    def run() -> None:
        # Hypothesis keeps its default settings per thread, and this thread has none yet:
        # the profile the session loaded, here too.
        hypothesis.settings.load_profile(hypothesis.settings.get_current_profile_name())
        covered: set[str] = set()
        for role, headers in roles.items():
            for result in schema.get_all_operations():
                operation = result.ok()
                statuses: set[int] = set()
                for mode in (HypothesisTestMode.FUZZING, HypothesisTestMode.COVERAGE):
                    # The coverage phase (every boundary and wrong type of every parameter,
                    # deterministic and long) runs once per operation, as the first role that
                    # gets past its door: every fuzzed request refused with 401/403 means any
                    # input meets the same door.
                    if mode is HypothesisTestMode.COVERAGE and (
                        operation.label in covered or not statuses - {401, 403}
                    ):
                        continue
                    try:
                        run_phase(operation, mode, headers, statuses)
                    except (Exception, BaseExceptionGroup) as exc:
                        report.failures.append(f"[{role}] {operation.label} ({mode})\n{exc}")
                    if mode is HypothesisTestMode.COVERAGE:
                        covered.add(operation.label)
        hostile_pass()

    await asyncio.to_thread(run)
    return report
