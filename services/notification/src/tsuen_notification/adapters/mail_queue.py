"""The mail queue: enqueue notices, claim due mails with a lease, record what happened.

Claiming is the outbox relay's pattern (``FOR UPDATE SKIP LOCKED`` + ``claimed_by`` + a lease):
several senders share the queue, a mail is held by one at a time, and a sender that dies leaves
its mails to be claimed again when the lease runs out. Every "mark" is conditional on still
holding the claim, so a sender that lost its lease cannot overwrite another's result.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from tsuen_common.events.envelope import EventEnvelope
from tsuen_common.messaging.outbox import insert_after
from tsuen_notification.adapters.orm import cancelled_bookings, mail_queue
from tsuen_notification.domain.delivery import notice_id
from tsuen_notification.domain.notices import Notice, RecipientKind, Template

Db = AsyncSession | AsyncConnection


_ENQUEUED = (
    "notice_id, event_id, event_type, municipality, template, recipient, recipient_kind, "
    "context, booking_id, child_id, due_at, stale_after"
)

# One constant statement for any number of notices of any number of events (a poll's run, see
# service_layer/handlers.py): the values travel as one array per column, so SQLAlchemy compiles
# it once and asyncpg prepares it once per connection, whatever the row count. A day-before
# reminder whose booking is already cancelled (a ``BookingConfirmed`` re-published after its
# ``BookingCancelled``) is left out by the statement itself, so queueing is one round trip, not
# a look-up and then an insert.
_ENQUEUE = sa.text(
    f"""
    INSERT INTO mail_queue ({_ENQUEUED}, next_attempt_at)
    SELECT v.notice_id, v.event_id, v.event_type, v.municipality, v.template, v.recipient,
           v.recipient_kind, CAST(v.context AS jsonb), v.booking_id, v.child_id,
           -- the database clock for "now", the same clock the senders compare with
           coalesce(v.due_at, now()), v.stale_after, coalesce(v.due_at, now())
    FROM unnest(
        CAST(:notice_ids AS uuid[]), CAST(:event_ids AS uuid[]), CAST(:event_types AS text[]),
        CAST(:municipalities AS text[]), CAST(:templates AS text[]),
        CAST(:recipients AS text[]), CAST(:recipient_kinds AS text[]),
        CAST(:contexts AS text[]), CAST(:booking_ids AS uuid[]), CAST(:child_ids AS uuid[]),
        CAST(:due_ats AS timestamptz[]), CAST(:stale_afters AS timestamptz[])
    ) AS v({_ENQUEUED})
    WHERE v.template <> '{Template.BOOKING_REMINDER}'
       OR NOT EXISTS (SELECT 1 FROM cancelled_bookings c WHERE c.booking_id = v.booking_id)
    ON CONFLICT DO NOTHING
    RETURNING id
    """  # noqa: S608 (only constants are formatted in; every value is a bound parameter)
).bindparams(
    *(
        sa.bindparam(name, type_=pg.ARRAY(pg.UUID(as_uuid=True)))
        for name in ("notice_ids", "event_ids", "booking_ids", "child_ids")
    ),
    *(
        sa.bindparam(name, type_=pg.ARRAY(sa.Text))
        for name in (
            "event_types",
            "municipalities",
            "templates",
            "recipients",
            "recipient_kinds",
            "contexts",
        )
    ),
    *(
        sa.bindparam(name, type_=pg.ARRAY(sa.DateTime(timezone=True)))
        for name in ("due_ats", "stale_afters")
    ),
)


async def enqueue(db: Db, envelope: EventEnvelope, notices: Sequence[Notice]) -> int:
    """Insert one row per notice; a notice already queued (same id) is left alone, and so is
    the reminder of a booking already cancelled. Returns the number of rows inserted."""
    return await enqueue_many(db, [(envelope, notices)])


async def enqueue_many(db: Db, events: Sequence[tuple[EventEnvelope, Sequence[Notice]]]) -> int:
    """:func:`enqueue` for several events' notices, in one statement."""
    rows = [(envelope, n) for envelope, notices in events for n in notices]
    if not rows:
        return 0
    params: dict[str, list[Any]] = {
        "notice_ids": [notice_id(e.event_id, n.recipient, n.template) for e, n in rows],
        "event_ids": [e.event_id for e, _ in rows],
        "event_types": [e.event_type for e, _ in rows],
        "municipalities": [e.municipality for e, _ in rows],
        "templates": [str(n.template) for _, n in rows],
        "recipients": [n.recipient for _, n in rows],
        "recipient_kinds": [str(n.recipient_kind) for _, n in rows],
        "contexts": [json.dumps(n.context, ensure_ascii=False) for _, n in rows],
        "booking_ids": [n.booking_id for _, n in rows],
        "child_ids": [n.child_id for _, n in rows],
        "due_ats": [n.due_at for _, n in rows],
        "stale_afters": [n.stale_after for _, n in rows],
    }
    result = await db.execute(_ENQUEUE, params)
    return len(result.all())


