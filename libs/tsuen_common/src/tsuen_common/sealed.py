"""Secrets at rest, sealed with a key that lives outside the database (envelope encryption).

A service that stores a secret (attendance's 2D-code signing keys) keeps only its sealed form
in PostgreSQL: AES-256-GCM under a key-encryption key (KEK) from the environment. Someone who
can read the database, or a backup of it, cannot forge a code without that key as well.

``TSUEN_SEALING_KEYS`` lists the KEKs as ``id:base64(32 bytes)`` separated by commas, newest
first. New secrets are sealed with the first; every listed key can open. Rotation (the
runbook's steps): put a new key first, run the service's ``reseal`` command, then drop the old
key. ``python -m tsuen_common.sealed [ID]`` prints a new key.

Without keys, secrets are stored as they are: allowed in dev and test only; a prod service
refuses to start (:func:`box_from_settings`).

Sealed format: ``b"tsv1:" + key id + b":" + nonce (12 bytes) + ciphertext-with-tag``; the key
id and the secret's purpose (``context``) are authenticated as associated data, so a sealed
value cannot be moved to another purpose or key id.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = b"tsv1:"
KEY_BYTES = 32
NONCE_BYTES = 12


class SealingError(Exception):
    """A sealed value cannot be opened (unknown key id, tampering) or keys are misconfigured."""


class SecretBox:
    def __init__(self, keys: Mapping[str, bytes], *, current: str | None) -> None:
        for key_id, key in keys.items():
            if len(key) != KEY_BYTES or not key_id or ":" in key_id:
                raise SealingError(f"sealing key {key_id!r} must be 32 bytes with an id")
        self._aeads = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.current = current

    @classmethod
    def parse(cls, spec: str | None) -> SecretBox:
        """``id:base64,id:base64`` (newest first); empty means no sealing."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for item in (spec or "").split(","):
            item = item.strip()
            if not item:
                continue
            key_id, sep, encoded = item.partition(":")
            if not sep:
                raise SealingError("each sealing key is written id:base64")
            try:
                keys[key_id] = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise SealingError(f"sealing key {key_id!r} is not valid base64") from None
            order.append(key_id)
        return cls(keys, current=order[0] if order else None)

    @property
    def seals(self) -> bool:
        return self.current is not None

    def seal(self, secret: bytes, *, context: bytes) -> bytes:
        if self.current is None:
            return secret
        nonce = os.urandom(NONCE_BYTES)
        kid = self.current.encode()
        sealed = self._aeads[self.current].encrypt(nonce, secret, kid + b"|" + context)
        return PREFIX + kid + b":" + nonce + sealed

    def open(self, stored: bytes, *, context: bytes) -> bytes:
        if not stored.startswith(PREFIX):
            # A value stored before sealing was turned on: still readable, and the service's
            # `reseal` command seals it; nothing new is stored this way once keys are set.
            return stored
        kid, sep, rest = stored[len(PREFIX) :].partition(b":")
        aead = self._aeads.get(kid.decode(errors="replace"))
        if not sep or aead is None:
            raise SealingError(
                f"sealed with key {kid.decode(errors='replace')!r}, which is not configured"
            )
        nonce, sealed = rest[:NONCE_BYTES], rest[NONCE_BYTES:]
        try:
            return aead.decrypt(nonce, sealed, kid + b"|" + context)
        except InvalidTag:
            raise SealingError("a sealed value failed its integrity check") from None

    def needs_reseal(self, stored: bytes) -> bool:
        """Stored in the clear, or under a key other than the current one."""
        if self.current is None:
            return False
        return not stored.startswith(PREFIX + self.current.encode() + b":")


def new_key_spec(key_id: str) -> str:
    return f"{key_id}:{base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()}"


def box_from_settings(spec: str | None, *, environment: str) -> SecretBox:
    box = SecretBox.parse(spec)
    if not box.seals and environment == "prod":
        raise SealingError(
            "TSUEN_SEALING_KEYS is required in prod: secrets are never stored in the clear "
            "there (make one with python -m tsuen_common.sealed)"
        )
    return box


def main(argv: list[str]) -> None:
    """``python -m tsuen_common.sealed [ID]``: print a new key for TSUEN_SEALING_KEYS."""
    from datetime import date

    print(new_key_spec(argv[0] if argv else f"k{date.today():%Y%m%d}"))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
