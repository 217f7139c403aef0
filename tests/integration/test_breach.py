"""`ppa-bot breach --since`: the affected cases (never in clear), the drafted notices, and the
3 x 24 h deadline as a tracked row the sweep reminds of (UU 27/2022 Pasal 46)."""

from __future__ import annotations

import asyncio
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.scheduler.sweep import sweep
from bot.services.breach import record_breach
from bot.services.context import Services
from bot.services.intake import submit_complaint
from bot.store.audit import append_audit
from bot.store.db import Database

ROOT = Path(__file__).resolve().parents[2]
OFFICES = ROOT / "config" / "offices.example.toml"
SECRETS = ("Siti Rahmawati", "0812-9999-1234", "Cerita rahasia sekali", "Jl. Melati Gg. 3",
           "Pak Joko")  # fmt: skip
START = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def _answers(office: str, notify: str, phone: str) -> dict[str, Any]:
    return {
        "danger": "no", "office": office, "reporter": "victim", "victim_name": SECRETS[0],
        "victim_age": 16, "victim_sex": "female", "disability": "no",
        "violence": ["psychological"], "relation": "teacher", "perpetrator": SECRETS[4],
        "when": "today", "where": SECRETS[3], "story": SECRETS[2], "phone": phone,
        "call_time": "anytime", "help": ["legal"], "notify": notify, "consent": "yes",
    }  # fmt: skip


async def _fill(path: str | Path, key: str) -> None:
    db = await Database.open(path)
    clock = FakeClock(START)
    svc = Services(db, clock, Cipher(key), {o.id: o for o in load_offices(OFFICES)})
    try:
        for n, (office, notify, phone) in enumerate(
            [("TNG", "normal", SECRETS[1]), ("TNG", "none", SECRETS[1]), ("PKL", "neutral", "")]
        ):
            await submit_complaint(
                svc, answers=_answers(office, notify, phone), evidence=[],
                idempotency_key=str(n), mode="reporter", reporter=Handle("telegram", f"55{n}"),
                recorded_by=None, language="id",
            )  # fmt: skip
            clock.advance(days=1)
        async with db.transaction() as conn:  # a case purged after the start of the breach
            purged = "PPA-PSR-2025-00007 retention 730d"
            await append_audit(conn, at=START + timedelta(days=5), actor="system:retention",
                               action="purge", case_id=99, detail=purged)  # fmt: skip
    finally:
        await db.close()


@pytest.fixture
def db_path(db_target: str | Path, monkeypatch: pytest.MonkeyPatch) -> str | Path:
    """Three cases in two offices (each store), and the environment the CLI reads."""
    path = db_target
    key = generate_key()
    asyncio.run(_fill(path, key))
    monkeypatch.setenv("PPA_DATABASE", str(path))
    monkeypatch.setenv("PPA_OFFICES", str(OFFICES))
    monkeypatch.setenv("PPA_SECRET_KEY", key)
    return path


async def _incident(path: str | Path) -> tuple[datetime, datetime, str]:
    db = await Database.open(path)
    try:
        row = await db.fetchone("SELECT recorded_at, due_at, status FROM breach_incidents")
        assert row is not None
        return datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1]), str(row[2])
    finally:
        await db.close()


async def _sweep(path: str | Path, key: str, now: datetime) -> tuple[int, int, list[str]]:
    db = await Database.open(path)
    try:
        svc = Services(db, FakeClock(now), Cipher(key), {o.id: o for o in load_offices(OFFICES)})
        report = await sweep(svc, now)
        rows = await db.fetchall(
            "SELECT recipient FROM outbox WHERE kind LIKE 'breach%' ORDER BY id"
        )
        return (report.reminders["breach_due_soon"], report.reminders["breach_overdue"],
                [str(r[0]) for r in rows])  # fmt: skip
    finally:
        await db.close()


