"""Replaying a draw from its published inputs: anyone can check a round this way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tsuen_common import ratelimit
from tsuen_common.ratelimit import Rate
from tsuen_eligibility.adapters.orm import rate_limits
from tsuen_eligibility.domain.lottery import Applicant, draw, seed_commitment, verify_seed
from tsuen_eligibility.service_layer.commands import ReplayRequest
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.errors import Invalid


async def limit_replays(ctx: Eligibility, *, client: str | None) -> None:
    """Raise RateLimited past the per-client replay rate (tsuen_common.ratelimit)."""
    rate = Rate(ctx.settings.replays_per_client_per_minute, timedelta(minutes=1))
    async with ctx.transaction() as session:
        await ratelimit.check(
            session, rate_limits, [(ratelimit.client_key("replay", client), rate)], now=ctx.now()
        )


def replay(request: ReplayRequest) -> dict[str, Any]:
    """Re-run a draw from its published inputs: anyone can check a round this way."""
    if request.seed_hash is not None and not verify_seed(request.seed, request.seed_hash):
        raise Invalid(
            "the seed does not match seed_hash: sha256(seed) differs from the commitment",
            message_ja="公開された種（seed）が、事前に公開したハッシュと一致しません。入力した値をご確認ください。",
        )
    result = draw(
        seed=request.seed,
        applicants=[
            Applicant(application_id=a.application_id, tier=a.tier, family=a.family)
            for a in request.applicants
        ],
        places=request.places,
        priority_tiers=tuple(request.priority_tiers),
        siblings_together=request.siblings_together,
        waitlist_enabled=request.waitlist_enabled,
    )
    return {
        "seed_hash": seed_commitment(request.seed),
        "order": list(result.order),
        "winners": list(result.winners),
        "waitlist": list(result.waitlist),
        "not_selected": list(result.not_selected),
    }
