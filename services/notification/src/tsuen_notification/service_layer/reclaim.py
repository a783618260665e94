"""A restarted sender does not wait for its own leases (issue 18).

A sender is named ``<host>-<pid>-<random>``. At start, :func:`reclaim_predecessors` releases the
leases held by earlier senders on the same host that are surely dead: the same process id as
this one (a container restarted: its process gets the same id), or a process id no longer alive
here. Their mails are sent at once instead of after the lease; the one mail a kill caught
between the server's 250 and its mark goes out again with the same Message-ID. A sender on
another host (a rescheduled pod) still waits for the lease: whether that one is dead cannot be
known from here.
"""

from __future__ import annotations

import os
import socket
import uuid

from sqlalchemy.ext.asyncio import AsyncEngine

from tsuen_common.logging import get_logger
from tsuen_notification.adapters import mail_queue
from tsuen_notification.domain.delivery import dead_predecessor

log = get_logger(__name__)


def new_sender_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


async def reclaim_predecessors(engine: AsyncEngine, sender_id: str) -> int:
    """Release the leases of this host's dead senders; the number of mails released. A
    database that is away only delays it to the leases."""
    host = socket.gethostname()
    try:
        async with engine.begin() as conn:
            holders = await mail_queue.holders_starting_with(conn, f"{host}-")
            dead = [
                h
                for h in holders
                if dead_predecessor(h, host=host, pid=os.getpid(), me=sender_id, alive=pid_alive)
            ]
            released = await mail_queue.release(conn, dead) if dead else 0
    except Exception as exc:
        log.warning("could not reclaim a dead sender's mails", error=type(exc).__name__)
        return 0
    if released:
        log.info("reclaimed the mails of a dead sender", senders=dead, mails=released)
    return released
