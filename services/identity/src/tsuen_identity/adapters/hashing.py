"""argon2id password hashes (argon2-cffi), computed off the event loop.

Verifying costs tens of milliseconds and 64 MiB by design; running it in a worker thread keeps
the API answering other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError


@dataclass
class Passwords:
    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4
    _hasher: PasswordHasher = field(init=False, repr=False)
    _decoy: str = field(init=False, repr=False)
    # One hash per core at a time: a burst of logins queues here instead of taking 64 MiB
    # and a thread each.
    _slots: asyncio.Semaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._hasher = PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            type=Type.ID,
        )
        # Verified against when there is no account (or no password yet), so that an unknown
        # e-mail address costs the same time as a wrong password.
        self._decoy = self._hasher.hash("tsuen decoy password, never set on an account")
        self._slots = asyncio.Semaphore(os.cpu_count() or 1)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored, password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._decoy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
