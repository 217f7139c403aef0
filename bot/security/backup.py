"""Online, consistent backups of the store (fields stay encrypted in the copy)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.store.db import Database

__all__ = ["BackupError", "BackupResult", "backup_database"]


class BackupError(RuntimeError):
    """The backup could not be made; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    """Where the copy went and what it holds."""

    path: Path
    size: int
    schema_version: int


def _vacuum_into(database: Path, tmp: Path) -> None:
    """A separate read connection copies the last committed state (WAL snapshot)."""
    conn = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("VACUUM INTO ?", (str(tmp),))
    finally:
        conn.close()


def _finish(tmp: Path) -> int:
    """Make the copy a single self-contained file and check it; returns its schema version."""
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
        row = conn.execute("PRAGMA integrity_check").fetchone()
        if row is None or row[0] != "ok":
            raise BackupError("the copy failed SQLite's integrity check")
        version = conn.execute("PRAGMA user_version").fetchone()
        return int(version[0]) if version else 0
    finally:
        conn.close()


def _prepare(path: Path, database: Path, overwrite: bool) -> None:
    """Refuse to overwrite an existing file or the database; create the folder."""
    if path.exists() and not overwrite:
        raise BackupError(f"{path} exists already; choose a new file name")
    if path.resolve() == database.resolve():
        raise BackupError("the backup cannot overwrite the database itself")
    path.parent.mkdir(parents=True, exist_ok=True)


async def backup_database(
    db: Database, target: str | Path, *, overwrite: bool = False
) -> BackupResult:
    """Copy the committed database with ``VACUUM INTO`` (consistent, no free pages)."""
    path = Path(target)
    await asyncio.to_thread(_prepare, path, Path(db.path), overwrite)
    # a private folder next to the target: the copy is never readable by others
    folder = Path(
        await asyncio.to_thread(tempfile.mkdtemp, prefix=f".{path.name}.", dir=path.parent)
    )
    tmp = folder / "copy.sqlite3"
    try:
        await asyncio.to_thread(_vacuum_into, Path(db.path), tmp)
        version = await asyncio.to_thread(_finish, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except sqlite3.Error as exc:
        raise BackupError(f"backup failed: {exc}") from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    size = (await asyncio.to_thread(path.stat)).st_size
    return BackupResult(path=path, size=size, schema_version=version)
