from tsuen_billing.adapters.orm import metadata
from tsuen_common.migrations import run_migrations

run_migrations(metadata)
