"""お子さんの情報登録: the guardian keeps the child's health and safety record here.

Eligibility owns the child's record (it certified the child), so the profile lives beside the
certification. Each change is one ``ChildProfileUpdated`` event in the same transaction, which
is how the facilities' rosters (attendance) learn it; its ``version`` rises by one per change so
a consumer keeps the newest whatever the order of delivery.

Who may do what: the child's guardian reads and writes; an officer of the child's municipality
reads (a family without a phone may ask at the ward office); nobody else, and a child of
another family or municipality is a 404 like any record one may not see.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from tsuen_common.auth import Forbidden, Principal, Role
from tsuen_common.events.eligibility import ChildProfile, ChildProfileUpdated
from tsuen_eligibility.adapters import certification_store, profile_store
from tsuen_eligibility.service_layer.context import Eligibility, audit
from tsuen_eligibility.service_layer.errors import Conflict, NotFound


def _not_found(municipality: str, child_id: uuid.UUID) -> NotFound:
    return NotFound(
        f"no child {child_id} in municipality {municipality}",
        message_ja="お子さんの認定が見つかりません。ログインし直してからお試しください。",
    )


async def _guardian_of_child(
    session: AsyncSession, principal: Principal, municipality: str, child_id: uuid.UUID
) -> uuid.UUID:
    """The guardian of the child's newest certification, if the caller may see the child."""
    row = await certification_store.newest_of_child(session, municipality, child_id)
    if row is None or not principal.can_access_guardian(municipality, str(row.guardian_id)):
        raise _not_found(municipality, child_id)
    return uuid.UUID(str(row.guardian_id))


def _view(child_id: uuid.UUID, row: Any | None) -> dict[str, Any]:
    if row is None:
        return {"child_id": child_id, "version": 0, "updated_at": None, "profile": None}
    return {
        "child_id": child_id,
        "version": row.version,
        "updated_at": row.updated_at,
        "profile": ChildProfile.model_validate(row.profile).model_dump(mode="json"),
    }


async def get_profile(
    ctx: Eligibility, *, municipality: str, child_id: uuid.UUID, principal: Principal
) -> dict[str, Any]:
    """The child's record; ``profile`` is null and ``version`` 0 until the guardian registers."""
    ctx.policy(municipality)
    async with ctx.sessions() as session:
        await _guardian_of_child(session, principal, municipality, child_id)
        row = await profile_store.profile(session, municipality, child_id)
    return _view(child_id, row)


def changed_sections(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """Which parts of the record changed: the audit trail names them, never their values."""
    if before is None:
        return sorted(after)
    return sorted(key for key in after if before.get(key) != after[key])


async def save_profile(
    ctx: Eligibility,
    *,
    municipality: str,
    child_id: uuid.UUID,
    profile: ChildProfile,
    principal: Principal,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Register or replace the record; ``expected_version`` refuses a stale form (409)."""
    ctx.policy(municipality)
    if principal.role is not Role.GUARDIAN:
        # Officers read it; what a child needs is for the family to say, not the ward.
        raise Forbidden(f"{principal.role} may read the child's record, not change it")
    now = ctx.now()
    data = profile.model_dump(mode="json")
    async with ctx.transaction() as session:
        guardian_id = await _guardian_of_child(session, principal, municipality, child_id)
        current = await profile_store.version_for_update(session, municipality, child_id)
        version_now = current.version if current is not None else 0
        if expected_version is not None and expected_version != version_now:
            raise Conflict(
                f"the record changed meanwhile (version {version_now}, form {expected_version})",
                message_ja="この情報は別の画面で更新されています。最新の内容を確認してから、もう一度保存してください。",
            )
        before = dict(current.profile) if current is not None else None
        if before == data:
            return _view(child_id, await profile_store.profile(session, municipality, child_id))
        version = await profile_store.write(
            session,
            {
                "municipality": municipality,
                "child_id": child_id,
                "guardian_id": guardian_id,
                "version": version_now + 1,
                "profile": data,
                "updated_at": now,
                "updated_by": principal.subject,
            },
        )
        await audit(
            session,
            municipality=municipality,
            actor=principal.subject,
            action="child_profile.updated",
            at=now,
            detail={
                "child_id": str(child_id),
                "version": version,
                "changed": changed_sections(before, data),
            },
        )
        await ctx.outbox.add(
            session,
            ChildProfileUpdated(
                child_id=child_id,
                guardian_id=guardian_id,
                profile_version=version,
                profile=profile,
            ),
            municipality=municipality,
        )
    return {"child_id": child_id, "version": version, "updated_at": now, "profile": data}
