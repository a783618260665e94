"""Tables, repositories and the key files of the identity service."""