async def cancel_booking_reminders(db: Db, booking_id: uuid.UUID) -> int:
    """Withdraw the booking's pending reminder, and remember the cancellation."""
    await db.execute(
        insert(cancelled_bookings).values(booking_id=booking_id).on_conflict_do_nothing()
    )
    result = await db.execute(
        sa.update(mail_queue)
        .where(
            mail_queue.c.booking_id == booking_id,
            mail_queue.c.template == str(Template.BOOKING_REMINDER),
            mail_queue.c.status == "pending",
        )
        .values(status="cancelled", updated_at=sa.func.now())
        .returning(mail_queue.c.id)
    )
    return len(result.all())


async def redirect_scheduled_mails(db: Db, child_id: uuid.UUID, new_address: str) -> int:
    """Send the child's still-pending scheduled guardian mails to the guardian's new address.

    Mails already queued for sending now keep the address that was right when their event
    happened; only the scheduled ones (the reminder) would otherwise reach a stale address.
    """
    result = await db.execute(
        sa.update(mail_queue)
        .where(
            mail_queue.c.child_id == child_id,
            mail_queue.c.status == "pending",
            mail_queue.c.recipient_kind == str(RecipientKind.GUARDIAN),
            mail_queue.c.recipient != new_address,
        )
        .values(recipient=new_address, updated_at=sa.func.now())
        .returning(mail_queue.c.id)
    )
    return len(result.all())


@dataclass(frozen=True)
class ClaimedMail:
    id: int
    notice_id: uuid.UUID
    event_id: uuid.UUID
    municipality: str
    template: Template
    recipient: str
    recipient_kind: RecipientKind
    context: dict[str, Any]
    attempts: int
    stale: bool
    """Past its ``stale_after`` by the database clock: to be expired, not sent."""


_CLAIM = sa.text(
    """
    UPDATE mail_queue SET claimed_by = :sender,
                          lease_until = now() + make_interval(secs => :lease),
                          attempts = attempts + 1,
                          updated_at = now()
    WHERE id IN (
        SELECT id FROM mail_queue
        WHERE status = 'pending' AND next_attempt_at <= now()
          AND (lease_until IS NULL OR lease_until < now())
        ORDER BY next_attempt_at, id
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, notice_id, event_id, municipality, template, recipient, recipient_kind,
              context, attempts, next_attempt_at,
              (stale_after IS NOT NULL AND stale_after < now()) AS stale
    """
)


async def claim_due(
    conn: AsyncConnection, *, sender: str, lease_seconds: float, limit: int
) -> list[ClaimedMail]:
    rows = (
        await conn.execute(_CLAIM, {"sender": sender, "lease": lease_seconds, "limit": limit})
    ).all()
    rows = sorted(rows, key=lambda r: (r.next_attempt_at, r.id))
    return [
        ClaimedMail(
            id=r.id,
            notice_id=r.notice_id,
            event_id=r.event_id,
            municipality=r.municipality,
            template=Template(r.template),
            recipient=r.recipient,
            recipient_kind=RecipientKind(r.recipient_kind),
            context=dict(r.context),
            attempts=r.attempts,
            stale=bool(r.stale),
        )
        for r in rows
    ]


