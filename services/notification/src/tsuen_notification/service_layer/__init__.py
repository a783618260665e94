"""Use cases of the notification service: one transaction each, state change and outbox events
together.
"""
