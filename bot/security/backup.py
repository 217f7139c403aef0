"""Online, consistent backups of the store (fields stay encrypted in the copy).

The evidence files are not in the database: beside the copy ``NAME`` goes the folder
``NAME.evidence`` with every file the copied database refers to (copied as they are:
encrypted), taken after the database copy so that each row of the copy finds its file. A file
deleted in between (a purge, an erasure) is counted as missing: its case is being deleted.
Restoring is the two together: the database file, and the folder's files into the evidence
folder (PPA_EVIDENCE_DIR).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.store.db import Database
from bot.store.evidence_files import EvidenceFiles
from bot.store.snapshot import SnapshotError, check_copy, vacuum_into

__all__ = ["EVIDENCE_SUFFIX", "PG_BACKUP", "BackupError", "BackupResult", "backup_database"]

# the evidence files' folder beside a backup ``NAME``: ``NAME.evidence``
EVIDENCE_SUFFIX = ".evidence"

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
    evidence_path: Path | None = None
    files: int = 0  # evidence files copied
    files_missing: int = 0  # referenced by the copy, deleted before they could be copied


def _prepare(path: Path, database: Path, overwrite: bool) -> None:
    """Refuse to overwrite an existing file or the database; create the folder."""
    evidence = _evidence_path(path)
    if (path.exists() or evidence.exists()) and not overwrite:
        taken = path if path.exists() else evidence
        raise BackupError(f"{taken} exists already; choose a new file name")
    if path.resolve() == database.resolve():
        raise BackupError("the backup cannot overwrite the database itself")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is filtered by the umask


def _evidence_path(path: Path) -> Path:
    return path.with_name(path.name + EVIDENCE_SUFFIX)


def _referenced(copy: Path) -> list[str]:
    """The evidence file references the copied database holds."""
    conn = sqlite3.connect(copy)
    try:
        columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(evidence)")}
        if "file_ref" not in columns:
            return []
        rows = conn.execute("SELECT file_ref FROM evidence WHERE file_ref IS NOT NULL")
        return [str(r[0]) for r in rows]
    finally:
        conn.close()


def _copy_files(files: EvidenceFiles, refs: list[str], folder: Path) -> tuple[int, int]:
    """Copy the referenced files as they are (encrypted) into a new private folder."""
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    copied = missing = 0
    for ref in refs:
        source = files.path(ref)
        target = folder / ref
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            shutil.copyfile(source, target)  # in blocks, never the whole file in memory
        except FileNotFoundError:
            target.unlink(missing_ok=True)
            missing += 1
            continue
        copied += 1
    return copied, missing


async def backup_database(
    db: Database,
    target: str | Path,
    *,
    overwrite: bool = False,
    evidence: EvidenceFiles | None = None,
) -> BackupResult:
    """Copy the committed database with ``VACUUM INTO`` (consistent, no free pages), then the
    evidence files it refers to (``evidence``: the store; None leaves them out)."""
    if db.dialect != "sqlite":
        raise BackupError(PG_BACKUP)
    path = Path(target)
    await asyncio.to_thread(_prepare, path, Path(db.path), overwrite)
    # a private folder next to the target: the copy is never readable by others
    folder = Path(
        await asyncio.to_thread(tempfile.mkdtemp, prefix=f".{path.name}.", dir=path.parent)
    )
    tmp = folder / "copy.sqlite3"
    files_tmp = folder / "evidence"
    copied = missing = 0
    evidence_path = _evidence_path(path) if evidence is not None else None
    try:
        await asyncio.to_thread(vacuum_into, Path(db.path), tmp)
        version = await asyncio.to_thread(check_copy, tmp)
        if evidence is not None and evidence_path is not None:
            refs = await asyncio.to_thread(_referenced, tmp)
            copied, missing = await asyncio.to_thread(_copy_files, evidence, refs, files_tmp)
            if evidence_path.exists():  # overwrite was asked for
                await asyncio.to_thread(shutil.rmtree, evidence_path)
            os.replace(files_tmp, evidence_path)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except SnapshotError as exc:
        raise BackupError(str(exc)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    size = (await asyncio.to_thread(path.stat)).st_size
    return BackupResult(path, size, version, evidence_path, copied, missing)
