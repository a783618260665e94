"""Public keys from the identity service's JWKS (``TSUEN_JWT_JWKS_URL``), picked by ``kid``.

Key rotation needs no restart: a token naming a key id this process has not seen makes it
fetch the document again (such refetches at most once per ``min_refresh_interval``, so tokens
with made-up key ids cannot turn every request into a fetch), and the document is fetched
again anyway once it is ``lifespan`` old. If identity cannot be reached, the keys fetched last
keep working.

The fetch is synchronous (PyJWT's client, urllib, ``timeout`` seconds at most) and rare: once
per lifespan and per rotation; failed fetches are retried at most every
``min_refresh_interval``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from jwt import PyJWK, PyJWKClient, PyJWKSet
from jwt.exceptions import PyJWKClientError, PyJWKError, PyJWKSetError

from tsuen_common.auth.errors import InvalidToken
from tsuen_common.logging import get_logger

log = get_logger(__name__)

# Only asymmetric keys come from a JWKS: a shared secret is never published.
JWKS_ALGORITHMS = frozenset({"RS256", "ES256"})


class JwksKeys:
    def __init__(
        self,
        url: str,
        *,
        lifespan: float = 300.0,
        min_refresh_interval: float = 10.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._client = PyJWKClient(url, cache_jwk_set=False, timeout=timeout)
        self._lifespan = lifespan
        self._min_refresh_interval = min_refresh_interval
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._unknown_kid_refetch_at: float | None = None
        self._lock = threading.Lock()

    def key(self, kid: str) -> PyJWK:
        """The key with this id; raises :class:`InvalidToken` if there is none (after one
        refetch) or no key could ever be fetched."""
        now = self._clock()
        due = self._fetched_at is None or now - self._fetched_at >= self._lifespan
        if due and self._may_attempt(now):
            self._refresh(now)
        elif not due and kid not in self._keys and self._may_refetch_for_unknown_kid(now):
            self._unknown_kid_refetch_at = now
            self._refresh(now)
        found = self._keys.get(kid)
        if found is None:
            if self._fetched_at is None:
                raise InvalidToken("the keys that verify tokens cannot be fetched; try again")
            raise InvalidToken("token key id (kid) is not known")
        return found

    def _may_attempt(self, now: float) -> bool:
        # A failed fetch is retried at most every min_refresh_interval: with identity away,
        # requests must not each wait for a fetch that times out.
        last = self._attempted_at
        return last is None or now - last >= self._min_refresh_interval

    def _may_refetch_for_unknown_kid(self, now: float) -> bool:
        last = self._unknown_kid_refetch_at
        return last is None or now - last >= self._min_refresh_interval

    def _refresh(self, now: float) -> None:
        with self._lock:
            if self._attempted_at is not None and self._attempted_at >= now:
                return  # another thread just did it
            self._attempted_at = now
            try:
                document = PyJWKSet.from_dict(self._client.fetch_data())
            except (PyJWKClientError, PyJWKSetError, PyJWKError, ValueError) as exc:
                # Keep what we have: identity being away must not log everybody out.
                log.warning(
                    "JWKS fetch failed; keeping the keys fetched before",
                    url=self.url,
                    error=type(exc).__name__,
                    keys=len(self._keys),
                )
                return
            self._keys = {
                k.key_id: k
                for k in document.keys
                if k.key_id and k.algorithm_name in JWKS_ALGORITHMS
            }
            self._fetched_at = now
