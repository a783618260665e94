"""Use cases of the booking service: one transaction each, state change and outbox events
together.
"""