_HOLDERS = sa.text(
    """
    SELECT DISTINCT claimed_by FROM mail_queue
    WHERE status = 'pending' AND lease_until >= now() AND starts_with(claimed_by, :prefix)
    """
)
_RELEASE = sa.text(
    """
    UPDATE mail_queue SET claimed_by = NULL, lease_until = NULL, updated_at = now()
    WHERE status = 'pending' AND claimed_by = ANY(:holders)
    """
)


async def holders_starting_with(conn: AsyncConnection, prefix: str) -> list[str]:
    """Senders whose names start with ``prefix`` that hold a lease on a pending mail."""
    return list((await conn.execute(_HOLDERS, {"prefix": prefix})).scalars())


async def release(conn: AsyncConnection, holders: Sequence[str]) -> int:
    """Give up the leases of ``holders`` (dead senders): their mails are claimable at once."""
    result = await conn.execute(_RELEASE, {"holders": list(holders)})
    return int(getattr(result, "rowcount", 0) or 0)


# The marks are built once: they run once per mail, and constructing a statement costs more
# CPU than executing its cached compiled form. Each is conditional on still holding the claim.
_HELD = sa.and_(
    mail_queue.c.id == sa.bindparam("mail_id"),
    mail_queue.c.claimed_by == sa.bindparam("sender"),
    mail_queue.c.status == "pending",
)
_MARK_RETRY = (
    sa.update(mail_queue)
    .where(_HELD)
    .values(
        next_attempt_at=sa.func.now()
        + sa.func.make_interval(0, 0, 0, 0, 0, 0, sa.bindparam("delay", type_=sa.Float)),
        claimed_by=None,
        lease_until=None,
        last_error=sa.bindparam("error", type_=sa.Text),
        updated_at=sa.func.now(),
    )
    .returning(mail_queue.c.id)
)
_MARK_EXPIRED = (
    sa.update(mail_queue)
    .where(_HELD)
    .values(status="expired", claimed_by=None, lease_until=None, updated_at=sa.func.now())
    .returning(mail_queue.c.id)
)
_MARK_FAILED = insert_after(
    "UPDATE mail_queue SET status = 'failed', claimed_by = NULL, lease_until = NULL, "
    "last_error = :error, updated_at = now() "
    "WHERE id = :mail_id AND claimed_by = :sender AND status = 'pending' RETURNING id"
)


# The sent mark and its EmailDelivered outbox row are one statement (outbox.insert_after): one
# round trip, and the event exists exactly when the mail is marked sent, whatever crashes.
_MARK_SENT = insert_after(
    "UPDATE mail_queue SET status = 'sent', sent_at = CAST(:sent_at AS timestamptz), "
    "updated_at = now(), lease_until = NULL, last_error = NULL "
    "WHERE id = :mail_id AND claimed_by = :sender AND status = 'pending' RETURNING id"
)


async def mark_sent(
    conn: AsyncConnection,
    mail_id: int,
    *,
    sender: str,
    sent_at: datetime,
    announcement: dict[str, Any],
) -> bool:
    """Mark the mail sent at ``sent_at`` and write its ``EmailDelivered`` outbox row
    (``announcement``: ``Outbox.params``), in one statement. False if the claim was lost (then
    someone else decides the row) or the mail was already marked: then no event is written."""
    params = {"mail_id": mail_id, "sender": sender, "sent_at": sent_at} | announcement
    return (await conn.execute(_MARK_SENT, params)).first() is not None


_SENT_BY = sa.select(mail_queue.c.sent_at).where(
    mail_queue.c.id == sa.bindparam("mail_id"),
    mail_queue.c.claimed_by == sa.bindparam("sender"),
    mail_queue.c.status == "sent",
)


async def sent_by(conn: AsyncConnection, mail_id: int, *, sender: str) -> datetime | None:
    """When ``sender`` marked the mail sent, if it did (a mark whose COMMIT's answer was lost
    with the connection may have landed after all)."""
    return (await conn.execute(_SENT_BY, {"mail_id": mail_id, "sender": sender})).scalar()


