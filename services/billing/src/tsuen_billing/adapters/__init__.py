"""See docs/billing.md."""
