"""The outbox relay's wake-up: an idle relay waits for a commit's NOTIFY instead of polling
every 50 ms (issue 20; tsuen_common.messaging.wakeup).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from tsuen_common.messaging.wakeup import create_outbox_wakeup, drop_outbox_wakeup

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_wakeup()


def downgrade() -> None:
    drop_outbox_wakeup()
