"""`ppa-bot export`: cases for the national recording as CSV or XLSX (identity by admins only)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from bot.config import load_offices, load_settings
from bot.crypto import Cipher, KeyError_

__all__ = ["cmd_export", "register"]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_export(args: argparse.Namespace) -> int:
    """Write the export; exit 2 with one line when it is not allowed."""
    from bot.clock import SystemClock
    from bot.config import ConfigError
    from bot.reports.export import ExportRefused, export_cases
    from bot.services.context import Services
    from bot.store.db import Database

    settings = load_settings()
    try:
        cipher = Cipher(settings.ppa_secret_key)
    except KeyError_ as exc:
        raise ConfigError(str(exc)) from None
    offices = {o.id: o for o in load_offices(settings.ppa_offices)}
    office_id = str(args.office).upper()
    out: Path = args.out or Path(
        f"export-{office_id}-{args.date_from.isoformat()}-{args.date_to.isoformat()}.{args.format}"
    )

    async def main() -> int:
        if office_id not in offices:
            return _fail(f"unknown office {office_id!r} (known: {', '.join(offices)})")
        db = await Database.open(settings.ppa_database)
        try:
            svc = Services(db, SystemClock(), cipher, offices)
            result = await export_cases(
                svc,
                office_id,
                args.date_from,
                args.date_to,
                fmt=args.format,
                out=out,
                with_identity=args.with_identity,
                admin_id=args.admin_id,
            )
        except ExportRefused as exc:
            return _fail(str(exc))
        finally:
            await db.close()
        note = (
            " WITH IDENTITY: keep this file safe and delete it after use"
            if (result.with_identity)
            else ""
        )
        print(f"{result.path}: {result.rows} cases, {len(result.columns)} columns{note}")
        return 0

    return asyncio.run(main())


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``export`` to the ppa-bot command."""
    p = subparsers.add_parser(
        "export", help="cases of one office as CSV/XLSX for the national recording (SIMFONI-PPA)"
    )
    p.add_argument("--office", required=True, help="office id, e.g. TNG")
    p.add_argument("--from", dest="date_from", required=True, type=_date, help="YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", required=True, type=_date, help="YYYY-MM-DD")
    p.add_argument("--format", choices=("csv", "xlsx"), default="xlsx")
    p.add_argument(
        "--with-identity",
        action="store_true",
        help="add names, ages, place, phone and story (needs --admin-id of an office admin)",
    )
    p.add_argument("--admin-id", type=int, help="Telegram user id of an admin of the office")
    p.add_argument("--out", type=Path, help="output file (default: export-OFFICE-FROM-TO.FORMAT)")
    p.set_defaults(func=cmd_export)
