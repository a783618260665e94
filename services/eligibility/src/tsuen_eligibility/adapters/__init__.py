"""Database tables, repositories and other I/O of the eligibility service."""
