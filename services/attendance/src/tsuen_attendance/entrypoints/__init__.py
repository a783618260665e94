"""HTTP API, Kafka consumers and the command line of the attendance service: thin, they hand on."""
