"""Use cases of the identity service: one transaction each, state change and events together."""
