"""The export for SIMFONI-PPA: one row per victim, every column and value from SIMFONI's list."""

from __future__ import annotations

import asyncio
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.domain.record_entry import parse_record_words
from bot.reports.export import COLUMNS, IDENTITY_COLUMNS, export_cases
from bot.services.record import RecordOutcome, complete_record, show_record
from tests.integration.test_export import (
    OFFICES,
    OPERATOR,
    TNG_ADMIN,
    TNG_KETUA,
    Env,
    _cli,
    _submit,
    _xlsx,
)
from tests.integration.test_export import env as env  # the fixture

__all__: list[str] = []

FIXTURE = tomllib.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "simfoni_ppa.toml").read_text("utf-8")
)
PKL_PETUGAS = 200000002


def test_every_column_is_simfonis() -> None:
    assert list(COLUMNS) == FIXTURE["columns"]
    assert list(IDENTITY_COLUMNS) == FIXTURE["identity_columns"]


def _check_values(header: list[Any], rows: list[list[Any]]) -> None:
    assert header == FIXTURE["columns"] + FIXTURE["identity_columns"] or header == list(COLUMNS)
    allowed: dict[str, list[str]] = FIXTURE["values"]
    for row in rows:
        for name, cell in zip(header, row, strict=True):
            if name in allowed:
                for part in str(cell).split("; "):
                    assert part in allowed[name], (name, cell)


async def _two_victims(env: Env) -> int:
    case_id = await _submit(
        env, "two", victim_age=13, violence=["physical", "psychological"], relation="parent",
        when="2026-01-02", place="rumah_tangga", perpetrator_sex="male",
    )  # fmt: skip
    entry = parse_record_words(
        [
            "wilayah=Kec._Cibodas", "layanan=kesehatan,bantuan_hukum",
            "korban1.pendidikan=smp", "korban1.status=belum_kawin", "korban1.pekerjaan=pelajar",
            "korban2.jk=l", "korban2.usia=9", "korban2.pendidikan=sd", "pelaku1.usia=40",
            "pelaku2.hubungan=pengasuh", "pelaku2.jk=p", "pelaku2.usia=25-44",
        ]
    )  # fmt: skip
    result = await complete_record(env.svc, "PPA-TNG-2026-00001", TNG_ADMIN, entry)
    assert result.outcome is RecordOutcome.OK
    return case_id


async def test_a_case_with_two_victims_gives_two_rows_in_simfonis_words(
    env: Env, tmp_path: Path
) -> None:
    await _two_victims(env)
    out = tmp_path / "simfoni.xlsx"
    res = await export_cases(env.svc, "TNG", date(2026, 1, 1), date(2026, 1, 31),
                             fmt="xlsx", out=out)  # fmt: skip
    rows = _xlsx(out)
    assert res.rows == 2 == len(rows) - 1
    _check_values(list(rows[0]), rows[1:])
    first, second = (dict(zip(rows[0], r, strict=True)) for r in rows[1:])
    assert first["No. Registrasi"] == second["No. Registrasi"] == "PPA-TNG-2026-00001"
    assert (first["Korban Ke"], second["Korban Ke"]) == (1, 2)
    assert first["Tanggal Kejadian"] == "2026-01-02" and first["Tanggal Pengaduan"] == "2026-01-05"
    assert first["Tempat Kejadian"] == "Rumah tangga" and first["Kecamatan/Desa"] == "Kec. Cibodas"
    assert first["Bentuk Kekerasan"] == "Fisik; Psikis"
    assert first["Kelompok Umur Korban"] == "13-17 tahun"
    assert first["Pendidikan Korban"] == "SLTP / sederajat"
    assert first["Status Perkawinan Korban"] == "Belum kawin"
    assert first["Disabilitas Korban"] == "Ya (jenis belum dicatat)"
    assert second["Jenis Kelamin Korban"] == "Laki-laki"
    assert second["Kelompok Umur Korban"] == "6-12 tahun"
    assert second["Pendidikan Korban"] == "SD / sederajat"
    assert first["Hubungan Pelaku dengan Korban"] == "Orang tua; Pengasuh"
    assert first["Jenis Kelamin Pelaku"] == "Laki-laki; Perempuan"
    assert first["Kelompok Umur Pelaku"] == "25-44 tahun; 25-44 tahun"
    assert first["Layanan yang Diterima"] == "Pengaduan; Kesehatan; Bantuan hukum"
    assert first["Status Kasus"] == "Baru" and first["Sumber Pengaduan"] == "Telegram"


async def test_identity_columns_name_the_first_victim_only(env: Env, tmp_path: Path) -> None:
    await _two_victims(env)
    out = tmp_path / "id.csv"
    await export_cases(
        env.svc, "TNG", date(2026, 1, 1), date(2026, 1, 31), fmt="csv", out=out,
        with_identity=True, admin_id=TNG_ADMIN, confirm="TNG", operator=OPERATOR,
    )  # fmt: skip
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].split(",") == FIXTURE["columns"] + FIXTURE["identity_columns"]
    assert lines[1].count("Siti Rahmawati") == 1 and "Siti Rahmawati" not in lines[2]


async def test_domestic_from_an_old_draft_becomes_a_place(env: Env, tmp_path: Path) -> None:
    await _submit(env, "old", violence=["physical", "domestic"])
    out = tmp_path / "old.csv"
    await export_cases(env.svc, "TNG", date(2026, 1, 1), date(2026, 1, 31), fmt="csv", out=out)
    header, row = (line.split(",") for line in out.read_text("utf-8-sig").splitlines())
    got = dict(zip(header, row, strict=True))
    assert got["Bentuk Kekerasan"] == "Fisik" and got["Tempat Kejadian"] == "Rumah tangga"


async def test_bad_numbers_and_other_units_change_nothing(env: Env) -> None:
    await _submit(env, "a")
    number = "PPA-TNG-2026-00001"
    skip = parse_record_words(["korban3.jk=p"])
    assert (await complete_record(env.svc, number, TNG_ADMIN, skip)).outcome is (
        RecordOutcome.BAD_NUMBER
    )
    other = await complete_record(
        env.svc, number, PKL_PETUGAS, parse_record_words(["tempat=sekolah"])
    )
    assert other.outcome is RecordOutcome.NOT_FOUND
    shown = await show_record(env.svc, number, TNG_KETUA)
    assert shown.record is not None and len(shown.record.victims) == 1
    assert shown.record.place == "unknown"


async def test_the_command_writes_two_rows_for_two_victims(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _two_victims(env)
    await env.svc.db.close()  # the command opens the database itself
    env.closed = True
    monkeypatch.setenv("PPA_DATABASE", str(env.path))
    monkeypatch.setenv("PPA_OFFICES", str(OFFICES))
    monkeypatch.setenv("PPA_SECRET_KEY", env.key)
    out = tmp_path / "simfoni.xlsx"
    argv = ["export", "--office", "TNG", "--from", "2026-01-01", "--to", "2026-01-31",
            "--format", "xlsx", "--out", str(out)]  # fmt: skip
    assert await asyncio.to_thread(_cli, argv) == 0
    rows = _xlsx(out)
    assert list(rows[0]) == FIXTURE["columns"] and len(rows) == 3
    assert [r[1] for r in rows[1:]] == [1, 2]  # Korban Ke
    _check_values(list(rows[0]), rows[1:])
