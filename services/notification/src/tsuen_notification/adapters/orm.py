"""The notification service's own database schema (no other service reads it)."""

from __future__ import annotations

import sqlalchemy as sa

from tsuen_common.messaging import add_messaging_tables

metadata = sa.MetaData()
messaging = add_messaging_tables(metadata)
