"""Administration subcommands: rotate-key, backup, purge (wired into ``ppa-bot`` by cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import ConfigError, load_offices, load_settings
from bot.crypto import Cipher, KeyError_

__all__ = ["cmd_backup", "cmd_purge", "cmd_rotate_key", "register"]


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


_ARGV_WARNING = (
    "warning: a key given with --new-key lands in your shell history and in `ps` output; "
    "prefer --new-key-file PATH or standard input (ppa-bot rotate-key < keyfile)"
)


def _read_new_key(args: argparse.Namespace) -> str:
    """The new key from --new-key-file, standard input, or (warned) --new-key."""
    if args.new_key is not None:
        print(_ARGV_WARNING, file=sys.stderr)
        return str(args.new_key).strip()
    if args.new_key_file is not None:
        path = Path(args.new_key_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--new-key-file: cannot read {path}: {exc.strerror}") from None
        return text.strip()
    if sys.stdin.isatty():
        return getpass.getpass("New PPA_SECRET_KEY (input hidden): ").strip()
    return sys.stdin.readline().strip()


def cmd_rotate_key(args: argparse.Namespace) -> int:
    """Re-encrypt the whole store under a new key (the bot must be stopped)."""
    from bot.security.keys import RotationError, RotationInterrupted, rotate_key
    from bot.store.db import Database
    from bot.store.pg_lock import instance_lock

    settings = load_settings()
    new_key = _read_new_key(args)
    try:
        Cipher(settings.ppa_secret_key)
    except KeyError_ as exc:
        raise ConfigError(f"current key: {exc}") from None
    try:
        Cipher(new_key)
    except KeyError_ as exc:
        return _fail(f"new key: {exc}")
    lock = instance_lock(settings.ppa_database)
    if not lock.acquire():
        return _fail("the bot is running on this database; stop it before rotating the key")

    async def main() -> str:
        db = await Database.open(settings.ppa_database)
        try:
            report = await rotate_key(
                db,
                settings.ppa_secret_key,
                new_key,
                at=datetime.now(UTC),
                evidence_dir=settings.ppa_evidence_dir,
            )
        finally:
            await db.close()
        parts = ", ".join(f"{k} {v}" for k, v in report.values.items() if v)
        return (
            f"re-encrypted {report.total} values ({parts or 'none'}) and {report.indexes} "
            f"cases' look-up indexes, and {report.files} evidence file(s)"
            + (f" ({report.files_failing} missing or damaged)" if report.files_failing else "")
            + f": key {report.old_key_id} -> {report.new_key_id}"
        )

    try:
        summary = asyncio.run(main())
    except RotationError as exc:
        return _fail(f"{exc} (nothing was changed)")
    except (RotationInterrupted, Exception) as exc:  # stopped after it began
        return _fail(
            f"the rotation stopped part-way ({type(exc).__name__}: {exc}). Nothing is lost: "
            "values are under the old or the new key. Run `ppa-bot rotate-key` again with the "
            "same new key to finish; the bot refuses to start until then."
        )
    finally:
        lock.release()
    print(summary)
    print(
        "Now put the new key in .env as PPA_SECRET_KEY before starting the bot again. "
        "Backups made before today are still under the old key: keep the old key with them, "
        "or make a new backup and destroy the old ones."
    )
    return 0


async def _audit_backup(db: Any) -> None:
    """A backup holds every case stored now: its date matters to a breach (ppa-bot breach)."""
    from bot.store.audit import append_audit
    from bot.store.schema import table_names

    async with db.transaction() as conn:
        if "audit_log" in await table_names(conn):
            await append_audit(conn, at=datetime.now(UTC), actor="admin:cli", action="backup")


def cmd_backup(args: argparse.Namespace) -> int:
    """Consistent copy of the live database (fields stay encrypted)."""
    from bot.security.backup import BackupError, backup_database
    from bot.store.db import Database
    from bot.store.evidence_files import EvidenceFiles, default_folder

    settings = load_settings()

    async def main() -> str:
        db = await Database.open(settings.ppa_database, migrate=False)
        try:
            files = EvidenceFiles(
                settings.ppa_evidence_dir or default_folder(settings.ppa_database)
            )
            result = await backup_database(db, args.path, evidence=files)
            await _audit_backup(db)
        finally:
            await db.close()
        return (
            f"backup written to {result.path} ({result.size} bytes, schema {result.schema_version})"
            + f" and {result.files} evidence file(s) to {result.evidence_path}"
            + (f" ({result.files_missing} deleted meanwhile)" if result.files_missing else "")
        )

    try:
        print(asyncio.run(main()))
    except BackupError as exc:
        return _fail(str(exc))
    print(
        "The copy is encrypted field by field; it is useless without PPA_SECRET_KEY. Keep the "
        "database file and its .evidence folder together: restoring needs both."
    )
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    """Delete closed cases older than each office's retention period."""
    from bot.security.retention import purge
    from bot.store.db import Database
    from bot.store.evidence_files import EvidenceFiles, default_folder

    settings = load_settings()
    offices = {o.id: o for o in load_offices(settings.ppa_offices)}

    async def main() -> list[str]:
        db = await Database.open(settings.ppa_database)
        try:
            files = EvidenceFiles(
                settings.ppa_evidence_dir or default_folder(settings.ppa_database)
            )
            report = await purge(
                db, offices, now=datetime.now(UTC), dry_run=args.dry_run, files=files
            )
        finally:
            await db.close()
        head = ("would purge" if report.dry_run else "purged") + f" {len(report.cases)} case(s)"
        return [head, *report.lines()]

    for line in asyncio.run(main()):
        print(line)
    return 0


