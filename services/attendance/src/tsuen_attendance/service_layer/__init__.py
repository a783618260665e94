"""Use cases of the attendance service: one transaction each, state change and outbox events
together.
"""
