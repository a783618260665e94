"""register_visit(): a guardian's check-in or check-out written in one call (issue 20).

The service reads the facility's keys and the visit in one statement, verifies the code and
decides the check-in or check-out in Python (``domain.visits``), then this function saves the
visit and writes its event to the outbox, as one statement and so one transaction. The visit's
version (xmin) the decision was made on is checked under the row's lock: if another scan changed
it meanwhile, SQLSTATE ``TA001`` ``stale`` is raised, nothing is kept, and the service reads
the visit again (the second of two phones scanning at once sees the first one's answer).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SIGNATURE = (
    "uuid, bigint, timestamptz, timestamptz, integer, integer, uuid, text, text, text, bytea, text"
)

REGISTER_VISIT = """
CREATE FUNCTION register_visit(
    p_booking_id uuid,
    p_version bigint,
    p_checked_in_at timestamptz,
    p_checked_out_at timestamptz,
    p_late_minutes integer,
    p_penalty_minutes integer,
    p_event_id uuid,
    p_event_type text,
    p_topic text,
    p_message_key text,
    p_event bytea,
    p_headers text
) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    v_version bigint;
BEGIN
    SELECT xmin::text::bigint INTO v_version FROM visits WHERE booking_id = p_booking_id
    FOR UPDATE;
    IF NOT FOUND OR v_version <> p_version THEN
        RAISE EXCEPTION USING ERRCODE = 'TA001', MESSAGE = 'stale';
    END IF;
    UPDATE visits
    SET checked_in_at = p_checked_in_at,
        checked_out_at = p_checked_out_at,
        late_minutes = p_late_minutes,
        penalty_minutes = p_penalty_minutes,
        updated_at = now()
    WHERE booking_id = p_booking_id;
    INSERT INTO outbox (event_id, event_type, topic, message_key, value, headers)
    VALUES (p_event_id, p_event_type, p_topic, p_message_key, p_event, p_headers::jsonb);
    RETURN true;
END $$
"""


def upgrade() -> None:
    op.execute(REGISTER_VISIT)


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS register_visit({_SIGNATURE})")
