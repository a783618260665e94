from tsuen_common.migrations import run_migrations
from tsuen_identity.adapters.orm import metadata

run_migrations(metadata)
