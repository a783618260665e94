"""要支援家庭 (``/officer/certifications/{id}/family-support``): an officer marks one of the
municipality's certifications as a family the municipality supports, from one day to another
(issue 19). Eligibility checks the span against the certification and announces it; billing
claims the 要支援家庭 加算 on use dates within it. Another municipality's certification is
eligibility's 404, shown exactly like a missing one."""

from __future__ import annotations

import contextlib
from datetime import date

import httpx
from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_common.timeutil import today_jst
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.domain.dates import parse_day
from tsuen_portal.entrypoints.access import officer_token, uuid_or_404
from tsuen_portal.entrypoints.pages.forms import FormErrors
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import guardian

router = APIRouter(prefix="/officer", include_in_schema=False)

COULD_NOT_MARK_JA = "要支援家庭を設定できませんでした。入力内容をご確認ください。"


def _span(values: dict[str, str], errors: FormErrors) -> tuple[date | None, date | None]:
    first = last = None
    with contextlib.suppress(ValueError):
        first = parse_day(values["from"])
    with contextlib.suppress(ValueError):
        last = parse_day(values["to"])
    if first is None:
        errors.add("from", N_("Enter the first day, like 2027-01-07"))
    if last is None:
        errors.add("to", N_("Enter the last day, like 2027-01-07"))
    return first, last


@router.api_route("/certifications/{certification_id}/family-support", methods=["GET", "POST"])
async def family_support(certification_id: str, page: PageDep) -> Response:
    account, token = await officer_token(page)
    cid = uuid_or_404(certification_id)
    api = page.portal.backends
    try:
        cert = await guardian.certificate(api, account, token, cid)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    values = {
        "from": max(today_jst(), cert.valid_from).isoformat(),
        "to": cert.valid_until.isoformat(),
    }
    errors = FormErrors()
    refused = done = None
    if page.request.method == "POST":
        form = await page.form()
        values = {k: form.get(k, "").strip() for k in ("from", "to")}
        first, last = _span(values, errors)
        if not errors and first and last:
            response = await api.eligibility.send(
                "PUT",
                f"/v1/municipalities/{account.municipality}/certifications/{cid}/family-support",
                token,
                json={"from": first.isoformat(), "to": last.isoformat()},
            )
            if response.status_code == 404:
                raise HTTPException(status.HTTP_404_NOT_FOUND)
            if response.status_code >= 400:
                refused = _refusal(response)
            else:
                done = N_("Marked. The add-on is claimed for use on these days.")
    return await page.render(
        "officer_family_support.html",
        400 if errors else (422 if refused else 200),
        cert=cert,
        values=values,
        errors=errors,
        refused=refused,
        done=done,
    )


class _Refused:
    """Eligibility's Japanese reason, shaped for staff_macros.notices."""

    def __init__(self, message_ja: str) -> None:
        self.message_ja = message_ja
        self.japanese = True


def _refusal(response: httpx.Response) -> _Refused:
    try:
        message = response.json().get("message_ja")
    except (ValueError, AttributeError):
        message = None
    return _Refused(str(message) if message else COULD_NOT_MARK_JA)
