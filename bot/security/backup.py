"""Online, consistent backups of the store (fields stay encrypted in the copy)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.store.db import Database
from bot.store.snapshot import SnapshotError, check_copy, vacuum_into

__all__ = ["PG_BACKUP", "BackupError", "BackupResult", "backup_database"]

PG_BACKUP = (
    "on PostgreSQL, back up with the server's own tools: pg_dump --format=custom (see"
    " docs/SECURITY.md, Backup on PostgreSQL); keep PPA_SECRET_KEY apart from the dump"
)


class BackupError(RuntimeError):
    """The backup could not be made; the message says why."""


@dataclass(frozen=True)
class BackupResult:
    """Where the copy went and what it holds."""

    path: Path
    size: int
    schema_version: int


def _prepare(path: Path, database: Path, overwrite: bool) -> None:
    """Refuse to overwrite an existing file or the database; create the folder."""
    if path.exists() and not overwrite:
        raise BackupError(f"{path} exists already; choose a new file name")
    if path.resolve() == database.resolve():
        raise BackupError("the backup cannot overwrite the database itself")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is filtered by the umask


async def backup_database(
    db: Database, target: str | Path, *, overwrite: bool = False
) -> BackupResult:
    """Copy the committed database with ``VACUUM INTO`` (consistent, no free pages)."""
    if db.dialect != "sqlite":
        raise BackupError(PG_BACKUP)
    path = Path(target)
    await asyncio.to_thread(_prepare, path, Path(db.path), overwrite)
    # a private folder next to the target: the copy is never readable by others
    folder = Path(
        await asyncio.to_thread(tempfile.mkdtemp, prefix=f".{path.name}.", dir=path.parent)
    )
    tmp = folder / "copy.sqlite3"
    try:
        await asyncio.to_thread(vacuum_into, Path(db.path), tmp)
        version = await asyncio.to_thread(check_copy, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except SnapshotError as exc:
        raise BackupError(str(exc)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    size = (await asyncio.to_thread(path.stat)).st_size
    return BackupResult(path=path, size=size, schema_version=version)
