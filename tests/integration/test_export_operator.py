"""Security review #18: an identity export is bound to the OS operator, confirmed, audited."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import pwd
import socket
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.reports.export import IDENTITY_COLUMNS, ExportRefused, Operator, export_cases
from bot.reports_cli import register
from bot.services.context import Services
from bot.services.intake import submit_complaint
from bot.store.audit import verify_chain
from bot.store.db import Database

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
OFFICES = ROOT / "config" / "offices.example.toml"
TNG_ADMIN = 100000002
TNG_KETUA = 100000001
PKL_ADMIN = 200000003
SECRETS = ("Siti Rahmawati", "0812-9999-1234", "Cerita rahasia sekali", "Jl. Melati Gg. 3")
BASE = ["export", "--office", "TNG", "--from", "2026-01-01", "--to", "2026-12-31"]


class _Terminal(io.StringIO):
    """Standard input or error as if on a terminal."""

    def isatty(self) -> bool:
        return True


async def _fill(path: str | Path, key: str) -> None:
    db = await Database.open(path)
    clock = FakeClock(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    svc = Services(db, clock, Cipher(key), {o.id: o for o in load_offices(OFFICES)})
    try:
        for n in ("a", "b"):
            answers: dict[str, Any] = {
                "danger": "no", "office": "TNG", "reporter": "victim",
                "victim_name": SECRETS[0], "victim_age": 16, "victim_sex": "female",
                "disability": "no", "violence": ["psychological"], "relation": "teacher",
                "perpetrator": "Pak X", "when": "today", "where": SECRETS[3],
                "story": SECRETS[2], "phone": SECRETS[1], "call_time": "anytime",
                "help": ["legal"], "notify": "normal", "consent": "yes",
            }  # fmt: skip
            await submit_complaint(
                svc, answers=answers, evidence=[], idempotency_key=n, mode="reporter",
                reporter=Handle("telegram", "555"), recorded_by=None, language="id",
            )  # fmt: skip
            clock.advance(days=1)
    finally:
        await db.close()


@pytest.fixture
def db_path(db_target: str | Path, monkeypatch: pytest.MonkeyPatch) -> str | Path:
    """A database with two TNG cases (each store), and the environment the CLI reads."""
    path = db_target
    key = generate_key()
    asyncio.run(_fill(path, key))
    monkeypatch.setenv("PPA_DATABASE", str(path))
    monkeypatch.setenv("PPA_OFFICES", str(OFFICES))
    monkeypatch.setenv("PPA_SECRET_KEY", key)
    return path


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ppa-bot")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


async def _exports(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    db = await Database.open(path)
    try:
        rows = await db.fetchall("SELECT actor, detail FROM audit_log WHERE action='export'")
        async with db.reading() as tx:
            _, broken = await verify_chain(tx)
        assert broken is None
        return [(r["actor"], json.loads(r["detail"])) for r in rows]
    finally:
        await db.close()


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


def test_identity_export_without_confirmation_is_refused_in_one_line(
    db_path: str | Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("TNG\n"))  # not a terminal: no prompt
    out = tmp_path / "id.csv"
    argv = [*BASE, "--format", "csv", "--with-identity", "--admin-id", str(TNG_ADMIN)]
    assert _cli([*argv, "--out", str(out)]) == 2
    line = _one_error_line(capsys)
    assert "--confirm" in line and '"TNG"' in line
    for wrong in ("tng", "TNG ", " TNG", "PKL", ""):  # the office id, typed exactly
        assert _cli([*argv, "--confirm", wrong, "--out", str(out)]) == 2
        assert "--confirm" in _one_error_line(capsys)
    assert not out.exists()
    assert asyncio.run(_exports(db_path)) == []  # nothing read, nothing audited


def test_confirmed_identity_export_audits_os_user_uid_host_admin_and_rows(
    db_path: str | Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for var in ("USER", "LOGNAME", "LNAME", "USERNAME"):  # the OS user is not self-declared
        monkeypatch.setenv(var, "mallory")
    out = tmp_path / "id.csv"
    argv = [*BASE, "--format", "csv", "--with-identity", "--admin-id", str(TNG_ADMIN)]
    assert _cli([*argv, "--confirm", "TNG", "--out", str(out)]) == 0
    assert "WITH IDENTITY" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8-sig")
    assert all(col in text for col in IDENTITY_COLUMNS) and SECRETS[0] in text
    assert out.stat().st_mode & 0o777 == 0o600

    ((actor, detail),) = asyncio.run(_exports(db_path))
    uid = os.getuid()
    assert actor == f"admin:{TNG_ADMIN}"
    assert detail["os_user"] == pwd.getpwuid(uid).pw_name != "mallory"
    assert detail["uid"] == uid and detail["host"] == socket.gethostname()
    assert detail["admin_id"] == TNG_ADMIN and detail["rows"] == 2
    assert detail["with_identity"] is True and detail["office"] == "TNG"
    for secret in (*SECRETS, "Pak X"):  # no personal data in the audit
        assert secret not in json.dumps(detail)


def test_a_terminal_prompt_confirms_with_the_office_id_only(
    db_path: str | Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = [*BASE, "--format", "xlsx", "--with-identity", "--admin-id", str(TNG_ADMIN)]
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr("sys.stdin", _Terminal("yes\n"))
    refused = tmp_path / "no.xlsx"
    assert _cli([*argv, "--out", str(refused)]) == 2 and not refused.exists()
    me = Operator.current()
    prompt, _, error = terminal.getvalue().partition("Type TNG to confirm: ")
    assert prompt.startswith("Export WITH IDENTITY") and "office TNG" in prompt
    assert me.os_user in prompt and f"uid {me.uid}" in prompt and str(TNG_ADMIN) in prompt
    assert error.startswith("error: --with-identity needs confirmation")

    monkeypatch.setattr("sys.stderr", _Terminal())
    monkeypatch.setattr("sys.stdin", _Terminal("TNG\n"))
    out = tmp_path / "yes.xlsx"
    assert _cli([*argv, "--out", str(out)]) == 0 and out.exists()
    ((_, detail),) = asyncio.run(_exports(db_path))
    assert (detail["os_user"], detail["uid"], detail["host"]) == (me.os_user, me.uid, me.host)


def test_only_an_admin_of_the_office_even_when_confirmed(
    db_path: str | Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "id.csv"
    for who in (TNG_KETUA, PKL_ADMIN):  # not an admin; an admin of another office
        argv = [*BASE, "--with-identity", "--admin-id", str(who), "--confirm", "TNG"]
        assert _cli([*argv, "--out", str(out)]) == 2
        line = _one_error_line(capsys)
        assert "admin" in line and str(who) in line
        # a plain export does not audit an unchecked admin id either
        assert _cli([*BASE, "--admin-id", str(who), "--out", str(out)]) == 2
        assert str(who) in _one_error_line(capsys)
    assert not out.exists()
    assert asyncio.run(_exports(db_path)) == []


async def test_library_refuses_identity_without_confirmation(
    tmp_path: Path, db_target: str | Path
) -> None:
    key = generate_key()
    await _fill(db_target, key)
    db = await Database.open(db_target)
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    svc = Services(db, clock, Cipher(key), {o.id: o for o in load_offices(OFFICES)})
    op = Operator(os_user="petugas-it", uid=1234, host="ppa-server")
    try:
        with pytest.raises(ExportRefused, match="confirm"):
            await export_cases(
                svc, "TNG", date(2026, 1, 1), date(2026, 12, 31), fmt="csv",
                out=tmp_path / "no.csv", with_identity=True, admin_id=TNG_ADMIN, operator=op,
            )  # fmt: skip
        assert not (tmp_path / "no.csv").exists()
        res = await export_cases(
            svc, "TNG", date(2026, 1, 1), date(2026, 12, 31), fmt="csv",
            out=tmp_path / "id.csv", with_identity=True, admin_id=TNG_ADMIN, confirm="TNG",
            operator=op,
        )  # fmt: skip
        assert res.rows == 2
        (row,) = await db.fetchall("SELECT detail FROM audit_log WHERE action='export'")
        detail = json.loads(row["detail"])
        assert (detail["os_user"], detail["uid"], detail["host"]) == (
            "petugas-it",
            1234,
            "ppa-server",
        )
    finally:
        await db.close()


def test_export_file_is_0600_over_a_readable_file_and_a_symlink(
    db_path: str | Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_umask = os.umask(0)
    try:
        out = tmp_path / "old.csv"
        out.write_text("old")
        out.chmod(0o644)  # left readable by others by someone else
        assert _cli([*BASE, "--format", "csv", "--out", str(out)]) == 0
        assert out.stat().st_mode & 0o777 == 0o600

        target = tmp_path / "elsewhere.txt"
        target.write_text("not yours")
        target.chmod(0o644)
        link = tmp_path / "link.csv"
        link.symlink_to(target)
        assert _cli([*BASE, "--format", "csv", "--out", str(link)]) == 0
        assert not link.is_symlink() and link.stat().st_mode & 0o777 == 0o600
        assert target.read_text() == "not yours"  # the link was replaced, not followed

        fresh = tmp_path / "new-folder" / "x.csv"
        assert _cli([*BASE, "--format", "csv", "--out", str(fresh)]) == 0
        assert fresh.parent.stat().st_mode & 0o777 == 0o700
        assert fresh.stat().st_mode & 0o777 == 0o600
        assert not list(fresh.parent.glob(".export-*"))  # no temporary file left
    finally:
        os.umask(old_umask)
