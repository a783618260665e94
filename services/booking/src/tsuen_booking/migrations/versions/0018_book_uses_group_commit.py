"""book_uses(): several bookings decided in one call, in arrival order (issue 20, group commit).

A worker process may gather the bookings that reach the database while its previous call is in
flight and send them as one call of this function (``adapters/group_commit.py``, off unless
``TSUEN_BOOKING_GROUP_COMMIT_MS`` is set). Each item is exactly one ``book_use`` call plus its
Idempotency-Key row, in its own sub-transaction: a refusal (TB001) or a duplicate key undoes
that item only, and answers one row per item, in order: the held minutes, or ``refused`` =
the refusal's message (``stale``, ``clash``, ``quota:<n>``, ...) or ``duplicate``.

Locks: ``book_use`` takes facility (shared) → the child's month → cells ascending. Items one
after the other would take them out of that order across the batch (item 1's cell 11:00, then
item 2's cell 09:00), and two batches doing so deadlock. So the whole batch's locks are taken
first, in the one order over all items: facilities by id (shared), months by (child, month),
cells by (facility, date, cell); the items then find them held. Month and cell rows that do not
exist yet are created by that pass (as ``book_use`` would have); the ones no item ended up using
are deleted before the commit, so the tables end exactly as the items alone would leave them. A
new cell with no places at all is left to ``book_use`` (it refuses it as ever).

A deadlock or serialisation failure is not caught: the whole call is undone, every item with
it, and each waiting request retries on its own as it does today (``hot_path.book``).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# book_use's arguments in its order, then the Idempotency-Key (all NULL without one).
BOOK_USE_ITEM = """
CREATE TYPE book_use_item AS (
    facility_id uuid, facility_version bigint, child_id uuid, child_version bigint,
    booking_id uuid, municipality text, child_municipality text, guardian_id uuid, kind text,
    plan_id uuid, use_date date, start_time time, end_time time, starts_at timestamptz,
    ends_at timestamptz, cell_minutes integer, minutes integer, at_home boolean,
    by_proxy boolean, month text, cap_minutes integer, topup_minutes integer, cells time[],
    places integer[], event_id uuid, event_type text, topic text, message_key text,
    event bytea, headers text, caller text, key text, fingerprint text
)
"""

BOOK_USES = """
CREATE FUNCTION book_uses(
    p_items book_use_item[],
    OUT held_national integer,
    OUT held_topup integer,
    OUT refused text
) RETURNS SETOF record LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v book_use_item;
    v_ok integer[] := '{}';
    v_new_children uuid[];
    v_new_months text[];
    v_cell_facilities uuid[];
    v_cell_dates date[];
    v_cell_starts time[];
    v_table text;
