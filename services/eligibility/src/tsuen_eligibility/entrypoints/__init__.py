"""HTTP API, Kafka consumers and the command line of the eligibility service: thin, they hand on."""