def test_breach_lists_affected_cases_drafts_notices_and_tracks_72_hours(
    db_path: str | Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "drafts"
    assert main(["breach", "--since", "2026-01-06", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for number in ("PPA-TNG-2026-00001", "PPA-TNG-2026-00002", "PPA-PKL-2026-00001"):
        assert number in printed
    assert "PPA-PSR-2025-00007" in printed  # purged since then: maybe in a leaked copy
    assert "stored cases: 3" in printed and "child victims: 3" in printed
    assert "PKL 1, TNG 2" in printed
    assert "bot 1, bot_neutral 1, phone 1" in printed  # "none": called, never messaged
    for secret in SECRETS:
        assert secret not in printed

    recorded, due, status = asyncio.run(_incident(db_path))
    assert due - recorded == timedelta(hours=72) and status == "open"
    assert f"{due:%Y-%m-%d %H:%M}" in printed

    drafts = sorted(out.iterdir())
    assert [p.name for p in drafts] == ["breach-1-authority.md", "breach-1-subjects.md"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    authority, subjects = (p.read_text(encoding="utf-8") for p in drafts)
    for p in drafts:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    # Pasal 46(2): what leaked, when and how, what is done
    for field in ("Data pribadi yang terungkap", "Kapan dan bagaimana", "Upaya penanganan"):
        assert field in authority
    assert "Pasal 46" in subjects and "PPA-TNG-2026-00002 | TNG | telegram" in subjects
    assert "Kami wajib memberi tahu Anda" in subjects  # the notice in the reporter's language
    for secret in SECRETS:
        assert secret not in authority and secret not in subjects

    key = os.environ["PPA_SECRET_KEY"]
    soon, late, recipients = asyncio.run(_sweep(db_path, key, recorded + timedelta(hours=47)))
    assert (soon, late) == (0, 0)
    soon, late, recipients = asyncio.run(_sweep(db_path, key, recorded + timedelta(hours=49)))
    assert (soon, late) == (1, 0)
    # the heads (as persons: no Telegram id in the outbox) and the groups
    assert any(r.startswith("person:") for r in recipients) and "group:TNG" in recipients
    assert not any("100000001" in r for r in recipients)
    soon, late, _ = asyncio.run(_sweep(db_path, key, due + timedelta(minutes=1)))
    assert (soon, late) == (0, 1)

    assert main(["breach", "--notified", "1"]) == 0
    assert "notices recorded as sent" in capsys.readouterr().out
    assert asyncio.run(_incident(db_path))[2] == "notified"
    soon, late, _ = asyncio.run(_sweep(db_path, key, due + timedelta(days=2)))
    assert (soon, late) == (0, 0)


@pytest.mark.sqlite_only  # `ppa-bot backup` is SQLite's (PostgreSQL: pg_dump)
def test_a_backup_is_audited(db_path: str | Path, tmp_path: Path) -> None:
    # a backup is audited: its date tells a later breach what a leaked copy holds
    assert main(["backup", str(tmp_path / "copy.sqlite3")]) == 0
    assert asyncio.run(_count(db_path, "SELECT COUNT(*) FROM audit_log WHERE action='backup'")) == 1


async def _count(path: str | Path, sql: str) -> int:
    db = await Database.open(path)
    try:
        row = await db.fetchone(sql)
        assert row is not None
        return int(row[0])
    finally:
        await db.close()


async def test_a_backup_from_before_the_breach_counts_cases_removed_since_it(
    db_target: str | Path,
) -> None:
    key = generate_key()
    path = db_target
    await _fill(path, key)  # three cases; one purged on 10 January (audit)
    db = await Database.open(path)
    clock = FakeClock(START + timedelta(days=30))
    svc = Services(db, clock, Cipher(key), {o.id: o for o in load_offices(OFFICES)})
    try:
        since = START + timedelta(days=10)  # after the purge
        assert (await record_breach(svc, since, actor="test")).removed == []
        async with db.transaction() as conn:  # a backup made before the purge may be the leak
            await append_audit(conn, at=START + timedelta(days=2), actor="admin:cli",
                               action="backup")  # fmt: skip
        report = await record_breach(svc, since, actor="test")
        assert [r.number for r in report.removed] == ["PPA-PSR-2025-00007"]
        assert report.backups == [START + timedelta(days=2)]
        assert report.due_at == clock.now() + timedelta(hours=72)
    finally:
        await db.close()


async def test_a_contact_mode_changed_without_the_key_does_not_route_a_breach_notice(
    db_target: str | Path,
) -> None:
    key = generate_key()
    await _fill(db_target, key)  # the second case's reporter said "none": she is called
    db = await Database.open(db_target)
    svc = Services(db, FakeClock(START + timedelta(days=30)), Cipher(key),
                   {o.id: o for o in load_offices(OFFICES)})  # fmt: skip
    try:
        async with db.transaction() as conn:  # security review #5: a write without the key
            await conn.execute("UPDATE cases SET notify_mode = 'normal' WHERE number = ?",
                               ("PPA-TNG-2026-00002",))  # fmt: skip
        report = await record_breach(svc, START, actor="test")
        routes = {s.case.number: s.route for s in report.subjects}
        assert routes["PPA-TNG-2026-00002"] == "phone"  # not messaged on the shared phone
        assert routes["PPA-TNG-2026-00001"] == "bot"  # the untouched case as before
    finally:
        await db.close()