async def mark_retry(
    conn: AsyncConnection, mail_id: int, *, sender: str, delay_seconds: float, error: str
) -> bool:
    result = await conn.execute(
        _MARK_RETRY,
        {"mail_id": mail_id, "sender": sender, "delay": delay_seconds, "error": error[:2000]},
    )
    return result.first() is not None


async def mark_expired(conn: AsyncConnection, mail_id: int, *, sender: str) -> bool:
    result = await conn.execute(_MARK_EXPIRED, {"mail_id": mail_id, "sender": sender})
    return result.first() is not None


async def purge_finished(conn: AsyncConnection, *, older_than_seconds: float) -> int:
    """Forget mails that need nothing more (sent, cancelled, expired) after the retention.

    Failed mails stay until an operator resends them. Cancellation tombstones go too: a
    confirmation re-published that long after its cancellation does not happen in practice.
    """
    cutoff = sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, older_than_seconds)
    result = await conn.execute(
        sa.delete(mail_queue)
        .where(
            mail_queue.c.status.in_(["sent", "cancelled", "expired"]),
            mail_queue.c.updated_at < cutoff,
        )
        .returning(mail_queue.c.id)
    )
    await conn.execute(
        sa.delete(cancelled_bookings).where(cancelled_bookings.c.cancelled_at < cutoff)
    )
    return len(result.all())


async def mark_failed(
    conn: AsyncConnection, mail_id: int, *, sender: str, error: str, announcement: dict[str, Any]
) -> bool:
    """Mark the mail failed and write its ``EmailFailed`` outbox row (``announcement``), in one
    statement; False (and no event) if the claim was lost."""
    params = {"mail_id": mail_id, "sender": sender, "error": error[:2000]} | announcement
    return (await conn.execute(_MARK_FAILED, params)).first() is not None


# ---- operator views -------------------------------------------------------------------------

_COLUMNS = (
    mail_queue.c.notice_id,
    mail_queue.c.event_id,
    mail_queue.c.event_type,
    mail_queue.c.municipality,
    mail_queue.c.template,
    mail_queue.c.recipient,
    mail_queue.c.recipient_kind,
    mail_queue.c.status,
    mail_queue.c.attempts,
    mail_queue.c.last_error,
    mail_queue.c.due_at,
    mail_queue.c.next_attempt_at,
    mail_queue.c.created_at,
    mail_queue.c.sent_at,
)


async def list_mails(
    db: Db, *, municipality: str | None, statuses: Sequence[str], limit: int
) -> list[sa.Row[Any]]:
    """Newest first; ``municipality`` None lists every tenant (platform admin, CLI)."""
    query = sa.select(*_COLUMNS).where(mail_queue.c.status.in_(list(statuses)))
    if municipality is not None:
        query = query.where(mail_queue.c.municipality == municipality)
    query = query.order_by(mail_queue.c.created_at.desc(), mail_queue.c.id.desc()).limit(limit)
    return list((await db.execute(query)).all())


async def get_mail(db: Db, notice: uuid.UUID, *, municipality: str | None) -> sa.Row[Any] | None:
    query = sa.select(*_COLUMNS).where(mail_queue.c.notice_id == notice)
    if municipality is not None:
        query = query.where(mail_queue.c.municipality == municipality)
    return (await db.execute(query)).first()


RESENDABLE = ("failed",)


async def requeue(db: Db, notice: uuid.UUID) -> bool:
    """Put a failed mail back in the queue, due now, with a fresh attempt budget.

    Only failed mails: a sent mail was accepted by the server, and a cancelled or expired one
    was withdrawn on purpose.
    """
    result = await db.execute(
        sa.update(mail_queue)
        .where(mail_queue.c.notice_id == notice, mail_queue.c.status.in_(RESENDABLE))
        .values(
            status="pending",
            attempts=0,
            next_attempt_at=sa.func.now(),
            claimed_by=None,
            lease_until=None,
            updated_at=sa.func.now(),
        )
        .returning(mail_queue.c.id)
    )
    return result.first() is not None