BEGIN
    -- The batch's locks, in the one order (see the migration's note).
    PERFORM 1 FROM facilities f
    WHERE f.id IN (SELECT i.facility_id FROM unnest(p_items) i)
    ORDER BY f.id FOR SHARE;

    WITH wanted AS (
        SELECT DISTINCT ON (i.child_id, i.month)
               i.child_id, i.month, i.child_municipality, i.cap_minutes, i.topup_minutes
        FROM unnest(p_items) WITH ORDINALITY AS i
        ORDER BY i.child_id, i.month, i.ordinality
    ), made AS (
        INSERT INTO quota_months AS m (child_id, month, municipality, cap_minutes, topup_minutes)
        SELECT w.child_id, w.month, w.child_municipality, w.cap_minutes, w.topup_minutes
        FROM wanted w ORDER BY w.child_id, w.month
        ON CONFLICT (child_id, month) DO UPDATE SET child_id = excluded.child_id
        RETURNING m.child_id, m.month, m.xmax = 0 AS inserted
    )
    SELECT array_agg(made.child_id), array_agg(made.month) INTO v_new_children, v_new_months
    FROM made WHERE made.inserted;

    -- Only the cells of items whose facility row is the one they were decided on: a stale
    -- item is refused anyway, and its places may be out of date.
    WITH wanted AS (
        SELECT i.facility_id, i.use_date, c.cell_start, min(c.places) AS places
        FROM unnest(p_items) i
        JOIN facilities f ON f.id = i.facility_id
            AND f.xmin::text::bigint = coalesce(i.facility_version, f.xmin::text::bigint)
        CROSS JOIN LATERAL unnest(i.cells, i.places) AS c(cell_start, places)
        WHERE c.places > 0
        GROUP BY i.facility_id, i.use_date, c.cell_start
    ), made AS (
        INSERT INTO facility_slots AS s (facility_id, use_date, cell_start, places, taken)
        SELECT w.facility_id, w.use_date, w.cell_start, w.places, 0
        FROM wanted w ORDER BY w.facility_id, w.use_date, w.cell_start
        ON CONFLICT (facility_id, use_date, cell_start) DO UPDATE SET taken = s.taken
        RETURNING s.facility_id, s.use_date, s.cell_start, s.xmax = 0 AS inserted
    )
    SELECT array_agg(made.facility_id), array_agg(made.use_date), array_agg(made.cell_start)
    INTO v_cell_facilities, v_cell_dates, v_cell_starts
    FROM made WHERE made.inserted;

    FOR n IN 1 .. coalesce(array_length(p_items, 1), 0) LOOP
        v := p_items[n];
        held_national := NULL;
        held_topup := NULL;
        refused := NULL;
        BEGIN
            SELECT b.held_national, b.held_topup INTO held_national, held_topup
            FROM book_use(
                v.facility_id, v.facility_version, v.child_id, v.child_version, v.booking_id,
                v.municipality, v.child_municipality, v.guardian_id, v.kind, v.plan_id,
                v.use_date, v.start_time, v.end_time, v.starts_at, v.ends_at, v.cell_minutes,
                v.minutes, v.at_home, v.by_proxy, v.month, v.cap_minutes, v.topup_minutes,
                v.cells, v.places, v.event_id, v.event_type, v.topic, v.message_key, v.event,
                v.headers
            ) b;
            IF v.key IS NOT NULL THEN
                INSERT INTO idempotency_keys (caller, key, fingerprint)
                VALUES (v.caller, v.key, v.fingerprint);
            END IF;
            v_ok := v_ok || n;
        EXCEPTION
            WHEN SQLSTATE 'TB001' THEN
                held_national := NULL;
                held_topup := NULL;
                refused := SQLERRM;
            WHEN unique_violation THEN
                GET STACKED DIAGNOSTICS v_table = TABLE_NAME;
                IF v_table IS DISTINCT FROM 'idempotency_keys' THEN
                    RAISE;
                END IF;
                held_national := NULL;
                held_topup := NULL;
                refused := 'duplicate';
        END;
        RETURN NEXT;
    END LOOP;

    -- What the locking pass created and no item used goes again: cells still empty (no other
    -- transaction can take a place in them before this one commits), months no booked item is in.
    DELETE FROM facility_slots s
    USING unnest(v_cell_facilities, v_cell_dates, v_cell_starts) AS made(f, d, c)
    WHERE s.facility_id = made.f AND s.use_date = made.d AND s.cell_start = made.c
      AND s.taken = 0;
    DELETE FROM quota_months m
    USING unnest(v_new_children, v_new_months) AS made(child_id, month)
    WHERE m.child_id = made.child_id AND m.month = made.month
      AND NOT EXISTS (
        SELECT 1 FROM unnest(p_items) WITH ORDINALITY AS i
        WHERE i.ordinality = ANY (v_ok) AND i.child_id = made.child_id AND i.month = made.month
      );
END $$
"""


def upgrade() -> None:
    op.execute(BOOK_USE_ITEM)
    op.execute(BOOK_USES)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS book_uses(book_use_item[])")
    op.execute("DROP TYPE IF EXISTS book_use_item")
