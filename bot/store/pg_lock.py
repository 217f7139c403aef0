"""One running bot per PostgreSQL database: a session advisory lock (the lock file's twin)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import psycopg

from bot.store.pg import is_postgres_url
from bot.store.pg_sql import redact_url

__all__ = ["Lock", "PgInstanceLock", "instance_lock"]

# any constant, distinct from the migrations' ("ppa-run" in ASCII, folded to 63 bits)
_RUN_LOCK = 0x7070612D72756E


class Lock(Protocol):
    """What the commands hold while they run: the lock file's interface."""

    path: Any

    def acquire(self) -> bool: ...  # pragma: no cover - a protocol

    def release(self) -> None: ...  # pragma: no cover - a protocol


class PgInstanceLock:
    """Held by a connection of its own while the bot (or a key rotation) runs; the server
    frees it when that connection ends, however the process ends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = redact_url(url)
        self._conn: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        """Take the lock; False if another process holds it."""
        conn = psycopg.connect(self.url, autocommit=True)
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_RUN_LOCK,)).fetchone()
        if row is not None and row[0]:
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        """Let go of the lock."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def instance_lock(database: str | Path) -> Lock:
    """The lock for this PPA_DATABASE: an advisory lock on PostgreSQL, else a lock file."""
    if is_postgres_url(database):
        return PgInstanceLock(str(database))
    from bot.channels.telegram.runner import InstanceLock
    from bot.store.db import private_folder

    private_folder(database)  # before the lock file creates it world-readable
    return InstanceLock(database)