def cmd_integrity_accept(args: argparse.Namespace) -> int:
    """Accept the roster decisions as they are now, after a security alert was looked into."""
    from bot.channels.telegram.runner import InstanceLock
    from bot.clock import SystemClock
    from bot.services.context import Services
    from bot.services.integrity import accept_current
    from bot.store.db import Database

    settings = load_settings()
    offices = {o.id: o for o in load_offices(settings.ppa_offices)}
    lock = InstanceLock(settings.ppa_database)
    if not lock.acquire():
        return _fail("the bot is running on this database; stop it first")

    async def main() -> None:
        db = await Database.open(settings.ppa_database)
        try:
            await accept_current(
                Services(db, SystemClock(), Cipher(settings.ppa_secret_key), offices)
            )
        finally:
            await db.close()

    try:
        asyncio.run(main())
    finally:
        lock.release()
    print(
        "Accepted: each office's roster is rebuilt from the office file and the signed "
        "decisions. Rows that failed their check stay refused. Ask each head to check the "
        "roster and to remove again anyone whose removal had been deleted."
    )
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add rotate-key, backup and purge to the ``ppa-bot`` parser."""
    rotate = subparsers.add_parser(
        "rotate-key", help="re-encrypt everything under a new key (stop the bot first)"
    )
    given = rotate.add_mutually_exclusive_group()
    given.add_argument(
        "--new-key-file", metavar="PATH", help="file holding the new key (else: standard input)"
    )
    given.add_argument(
        "--new-key", help="the new key itself (discouraged: shell history and `ps` show it)"
    )
    rotate.set_defaults(func=cmd_rotate_key)
    backup = subparsers.add_parser("backup", help="consistent copy of the database")
    backup.add_argument("path", help="file to write (must not exist)")
    backup.set_defaults(func=cmd_backup)
    purge = subparsers.add_parser("purge", help="delete closed cases past their retention")
    purge.add_argument("--dry-run", action="store_true", help="only list what would go")
    purge.set_defaults(func=cmd_purge)
    accept = subparsers.add_parser(
        "integrity-accept",
        help="after a security alert: accept the roster decisions as they are now (bot stopped)",
    )
    accept.set_defaults(func=cmd_integrity_accept)
