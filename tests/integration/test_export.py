"""The national-recording export: columns, no identity by default, admins only, audited."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.identity import Handle
from bot.reports.export import COLUMNS, IDENTITY_COLUMNS, ExportRefused, Operator, export_cases
from bot.reports_cli import register
from bot.services.context import Services
from bot.services.intake import submit_complaint
from bot.store.db import Database

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
OFFICES = ROOT / "config" / "offices.example.toml"
TNG_ADMIN = 100000002
TNG_KETUA = 100000001
PKL_ADMIN = 200000003
OPERATOR = Operator(os_user="operator", uid=1000, host="ppa-server")
SECRETS = ("Siti Rahmawati", "0812-9999-1234", "Cerita rahasia sekali", "Jl. Melati Gg. 3")


@dataclass
class Env:
    svc: Services
    clock: FakeClock
    key: str
    path: str | Path
    closed: bool = False


@pytest.fixture
async def env(db_target: str | Path) -> AsyncIterator[Env]:
    path = db_target  # a new SQLite file or PostgreSQL database (tests/stores.py)
    db = await Database.open(path)
    key = generate_key()
    clock = FakeClock(datetime(2026, 1, 5, 3, 0, tzinfo=UTC))
    offices = {o.id: o for o in load_offices(OFFICES)}
    svc = Services(db, clock, Cipher(key), offices)
    try:
        e = Env(svc, clock, key, path)
        yield e
    finally:
        if not e.closed:
            await db.close()


async def _submit(e: Env, key: str, **over: Any) -> int:
    answers: dict[str, Any] = {
        "danger": "no", "office": "TNG", "reporter": "victim", "victim_name": SECRETS[0],
        "victim_age": 16, "victim_sex": "female", "disability": "yes",
        "violence": ["sexual", "psychological"], "relation": "teacher", "perpetrator": "Pak X",
        "when": "today", "where": SECRETS[3], "story": SECRETS[2], "phone": SECRETS[1],
        "call_time": "anytime", "help": ["legal", "counselling"], "notify": "normal",
        "consent": "yes", **over,
    }  # fmt: skip
    res = await submit_complaint(
        e.svc, answers=answers, evidence=[], idempotency_key=key, mode="reporter",
        reporter=Handle("telegram", str(555)), recorded_by=None, language="id",
    )  # fmt: skip
    return res.case_id


async def _cases(e: Env) -> None:
    await _submit(e, "a")
    e.clock.advance(days=31)
    await _submit(e, "b", victim_age=34, victim_sex="male", violence=["physical"])
    await _submit(e, "pkl", office="PKL")  # another office: never in TNG's export
    e.clock.advance(days=60)
    await _submit(e, "late")  # after the range


def _xlsx(path: Path) -> list[list[Any]]:
    wb = load_workbook(path, read_only=True)
    rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
    wb.close()
    return rows


async def test_xlsx_has_the_recording_columns_and_no_identity(env: Env, tmp_path: Path) -> None:
    await _cases(env)
    out = tmp_path / "out.xlsx"
    res = await export_cases(
        env.svc, "TNG", date(2026, 1, 1), date(2026, 3, 31), fmt="xlsx", out=out
    )
    rows = _xlsx(out)
    assert tuple(rows[0]) == COLUMNS and res.rows == 2 == len(rows) - 1
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["No. Registrasi"] == "PPA-TNG-2026-00001"
    assert first["Tanggal Pengaduan"] == "2026-01-05" and first["Tanggal Selesai"] in (None, "")
    assert first["Kelompok Umur Korban"] == "13-17 tahun"
    assert first["Jenis Kelamin Korban"] == "Perempuan"
    assert first["Disabilitas Korban"] == "Ya (jenis belum dicatat)"
    assert first["Bentuk Kekerasan"] == "Seksual; Psikis"
    assert first["Hubungan Pelaku dengan Korban"] == "Guru"
    assert first["Tanggal Kejadian"] == "2026-01-05" and first["Status Kasus"] == "Baru"
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["Kelompok Umur Korban"] == "25-44 tahun"
    assert second["Tanggal Pengaduan"] == "2026-02-05"
    cells = " ".join(str(c) for row in rows for c in row if c is not None)
    for secret in (*SECRETS, "Pak X"):
        assert secret not in cells
    assert not set(IDENTITY_COLUMNS) & set(rows[0])
    assert out.stat().st_mode & 0o077 == 0  # owner-only file


async def test_identity_only_for_an_admin_of_the_office(env: Env, tmp_path: Path) -> None:
    await _cases(env)
    out = tmp_path / "id.xlsx"
    await export_cases(
        env.svc, "TNG", date(2026, 1, 1), date(2026, 3, 31), fmt="xlsx", out=out,
        with_identity=True, admin_id=TNG_ADMIN, confirm="TNG", operator=OPERATOR,
    )  # fmt: skip
    rows = _xlsx(out)
    assert tuple(rows[0]) == COLUMNS + IDENTITY_COLUMNS
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Nama Korban"] == SECRETS[0] and first["Telepon Pelapor"] == SECRETS[1]
    assert first["Kronologi"] == SECRETS[2] and first["Alamat Kejadian"] == SECRETS[3]
    assert first["Umur Korban"] == 16 and first["Nama Pelaku"] == "Pak X"
    for who in (TNG_KETUA, PKL_ADMIN, None):  # not admin; admin elsewhere; nobody named
        with pytest.raises(ExportRefused):
            await export_cases(
                env.svc, "TNG", date(2026, 1, 1), date(2026, 3, 31), fmt="xlsx",
                out=tmp_path / "no.xlsx", with_identity=True, admin_id=who, confirm="TNG",
            )  # fmt: skip
    assert not (tmp_path / "no.xlsx").exists()
    audit = await env.svc.db.fetchall("SELECT actor, detail FROM audit_log WHERE action='export'")
    assert len(audit) == 1 and audit[0]["actor"] == f"admin:{TNG_ADMIN}"
    detail = json.loads(audit[0]["detail"])
    assert detail == {
        "office": "TNG", "from": "2026-01-01", "to": "2026-03-31", "format": "xlsx",
        "rows": 2, "with_identity": True, "admin_id": TNG_ADMIN, "os_user": "operator",
        "uid": 1000, "host": "ppa-server",
    }  # fmt: skip


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ppa-bot")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


async def test_cli_csv_and_refusal(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _cases(env)
    await env.svc.db.close()  # the CLI opens the database itself
    env.closed = True
    monkeypatch.setenv("PPA_DATABASE", str(env.path))
    monkeypatch.setenv("PPA_OFFICES", str(OFFICES))
    monkeypatch.setenv("PPA_SECRET_KEY", env.key)
    base = ["export", "--office", "TNG", "--from", "2026-01-01", "--to", "2026-12-31"]
    out = tmp_path / "x.csv"

    code = await asyncio.to_thread(_cli, [*base, "--format", "csv", "--out", str(out)])
    assert code == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == COLUMNS and len(rows) == 4  # header + the 3 TNG cases
    assert not any(s in out.read_text(encoding="utf-8-sig") for s in SECRETS)
    refused = tmp_path / "refused.xlsx"
    argv = [*base, "--format", "xlsx", "--with-identity", "--admin-id", str(TNG_KETUA)]
    code = await asyncio.to_thread(_cli, [*argv, "--out", str(refused)])
    assert code == 2 and not refused.exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "admin" in err[0] and str(TNG_KETUA) in err[0]
    code = await asyncio.to_thread(_cli, [*base, "--with-identity", "--out", str(refused)])
    assert code == 2 and not refused.exists()
