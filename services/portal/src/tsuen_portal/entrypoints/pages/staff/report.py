"""月の利用実績 for the facility's staff: per child bookings, visits, late pickups and
no-shows for a month, and the same as a CSV download (attendance's columns)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import Response

from tsuen_common.timeutil import today_jst
from tsuen_portal.adapters.backends import BackendNotFound
from tsuen_portal.entrypoints.access import staff_token
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.service_layer.staff import report as service

router = APIRouter(prefix="/staff", include_in_schema=False)


def _chosen(month: str) -> tuple[str, list[str]]:
    months = service.months_back(today_jst())
    return (month if month in months else months[0]), months


@router.get("/report")
async def report(page: PageDep, month: str = "") -> Response:
    account, token = await staff_token(page)
    chosen, months = _chosen(month)
    lines = await service.month(page.portal.backends, account, token, chosen)
    return await page.render("staff_report.html", lines=lines, chosen=chosen, months=months)


@router.get("/report.csv")
async def report_csv(page: PageDep, month: str = "") -> Response:
    account, token = await staff_token(page)
    chosen, _ = _chosen(month)
    try:
        content = await service.month_csv(page.portal.backends, account, token, chosen)
    except BackendNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND) from None
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="tsuen-report-{chosen}.csv"',
            "Cache-Control": "no-store",
        },
    )
