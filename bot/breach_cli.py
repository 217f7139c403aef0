"""`ppa-bot breach`: record a personal data breach, list what it may have exposed (counts and
case numbers, never a victim's data), draft the notices, and track the 3 x 24 h deadline."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import load_offices, load_settings

__all__ = ["cmd_breach", "parse_since", "register"]

ACTOR = "admin:cli"


def parse_since(text: str, zones: list[str]) -> datetime:
    """A date (its earliest start among the offices' zones: the safe side) or a datetime."""
    try:
        if "T" in text or " " in text:
            at = datetime.fromisoformat(text)
            return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None
    starts = [datetime.combine(day, time(), tzinfo=ZoneInfo(z)) for z in zones or ["UTC"]]
    return min(starts).astimezone(UTC)


def _summary(report: object) -> list[str]:
    from bot.services.breach import BreachReport

    assert isinstance(report, BreachReport)

    def counts(what: str) -> str:
        return ", ".join(f"{k} {n}" for k, n in sorted(report.count(what).items())) or "-"

    return [
        f"breach {report.incident_id} recorded {report.recorded_at:%Y-%m-%d %H:%M} UTC, "
        f"since {report.since:%Y-%m-%d %H:%M} UTC",
        f"notices due (3x24 h, UU 27/2022 Pasal 46): {report.due_at:%Y-%m-%d %H:%M} UTC "
        "(the bot reminds the heads; `ppa-bot breach --notified "
        f"{report.incident_id}` when sent)",
        f"stored cases: {len(report.subjects)}; child victims: {report.children}; "
        f"data subjects at least: {report.people}",
        f"per office: {counts('office')}",
        f"per channel: {counts('channel')}",
        f"per reporter: {counts('reporter')}",
        f"how to tell them: {counts('route')}",
        f"identity read since then: {sum(1 for s in report.subjects if s.identity_reads)} cases",
        f"removed since (maybe in backups): {len(report.removed)}",
        f"backups recorded: {len(report.backups)}",
        "cases: " + (" ".join(s.case.number for s in report.subjects) or "-"),
        *(["removed: " + " ".join(r.number for r in report.removed)] if report.removed else []),
    ]


def cmd_breach(args: argparse.Namespace) -> int:
    """Record a breach and draft its notices, or mark its notices sent."""
    from bot.clock import SystemClock
    from bot.crypto import Cipher
    from bot.i18n import I18n
    from bot.security.breach_drafts import write_drafts
    from bot.services.breach import mark_notified, record_breach
    from bot.services.context import Services
    from bot.store.db import Database

    settings = load_settings()
    offices = {o.id: o for o in load_offices(settings.ppa_offices)}
    if args.since is None and args.notified is None:
        print("error: give --since DATE or --notified ID", file=sys.stderr)
        return 2

    async def main() -> list[str]:
        db = await Database.open(settings.ppa_database)
        try:
            svc = Services(db, SystemClock(), Cipher(settings.ppa_secret_key), offices)
            if args.notified is not None:
                ok = await mark_notified(svc, args.notified, actor=ACTOR)
                state = "notices recorded as sent" if ok else "not open (unknown or already sent)"
                return [f"breach {args.notified}: {state}"]
            since = parse_since(args.since, sorted({o.timezone for o in offices.values()}))
            report = await record_breach(svc, since, actor=ACTOR)
        finally:
            await db.close()
        folder = args.out or Path(f"breach-{report.incident_id}")
        paths = write_drafts(report, offices, I18n(), folder)
        return [*_summary(report), *(f"draft: {p}" for p in paths)]

    for line in asyncio.run(main()):
        print(line)
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``breach`` to the ppa-bot command."""
    p = subparsers.add_parser(
        "breach", help="record a data breach, list what it exposed, draft the notices (72 h)"
    )
    p.add_argument("--since", help="when the breach may have begun: YYYY-MM-DD or ISO time")
    p.add_argument("--out", type=Path, help="folder for the drafts (default: breach-ID)")
    p.add_argument("--notified", type=int, metavar="ID", help="the notices of breach ID went out")
    p.set_defaults(func=cmd_breach)
