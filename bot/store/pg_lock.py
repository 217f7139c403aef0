"""Exclusive use of a database: the lock file on SQLite, on PostgreSQL the leaders' session
advisory lock (bot/store/leadership.py). ``rotate-key`` holds it; ``ppa-bot run`` holds it on
SQLite, and on PostgreSQL competes for leadership instead (a second instance waits)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Protocol

import psycopg

from bot.store.leadership import RUN_LOCK
from bot.store.pg import is_postgres_url
from bot.store.pg_sql import redact_url

__all__ = ["Lock", "PgInstanceLock", "instance_lock"]


class Lock(Protocol):
    """What the commands hold while they run: the lock file's interface."""

    path: Any

    def acquire(self) -> bool: ...  # pragma: no cover - a protocol

    def release(self) -> None: ...  # pragma: no cover - a protocol


class PgInstanceLock:
    """Held by a connection of its own while a key rotation runs (the leader's lock: no
    instance leads meanwhile); the server frees it when that connection ends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = redact_url(url)
        self._conn: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        """Take the lock; False if another process holds it."""
        conn = psycopg.connect(self.url, autocommit=True)
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (RUN_LOCK,)).fetchone()
        if row is not None and row[0]:
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        """Let go of the lock: unlocked before the connection closes (the server ends a closed
        session's backend, and frees what it held, only some time after the close returns)."""
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (RUN_LOCK,))
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
