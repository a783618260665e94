"""book_use(): a booking's atomic part in one call (issue 20).

The service decides the pure rules first (age window, opening hours, cells, minutes, places per
cell: ``domain.booking.plan_booking``); this function does what must be atomic, in the one lock
order (facility shared → the child's month → cells ascending): the clash check, the hold on the
right balance, the booking row, the ledger entries and the month's counters, the outbox row,
and last the places (so a hot cell's row is locked only until the commit that follows).

A refusal raises SQLSTATE ``TB001`` with the outcome as the message, so nothing the call did
is kept: ``stale`` (the facility or the child changed since the caller read them),
``not_accepted``, ``clash``, ``quota:<minutes available>``, ``full:<HH:MM:SS of the first full
cell>``. The service turns them into its usual errors (``service_layer/hot_path.py``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_SIGNATURE = (
    "uuid, bigint, uuid, bigint, uuid, text, text, uuid, text, uuid, date, time, time, "
    "timestamptz, timestamptz, integer, integer, boolean, boolean, text, integer, integer, "
    "time[], integer[], uuid, text, text, text, bytea, text"
)

BOOK_USE = """
CREATE FUNCTION book_use(
    p_facility_id uuid,
    p_facility_version bigint,  -- xmin of the facility row the caller read; NULL: caller locked it
    p_child_id uuid,
    p_child_version bigint,     -- xmin of the child row the caller read; NULL: not checked
    p_booking_id uuid,
    p_municipality text,        -- the facility's
    p_child_municipality text,  -- whose month the hours come from
    p_guardian_id uuid,
    p_kind text,
    p_plan_id uuid,
    p_use_date date,
    p_start time,
    p_end time,
    p_starts_at timestamptz,
    p_ends_at timestamptz,
    p_cell_minutes integer,
    p_minutes integer,          -- chargeable minutes to hold
    p_at_home boolean,          -- the top-up is usable only at home
    p_by_proxy boolean,
    p_month text,
    p_cap_minutes integer,      -- a new month's credits (the home municipality's policy)
    p_topup_minutes integer,
    p_cells time[],             -- ascending
    p_places integer[],         -- a new cell row's places, per cell
    p_event_id uuid,
    p_event_type text,
    p_topic text,
    p_message_key text,
    p_event bytea,
    p_headers text,
    OUT held_national integer,
    OUT held_topup integer
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_version bigint;
    v_month quota_months%ROWTYPE;
    v_national integer;
    v_topup integer;
    v_full time;
