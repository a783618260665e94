"""tsuen notification service. メール: every notice as an e-mail, exactly once, over SMTP."""
