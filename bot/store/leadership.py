"""Leadership between instances on one PostgreSQL database: a session advisory lock held on
a connection of its own, and an epoch (fencing token) raised by each new leader.

The leader's transactions run inside ``fenced(epoch)``: each one first reads the epoch row
``FOR SHARE`` and is refused (StaleLeader) when another instance has taken over since. A new
leader raises the epoch with an UPDATE, which waits for the old leader's open transactions
to finish; after it, every transaction of the old leader fails. See docs/ARCHITECTURE.md,
*Two instances, one leader*.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

import psycopg

__all__ = [
    "RUN_LOCK",
    "Leadership",
    "StaleLeader",
    "check_fence",
    "current_epoch",
    "fenced",
    "read_epoch",
]

log = logging.getLogger(__name__)

# any constant, distinct from the migrations' ("ppa-run" in ASCII, folded to 63 bits)
RUN_LOCK = 0x7070612D72756E
# how soon the server drops the session of a leader it can no longer reach (TCP only; a
# process that dies closes its socket and its session ends at once)
_KEEPALIVE = (
    "SET tcp_keepalives_idle = 2",
    "SET tcp_keepalives_interval = 1",
    "SET tcp_keepalives_count = 3",
    "SET tcp_user_timeout = 5000",
)
_CLIENT_KEEPALIVE: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 2,
    "keepalives_interval": 1,
    "keepalives_count": 3,
    "connect_timeout": 5,
}
_CHECK_TIMEOUT = 3.0  # a leader that cannot read its own epoch within this has lost it

_FENCE: ContextVar[int | None] = ContextVar("ppa_leader_epoch", default=None)


class StaleLeader(RuntimeError):
    """A write of an instance that is no longer the leader: refused, rolled back."""


@contextmanager
def fenced(epoch: int) -> Iterator[None]:
    """Transactions opened in this context (and tasks started in it) check ``epoch``."""
    token = _FENCE.set(epoch)
    try:
        yield
    finally:
        _FENCE.reset(token)


def current_epoch() -> int | None:
    """The epoch this context's transactions are fenced at (None: not fenced)."""
    return _FENCE.get()


async def check_fence(raw: psycopg.AsyncConnection[Any]) -> None:
    """Inside an open transaction: refuse unless this context's epoch is still the current
    one. The row stays share-locked until the transaction ends, so a new leader's epoch
    raise waits for it (nothing of the old leader commits after the new one starts)."""
    epoch = _FENCE.get()
    if epoch is None:
        return
    cur = await raw.execute("SELECT epoch FROM leadership WHERE id = 1 FOR SHARE")
    row = await cur.fetchone()
    if row is None or int(row[0]) != epoch:
        found = None if row is None else int(row[0])
        raise StaleLeader(f"leadership moved on (epoch {found}, this instance had {epoch})")


async def read_epoch(url: str) -> tuple[int, str | None]:
    """The current epoch and its holder, read by a connection of its own."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        cur = await conn.execute("SELECT epoch, holder FROM leadership WHERE id = 1")
        row = await cur.fetchone()
    assert row is not None, "the leadership row is missing (migration 0024)"
    return int(row[0]), row[1]


def _holder() -> str:
    """Who leads, as shown in the row: host and process id (nothing personal)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    """One instance's claim on the leadership of a PostgreSQL database.

    ``try_acquire`` takes the advisory lock on a connection kept for it alone and raises
    the epoch; the server frees the lock when that connection ends, however the process
    ends. ``held`` tells whether it still leads (the connection alive, the epoch its own).
    """

    def __init__(self, url: str, *, holder: str | None = None) -> None:
        self.url = url
        self.holder = holder or _holder()
        self.epoch: int | None = None
        self._conn: psycopg.AsyncConnection[Any] | None = None

    async def _connection(self) -> psycopg.AsyncConnection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            await self._drop()
            self._conn = await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, **_CLIENT_KEEPALIVE
            )
        return self._conn

    async def try_acquire(self) -> int | None:
        """Lead if no one else does: the new epoch, or None (another instance leads)."""
        if self.epoch is not None:
            return self.epoch
        conn = await self._connection()
        cur = await conn.execute("SELECT pg_try_advisory_lock(%s)", (RUN_LOCK,))
        row = await cur.fetchone()
        if row is None or not row[0]:
            return None
        try:
            self.epoch = await self._raise_epoch(conn)
        except BaseException:
            await self._drop()  # never hold the lock without an epoch
            raise
        return self.epoch

    async def _raise_epoch(self, conn: psycopg.AsyncConnection[Any]) -> int:
        """With the lock held: the server's keepalives for this session, then epoch + 1."""
        for statement in _KEEPALIVE:
            with suppress(psycopg.Error):  # a Unix socket ignores them; an old server lacks one
                await conn.execute(statement)
        # waits for a stale leader's transactions still holding the row (check_fence)
        cur = await conn.execute(
            "UPDATE leadership SET epoch = epoch + 1, holder = %s, since = CAST(now() AS TEXT)"
            " WHERE id = 1 RETURNING epoch",
            (self.holder,),
        )
        found = await cur.fetchone()
        if found is None:
            raise RuntimeError("the leadership row is missing (migration 0024)")
        return int(found[0])

    async def held(self) -> bool:
        """Whether this instance still leads; False once its connection is gone (the lock
        went with it) or the epoch moved on."""
        if self.epoch is None or self._conn is None or self._conn.closed:
            return False
        try:
            cur = await asyncio.wait_for(
                self._conn.execute("SELECT epoch FROM leadership WHERE id = 1"), _CHECK_TIMEOUT
            )
            row = await cur.fetchone()
        except (psycopg.Error, OSError, TimeoutError):
            return False
        return row is not None and int(row[0]) == self.epoch

    async def release(self) -> None:
        """Give up leadership (or stop waiting for it): close the lock's connection."""
        await self._drop()

    async def _drop(self) -> None:
        self.epoch = None
        conn, self._conn = self._conn, None
        if conn is not None:
            with suppress(psycopg.Error, OSError):
                await conn.close()
