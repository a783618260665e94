"""規則の確認: the rules the platform applies for the officer's municipality (read-only: a
policy changes through deployment, docs/runbook.md)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from tsuen_portal.domain.rules import sections
from tsuen_portal.entrypoints.access import officer_token
from tsuen_portal.entrypoints.web import PageDep

router = APIRouter(prefix="/officer", include_in_schema=False)


@router.get("/rules")
async def rules(page: PageDep) -> Response:
    account, token = await officer_token(page)
    policy = await page.portal.backends.eligibility.get(
        f"/v1/municipalities/{account.municipality}/policy", token
    )
    return await page.render(
        "officer_rules.html", town=str(policy.get("name") or ""), sections=sections(policy)
    )
