"""tsuen identity service: accounts (guardians, facility staff, municipality officers), passwords,
login, and the platform's signed access tokens with their public keys (JWKS)."""
