"""HTTP API, Kafka consumers and the command line of the booking service: thin, they hand on."""
