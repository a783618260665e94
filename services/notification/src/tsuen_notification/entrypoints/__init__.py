"""HTTP API, Kafka consumers and the command line of the notification service: thin, they hand
on.
"""
