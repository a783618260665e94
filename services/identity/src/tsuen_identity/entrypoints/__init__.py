"""HTTP API, Kafka consumers and the command line of the identity service: thin, they hand on."""
