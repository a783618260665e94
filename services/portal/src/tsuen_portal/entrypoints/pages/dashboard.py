"""The officer's dashboard: the municipality's month in numbers and small charts, and a CSV."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tsuen_common.timeutil import today_jst
from tsuen_portal.domain.dashboard import BAR_ROW, bars, dashboard_csv, share_percent
from tsuen_portal.entrypoints.access import officer_token
from tsuen_portal.entrypoints.web import PageDep
from tsuen_portal.i18n import N_
from tsuen_portal.service_layer import dashboard
from tsuen_portal.service_layer.staff.report import months_back

router = APIRouter(prefix="/officer", include_in_schema=False)

APPLICATION_STATUSES = {
    "pending": N_("Waiting for review"),
    "approved": N_("Certified"),
    "rejected": N_("Rejected"),
    "waitlisted": N_("On the waiting list"),
    "not_selected": N_("Not selected in the lottery"),
    "withdrawn": N_("Withdrawn"),
}


def _chosen(month: str) -> tuple[str, list[str]]:
    months = months_back(today_jst())
    return (month if month in months else months[0]), months


@router.get("/dashboard")
async def view(page: PageDep, month: str = "") -> Response:
    account, token = await officer_token(page)
    chosen, months = _chosen(month)
    board = await dashboard.build(page.portal.backends, account, token, chosen, months)
    return await page.render(
        "officer_dashboard.html",
        board=board,
        chosen=chosen,
        months=months,
        used_percent=share_percent(board.total.booked_minutes, board.minutes_available),
        facility_bars=bars([(f.name, f.booked_minutes) for f in board.facilities]),
        trend_bars=bars(board.trend),
        application_statuses=APPLICATION_STATUSES,
        bar_row=BAR_ROW,
    )


@router.get("/dashboard.csv")
async def download(page: PageDep, month: str = "") -> Response:
    account, token = await officer_token(page)
    chosen, _ = _chosen(month)
    board = await dashboard.build(page.portal.backends, account, token, chosen, [chosen])
    return Response(
        dashboard_csv(chosen, board.facilities),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="tsuen-dashboard-{chosen}.csv"',
            "Cache-Control": "no-store",
        },
    )
