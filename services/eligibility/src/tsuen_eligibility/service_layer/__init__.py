"""Use cases of the eligibility service: one transaction each, state change and outbox events
together.
"""
