"""The identity domain: pure rules (password policy, one-time links, throttling), no I/O."""
