"""`ppa-bot export`: cases for the national recording as CSV or XLSX (identity by admins only)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import load_offices, load_settings
from bot.crypto import Cipher, KeyError_

if TYPE_CHECKING:
    from bot.reports.export import Operator

__all__ = ["cmd_export", "register"]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _confirmation(
    office_id: str, admin_id: int, operator: Operator, given: str | None
) -> str | None:
    """``--confirm`` as typed; otherwise, on a terminal, what the operator types at a prompt."""
    if given is not None:
        return given
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return None
    print(
        f"Export WITH IDENTITY (names, phones, places, stories) of office {office_id} "
        f"as OS user {operator.os_user} (uid {operator.uid}) on {operator.host} "
        f"for admin {admin_id}. Type {office_id} to confirm: ",
        end="",
        file=sys.stderr,
        flush=True,
    )
    try:
        return sys.stdin.readline().rstrip("\r\n")
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return None


def cmd_export(args: argparse.Namespace) -> int:
    """Write the export; exit 2 with one line when it is not allowed."""
    from bot.clock import SystemClock
    from bot.config import ConfigError
    from bot.reports.export import (
        ExportRefused,
        Operator,
        check_confirmation,
        check_identity_permission,
        export_cases,
    )
    from bot.security.keys import check_key
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

    operator = Operator.current()

    async def main() -> int:
        if office_id not in offices:
            return _fail(f"unknown office {office_id!r} (known: {', '.join(offices)})")
        office = offices[office_id]
        confirm: str | None = None
        try:
            if args.with_identity or args.admin_id is not None:
                check_identity_permission(office, args.admin_id)  # before any prompt
        except ExportRefused as exc:
            return _fail(str(exc))
        db = await Database.open(settings.ppa_database)
        try:
            if args.with_identity:
                await check_key(db, cipher)  # a wrong key stops here, not after the prompt
                confirm = _confirmation(office_id, args.admin_id, operator, args.confirm)
                check_confirmation(office, confirm)
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
                confirm=confirm,
                operator=operator,
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
        for extra in result.sheet_paths:
            print(f"{extra}: casework sheet (SOP time standards or case plans, no personal data)")
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
        help=(
            "add names, ages, place, phone and story (needs --admin-id of an office admin "
            "and a confirmation: a prompt on a terminal, or --confirm OFFICE)"
        ),
    )
    p.add_argument("--admin-id", type=int, help="Telegram user id of an admin of the office")
    p.add_argument(
        "--confirm",
        metavar="OFFICE",
        help="confirm an identity export without a prompt: the office id, typed exactly",
    )
    p.add_argument("--out", type=Path, help="output file (default: export-OFFICE-FROM-TO.FORMAT)")
    p.set_defaults(func=cmd_export)
