"""``Idempotency-Key``: a retried POST gets the first answer, never a second effect (issue 18).

A client whose answer was lost (timeout, dropped connection, a crash on either side) cannot know
whether its booking or cancellation happened. It sends the same request again with the same
``Idempotency-Key`` header, and gets:

- the first answer again (status and body, ``Idempotent-Replayed: true``) when the first attempt
  changed something;
- 422 ``idempotency_key_reused`` when the key was used for a different request (method, path,
  query or body differ);
- 409 ``idempotency_in_flight`` with ``Retry-After`` while the first attempt is still running;
- the request carried out, as if new, when the first attempt changed nothing (a refusal, a
  database outage): nothing is remembered for those, so nothing stands in the way.

Keys are scoped to the caller (the verified token's subject): one caller cannot read another's
answer. A request without a key, or without a token that verifies, is served as before.

How a crash cannot break it: **the key is recorded in the same transaction as the state
change.** :class:`IdempotencyGuard` (an ASGI middleware) puts a :class:`Claim` in a context
variable; a ``before_commit`` listener on every SQLAlchemy session inserts the key row in the
committing transaction, if that transaction wrote anything (``txid_current_if_assigned()``).
So the row exists exactly when the effect does:

- a duplicate arriving at the same time cannot commit a second effect: its own key insert finds
  the first one's row (PostgreSQL makes it wait for the first to commit), raises
  :class:`DuplicateRequest`, and its transaction rolls back whole; the guard then answers it
  from the first one's row;
- a duplicate refused by the domain (409 "overlapping booking": the first one's booking is in
  its way) is answered from the first one's row too: on any refusal the guard looks for a row
  under its key before letting the refusal out;
- the answer itself is stored in a second, small statement right after the handler returns. A
  crash between the commit and that statement leaves a row without an answer. Once
  ``pending_seconds`` have passed (the first attempt is surely gone), a retry asks the service's
  ``recover`` function for an equivalent answer (booking: the booking it made, 201); a service
  without one answers 409 ``idempotency_already_done`` ("この操作はすでに完了しています").

A service whose POSTs change nothing outside its own database's transactions (booking,
attendance) passes ``ask_first=False``: a request is not looked up before it runs (one round
trip fewer on the hot paths, issue 20); a retry then runs again and is answered from its key row
when its commit meets that row or its refusal meets the first attempt's effect, as above.

Rows are kept for a day (:data:`KEEP`) and deleted by ``tsuen-<service> purge-idempotency-keys``
(a CronJob per service). A service switches this on with a table in its own database (its
Alembic migration calls :func:`create_idempotency_table`) and :func:`enable_idempotency`.

Modules: :mod:`.keys` (the table, the key recorded at commit, lookup, stored answer, purge),
:mod:`.answers` (what a key row answers: pure), :mod:`.guard` (the middleware).
"""

from tsuen_common.idempotency.answers import PENDING_SECONDS, Answer, Stored, decide, fingerprint
from tsuen_common.idempotency.guard import (
    HEADER,
    Attempt,
    IdempotencyConfig,
    IdempotencyGuard,
    Recover,
    enable_idempotency,
)
from tsuen_common.idempotency.keys import (
    KEEP,
    PURGE_COMMAND,
    TABLE_NAME,
    Claim,
    DuplicateRequest,
    add_idempotency_table,
    claimed,
    create_idempotency_table,
    drop_idempotency_table,
    fetchrow,
    pending_claim,
    purge,
    purge_command,
)

__all__ = [
    "HEADER",
    "KEEP",
    "PENDING_SECONDS",
    "PURGE_COMMAND",
    "TABLE_NAME",
    "Answer",
    "Attempt",
    "Claim",
    "DuplicateRequest",
    "IdempotencyConfig",
    "IdempotencyGuard",
    "Recover",
    "Stored",
    "add_idempotency_table",
    "claimed",
    "create_idempotency_table",
    "decide",
    "drop_idempotency_table",
    "enable_idempotency",
    "fetchrow",
    "fingerprint",
    "pending_claim",
    "purge",
    "purge_command",
]
