"""Step 1 of the application flow (利用申請): a one-time link mailed to the applicant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from tsuen_common import ratelimit
from tsuen_common.events.eligibility import ApplicationLinkIssued
from tsuen_common.policy import ApplicationPhase, MunicipalityPolicy
from tsuen_common.ratelimit import Rate
from tsuen_eligibility.adapters import application_store
from tsuen_eligibility.adapters.orm import rate_limits
from tsuen_eligibility.domain.links import link_expiry, new_token, token_hash
from tsuen_eligibility.domain.names import email_key
from tsuen_eligibility.service_layer.context import Eligibility
from tsuen_eligibility.service_layer.errors import Conflict


def check_accepting_applications(policy: MunicipalityPolicy, today: date) -> None:
    """Links and applications only inside the municipality's application period (issue 17)."""
    rule = policy.eligibility
    phase = rule.application_phase(today)
    if phase is ApplicationPhase.UPCOMING and rule.applications_open_on is not None:
        opens = rule.applications_open_on
        raise Conflict(
            f"{policy.name} takes applications from {opens.isoformat()}",
            message_ja=f"{policy.name}の利用認定申請の受付は{opens.year}年{opens.month}月"
            f"{opens.day}日からです。受付開始後にもう一度お申し込みください。",
        )
    if phase is ApplicationPhase.CLOSED and rule.applications_close_on is not None:
        closed = rule.applications_close_on
        raise Conflict(
            f"{policy.name} stopped taking applications on {closed.isoformat()}",
            message_ja=f"{policy.name}の利用認定申請の受付は{closed.year}年{closed.month}月"
            f"{closed.day}日で終了しました。{policy.name}の担当窓口にお問い合わせください。",
        )


@dataclass(frozen=True)
class IssuedLink:
    link_id: uuid.UUID
    expires_at: datetime


async def issue_link(
    ctx: Eligibility, *, municipality: str, email: str, client: str | None = None
) -> IssuedLink:
    """Step 1 (利用申請): a one-time link for the e-mail; the token travels only in the e-mail.

    Limited per address and per client, so nobody can make the platform mail someone else
    without end; the limit answers the same whether or not the address is known.
    """
    policy = ctx.policy(municipality)
    now = ctx.now()
    settings = ctx.settings
    check_accepting_applications(policy, now.date())
    token = new_token()
    link_id = uuid.uuid4()
    expires_at = link_expiry(now, policy.eligibility.application_link_validity_hours)
    url = f"{ctx.settings.application_url_base}?" + urlencode(
        {"municipality": municipality, "token": token}
    )
    async with ctx.transaction() as session:
        await ratelimit.check(
            session,
            rate_limits,
            [
                (
                    ratelimit.address_key("link", email),
                    Rate(settings.link_requests_per_address_per_hour, timedelta(hours=1)),
                ),
                (
                    ratelimit.client_key("link", client),
                    Rate(settings.link_requests_per_client_per_hour, timedelta(hours=1)),
                ),
            ],
            now=now,
        )
        await application_store.add_link(
            session,
            link_id=link_id,
            municipality=municipality,
            token_hash=token_hash(token),
            email=email_key(email),
            issued_at=now,
            expires_at=expires_at,
        )
        await ctx.outbox.add(
            session,
            ApplicationLinkIssued(link_id=link_id, email=email, url=url, expires_at=expires_at),
            municipality=municipality,
        )
    return IssuedLink(link_id=link_id, expires_at=expires_at)
