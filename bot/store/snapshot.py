"""Consistent copies of the database file, made and checked with SQLite itself."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = ["SnapshotError", "check_copy", "vacuum_into"]


class SnapshotError(RuntimeError):
    """The copy could not be made or is not sound; the message says why."""


def vacuum_into(database: Path, target: Path) -> None:
    """A separate read connection copies the last committed state (WAL snapshot).

    The target is created empty with mode 0600 first (SQLite accepts an empty file): the copy
    is never readable by others, whatever the umask.
    """
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise SnapshotError(f"backup failed: cannot create {target}: {exc.strerror}") from None
    try:
        conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("PRAGMA busy_timeout=5000")
            conn.execute("VACUUM INTO ?", (str(target),))
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise SnapshotError(f"backup failed: {exc}") from None


def check_copy(path: Path) -> int:
    """Make the copy a single self-contained file and check it; returns its schema version."""
    try:
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
            row = conn.execute("PRAGMA integrity_check").fetchone()
            if row is None or row[0] != "ok":
                raise SnapshotError("the copy failed SQLite's integrity check")
            version = conn.execute("PRAGMA user_version").fetchone()
            return int(version[0]) if version else 0
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise SnapshotError(f"backup failed: {exc}") from None
