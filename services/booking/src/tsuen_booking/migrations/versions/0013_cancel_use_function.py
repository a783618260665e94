"""cancel_use(): a cancellation's atomic part in one call (issue 20).

The service reads the booking, decides in Python whether it may be cancelled and whether the
cancellation is timely (``domain.cancellation``), and builds the ``BookingCancelled`` event; this
function does the rest in the one lock order (the booking row → the child's month → cells
ascending): the release (timely) or consume (late) entries of the booking's hold, the month's
counters, the places given back, the booking row, the outbox row. It answers the booking row as
it now stands.

The booking row's version (xmin) the decision was made on is checked under the row's lock: a
booking changed meanwhile (cancelled by a concurrent request, checked in) raises SQLSTATE
``TB001`` ``stale`` and nothing is kept; the service reads it again and decides again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_SIGNATURE = (
    "uuid, bigint, text, boolean, integer, time[], timestamptz, text, text, text, timestamptz, "
    "text, uuid, uuid, text, text, text, bytea, text"
)

CANCEL_USE = """
CREATE FUNCTION cancel_use(
    p_booking_id uuid,
    p_version bigint,           -- xmin of the booking row the caller decided on
    p_month text,               -- the ledger month of the use date
    p_timely boolean,           -- release the hold (timely) or consume it (late)
    p_consumed integer,         -- the booking's consumed minutes afterwards
    p_cells time[],             -- the booking's cells, ascending
    p_cancelled_at timestamptz,
    p_cancelled_by text,
    p_reason text,
    p_cause text,
    p_called_at timestamptz,
    p_recorded_by text,
    p_bulk_id uuid,
    p_event_id uuid,
    p_event_type text,
    p_topic text,
    p_message_key text,
    p_event bytea,
    p_headers text
) RETURNS bookings LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    b bookings%ROWTYPE;
    v_version bigint;
    v_kind text := CASE WHEN p_timely THEN 'release' ELSE 'consume' END;
BEGIN
    SELECT xmin::text::bigint INTO v_version FROM bookings WHERE id = p_booking_id FOR UPDATE;
    IF NOT FOUND OR v_version <> p_version THEN
        RAISE EXCEPTION USING ERRCODE = 'TB001', MESSAGE = 'stale';
    END IF;
    SELECT * INTO b FROM bookings WHERE id = p_booking_id;

    INSERT INTO quota_entries (
        idempotency_key, child_id, month, municipality, booking_id, kind, balance, minutes
    )
    SELECT v_kind || ':' || b.id || ':' || e.balance, b.child_id, p_month,
           b.child_municipality, b.id, v_kind, e.balance, e.minutes
    FROM (VALUES (1, 'national', b.held_national), (2, 'topup', b.held_topup))
         AS e(n, balance, minutes)
    WHERE e.minutes > 0
    ORDER BY e.n;
    UPDATE quota_months
    SET held_national = held_national - b.held_national,
        held_topup = held_topup - b.held_topup,
        consumed_national = consumed_national
            + CASE WHEN p_timely THEN 0 ELSE b.held_national END,
        consumed_topup = consumed_topup + CASE WHEN p_timely THEN 0 ELSE b.held_topup END,
        updated_at = now()
    WHERE child_id = b.child_id AND month = p_month;

    PERFORM 1 FROM facility_slots
    WHERE facility_id = b.facility_id AND use_date = b.use_date AND cell_start = ANY (p_cells)
    ORDER BY cell_start
    FOR UPDATE;
    UPDATE facility_slots SET taken = taken - 1
    WHERE facility_id = b.facility_id AND use_date = b.use_date AND cell_start = ANY (p_cells);

    UPDATE bookings
    SET status = 'cancelled',
        cancelled_at = p_cancelled_at,
        cancelled_by = p_cancelled_by,
        cancel_reason = p_reason,
        cancel_cause = p_cause,
        called_at = p_called_at,
        cancel_recorded_by = p_recorded_by,
        bulk_id = p_bulk_id,
        consumed_minutes = p_consumed,
        updated_at = now()
    WHERE id = p_booking_id
    RETURNING * INTO b;
    INSERT INTO outbox (event_id, event_type, topic, message_key, value, headers)
    VALUES (p_event_id, p_event_type, p_topic, p_message_key, p_event, p_headers::jsonb);
    RETURN b;
END $$
"""


def upgrade() -> None:
    op.execute(CANCEL_USE)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS cancel_use({_SIGNATURE})")