BEGIN
    -- Shared with other bookings, not with a change of places or hours.
    SELECT xmin::text::bigint INTO v_version FROM facilities WHERE id = p_facility_id FOR SHARE;
    IF NOT FOUND OR v_version <> coalesce(p_facility_version, v_version) THEN
        RAISE EXCEPTION USING ERRCODE = 'TB001', MESSAGE = 'stale';
    END IF;
    IF p_child_version IS NOT NULL AND p_child_version IS DISTINCT FROM
        (SELECT xmin::text::bigint FROM children WHERE child_id = p_child_id) THEN
        RAISE EXCEPTION USING ERRCODE = 'TB001', MESSAGE = 'stale';
    END IF;
    IF NOT coalesce(
        (SELECT a.accepted FROM acceptances a
         WHERE a.facility_id = p_facility_id AND a.child_id = p_child_id), false
    ) THEN
        RAISE EXCEPTION USING ERRCODE = 'TB001', MESSAGE = 'not_accepted';
    END IF;

    -- The month, locked or created: every change to a child's month queues here.
    INSERT INTO quota_months AS m (child_id, month, municipality, cap_minutes, topup_minutes)
    VALUES (p_child_id, p_month, p_child_municipality, p_cap_minutes, p_topup_minutes)
    ON CONFLICT (child_id, month) DO UPDATE SET child_id = excluded.child_id
    RETURNING m.* INTO v_month;

    -- Under the month lock, so a sibling request for the same child cannot slip in between.
    IF EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.child_id = p_child_id AND b.use_date = p_use_date
          AND b.status IN ('confirmed', 'in_use')
          AND b.start_time < p_end AND b.end_time > p_start
    ) THEN
        RAISE EXCEPTION USING ERRCODE = 'TB001', MESSAGE = 'clash';
    END IF;

    -- domain.ledger.MonthAccount.plan_hold: national hours first, the top-up only at home.
    v_national := least(
        p_minutes, v_month.cap_minutes - v_month.held_national - v_month.consumed_national
    );
    v_topup := CASE WHEN p_at_home
        THEN v_month.topup_minutes - v_month.held_topup - v_month.consumed_topup ELSE 0 END;
    IF p_minutes > v_national + v_topup THEN
        RAISE EXCEPTION USING ERRCODE = 'TB001', MESSAGE = 'quota:' || (v_national + v_topup);
    END IF;
    v_topup := p_minutes - v_national;

    -- A cell already full as committed refuses before any write (no lock taken here).
    SELECT s.cell_start INTO v_full FROM facility_slots s
    WHERE s.facility_id = p_facility_id AND s.use_date = p_use_date
      AND s.cell_start = ANY (p_cells) AND s.taken >= s.places
    ORDER BY s.cell_start LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'TB001', MESSAGE = 'full:' || v_full;
    END IF;

    INSERT INTO bookings (
        id, municipality, child_municipality, child_id, guardian_id, facility_id, kind, plan_id,
        status, use_date, start_time, end_time, starts_at, ends_at, cell_minutes,
        held_national, held_topup, by_proxy
    ) VALUES (
        p_booking_id, p_municipality, p_child_municipality, p_child_id, p_guardian_id,
        p_facility_id, p_kind, p_plan_id, 'confirmed', p_use_date, p_start, p_end, p_starts_at,
        p_ends_at, p_cell_minutes, v_national, v_topup, p_by_proxy
    );
    INSERT INTO quota_entries (
        idempotency_key, child_id, month, municipality, booking_id, kind, balance, minutes
    )
    SELECT 'hold:' || p_booking_id || ':' || e.balance, p_child_id, p_month,
           p_child_municipality, p_booking_id, 'hold', e.balance, e.minutes
    FROM (VALUES (1, 'national', v_national), (2, 'topup', v_topup)) AS e(n, balance, minutes)
    WHERE e.minutes > 0
    ORDER BY e.n;
    UPDATE quota_months
    SET held_national = held_national + v_national,
        held_topup = held_topup + v_topup,
        updated_at = now()
    WHERE child_id = p_child_id AND month = p_month;
    INSERT INTO outbox (event_id, event_type, topic, message_key, value, headers)
    VALUES (p_event_id, p_event_type, p_topic, p_message_key, p_event, p_headers::jsonb);

    -- The places last, ascending; each conflicting row waits for a concurrent taker and then
    -- re-checks taken < places on the row it committed. A new cell with no places at all is
    -- created empty (taken 0): not a place, so the booking is refused and all of it undone.
    WITH got AS (
        INSERT INTO facility_slots AS s (facility_id, use_date, cell_start, places, taken)
        SELECT p_facility_id, p_use_date, n.cell_start, n.places, least(n.places, 1)
        FROM unnest(p_cells, p_places) WITH ORDINALITY AS n(cell_start, places, i)
        ORDER BY n.i
        ON CONFLICT (facility_id, use_date, cell_start) DO UPDATE
        SET taken = s.taken + 1
        WHERE s.taken < s.places
        RETURNING s.cell_start, s.taken
    )
    SELECT min(c.cell_start) INTO v_full
    FROM unnest(p_cells) AS c(cell_start)
    WHERE NOT EXISTS (
        SELECT 1 FROM got t WHERE t.cell_start = c.cell_start AND t.taken > 0
    );
    IF v_full IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'TB001', MESSAGE = 'full:' || v_full;
    END IF;
    held_national := v_national;
    held_topup := v_topup;
END $$
"""


def upgrade() -> None:
    op.execute(BOOK_USE)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS book_use({_SIGNATURE})")
