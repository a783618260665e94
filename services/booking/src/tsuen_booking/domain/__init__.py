"""The booking domain: pure rules and aggregates, no I/O. Shared rules (age, calendar, policy)
come from :mod:`tsuen_common`; nothing here is copied from another service."""
