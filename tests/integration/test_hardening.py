"""Security review findings #8, #10, #11, #15, #19, #20: each control and the attack it stops."""

from __future__ import annotations

import asyncio
import csv
import inspect
import io
import logging
import os
import re
import shutil
import stat
import unicodedata
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook

from bot import cli
from bot.clock import FakeClock
from bot.crypto import Cipher, generate_key
from bot.domain.validation import Invalid, clean_text, parse_phone, parse_text
from bot.reports.export import COLUMNS, IDENTITY_COLUMNS, render_export
from bot.security.backup import backup_database
from bot.security.ratelimit import RateLimiter
from bot.store.db import Database
from bot.store.snapshot import vacuum_into
from bot.testing.harness import EXAMPLE_OFFICES, Harness
from tests.conftest import MONDAY_10_WIB
from tests.telegram.flows import full_report

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-token_for-tests"
PATH = "/telegram/hook"
TNG_ADMIN = 100000002
# every character the text validation must drop (#15)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask: files 0644 and folders 0755 unless the code asks for less."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: str) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    monkeypatch.setenv("PPA_DATABASE", str(tmp_path / "data" / "ppa.sqlite3"))
    monkeypatch.setenv("PPA_SECRET_KEY", key)
    monkeypatch.setenv("PPA_OFFICES", str(EXAMPLE_OFFICES))
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")  # never the internet
    monkeypatch.setenv("TELEGRAM_FILE_BASE_URL", "http://127.0.0.1:9/file/bot")


# ------------------------------------------------------------------ #8 unsafe defaults


async def test_database_folder_0700_and_files_0600_whatever_the_umask(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "data" / "ppa.sqlite3"
    db = await Database.open(path)
    try:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (x)")
        assert mode(path.parent) == 0o700
        for name in ("ppa.sqlite3", "ppa.sqlite3-wal", "ppa.sqlite3-shm"):
            assert (path.parent / name).exists(), name
            assert mode(path.parent / name) == 0o600, name
    finally:
        await db.close()


async def test_a_database_left_readable_by_others_is_tightened_on_open(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "ppa.sqlite3"
    db = await Database.open(path)
    await db.close()
    path.chmod(0o644)
    db = await Database.open(path)
    try:
        assert mode(path) == 0o600
        assert mode(path.with_name("ppa.sqlite3-wal")) == 0o600
    finally:
        await db.close()


async def test_backup_copy_is_0600_from_creation_and_a_new_folder_0700(
    tmp_path: Path, umask_022: None
) -> None:
    db = await Database.open(tmp_path / "live" / "ppa.sqlite3")
    try:
        # the snapshot itself (before backup_database's final chmod) is never world-readable
        raw = tmp_path / "raw.sqlite3"
        await asyncio.to_thread(vacuum_into, Path(db.path), raw)
        assert mode(raw) == 0o600
        result = await backup_database(db, tmp_path / "backups" / "copy.sqlite3")
    finally:
        await db.close()
    assert mode(result.path) == 0o600
    assert mode(result.path.parent) == 0o700


def test_run_and_rotate_key_create_the_data_folder_0700_before_the_lock_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask_022: None
) -> None:
    from bot.channels.telegram.runner import InstanceLock

    _env(monkeypatch, tmp_path, generate_key())
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:AAEfakefakefakefakefakefakefakefake")
    seen: list[int] = []
    real_acquire = InstanceLock.acquire

    def acquire(self: InstanceLock) -> bool:
        assert real_acquire(self)
        seen.append(mode(self.path.parent))
        self.release()
        return False  # as if another bot held it: the command stops here

    monkeypatch.setattr(InstanceLock, "acquire", acquire)
    assert cli.main(["run"]) == 2
    shutil.rmtree(tmp_path / "data")
    monkeypatch.setattr("sys.stdin", io.StringIO(generate_key() + "\n"))
    assert cli.main(["rotate-key"]) == 2
    assert seen == [0o700, 0o700]


def _write_env(tmp_path: Path, key: str, file_mode: int) -> Path:
    env = tmp_path / ".env"
    env.write_text(f"PPA_SECRET_KEY={key}\n", encoding="utf-8")
    env.chmod(file_mode)
    return env


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("warning:")]


def test_env_readable_by_others_warns_at_check_config_and_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = generate_key()
    _env(monkeypatch, tmp_path, key)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    env = _write_env(tmp_path, key, 0o644)

    assert cli.main(["check-config"]) == 0
    lines = _warnings(capsys.readouterr().err)
    assert len(lines) == 1
    assert ".env" in lines[0] and "chmod 600 .env" in lines[0]

    assert cli.main(["run"]) == 2  # no token: stops before Telegram, after the warning
    lines = _warnings(capsys.readouterr().err)
    assert len(lines) == 1 and "chmod 600 .env" in lines[0]

    env.chmod(0o600)
    assert cli.main(["check-config"]) == 0
    assert _warnings(capsys.readouterr().err) == []


def test_init_creates_env_0600_from_the_first_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env.example")
    # a chmod after writing leaves a window where the key is readable: take the chmod away
    monkeypatch.setattr(Path, "chmod", lambda self, m, **kw: None)
    old = os.umask(0)
    try:
        assert cli.main(["init"]) == 0
    finally:
        os.umask(old)
    env = tmp_path / ".env"
    assert mode(env) == 0o600
    assert re.search(r"^PPA_SECRET_KEY=\S{40,}$", env.read_text(encoding="utf-8"), re.M)


def _rotated_to(out: str, new: str) -> bool:
    return f"-> {Cipher(new).key_id}" in out


def test_rotate_key_reads_the_new_key_from_stdin_or_a_file_and_warns_on_argv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second, third, fourth = (generate_key() for _ in range(4))
    _env(monkeypatch, tmp_path, first)

    monkeypatch.setattr("sys.stdin", io.StringIO(second + "\n"))
    assert cli.main(["rotate-key"]) == 0
    out, err = capsys.readouterr()
    assert _rotated_to(out, second) and second not in out + err and _warnings(err) == []

    monkeypatch.setenv("PPA_SECRET_KEY", second)
    key_file = tmp_path / "new.key"
    key_file.write_text(third + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    assert cli.main(["rotate-key", "--new-key-file", str(key_file)]) == 0
    out, err = capsys.readouterr()
    assert _rotated_to(out, third) and _warnings(err) == []

    monkeypatch.setenv("PPA_SECRET_KEY", third)
    assert cli.main(["rotate-key", "--new-key", fourth]) == 0  # still works, with a warning
    out, err = capsys.readouterr()
    assert _rotated_to(out, fourth)
    (line,) = _warnings(err)
    assert "shell history" in line and "ps" in line

    monkeypatch.setenv("PPA_SECRET_KEY", fourth)
    monkeypatch.setattr("sys.stdin", io.StringIO("not-a-key\n"))
    assert cli.main(["rotate-key"]) == 2
    assert cli.main(["rotate-key", "--new-key-file", str(tmp_path / "missing.key")]) == 2


# ------------------------------------------------------------------ #20 wrong key


async def _fill(directory: Path, key: str) -> None:
    h = await Harness.create(directory, clock=FakeClock(MONDAY_10_WIB), secret_key=key)
    try:
        await full_report(h)
    finally:
        await h.stop()


def test_a_wrong_key_stops_the_bot_with_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    written_under = generate_key()
    asyncio.run(_fill(tmp_path / "data", written_under))
    wrong = generate_key()
    _env(monkeypatch, tmp_path, wrong)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456789:AAEfakefakefakefakefakefakefakefake")

    for argv in (
        ["run"],
        [
            "export",
            *("--office", "TNG", "--from", "2026-03-01", "--to", "2026-03-03"),
            *("--format", "csv", "--with-identity", "--admin-id", str(TNG_ADMIN)),
            *("--out", str(tmp_path / "x.csv")),
        ],
    ):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, err
        assert lines[0].startswith("error: PPA_SECRET_KEY")
        assert Cipher(wrong).key_id in lines[0] and Cipher(written_under).key_id in lines[0]
        assert "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


# ------------------------------------------------------------------ #11 SQL parameters in logs


async def test_aiosqlite_debug_logs_carry_no_sql_parameters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    db = await Database.open(tmp_path / "ppa.sqlite3")
    try:
        async with db.transaction() as tx:
            await tx.execute("CREATE TABLE t (x)")
            await tx.execute("INSERT INTO t VALUES (?)", ("reporter 5550017 Siti Rahmawati",))
        assert await db.fetchall("SELECT x FROM t WHERE x LIKE ?", ("%5550017%",))
    finally:
        await db.close()
    records = [r for r in caplog.records if r.name == "aiosqlite"]
    assert records  # DEBUG records were really captured
    logs = "\n".join(r.getMessage() for r in records)
    assert "executing execute" in logs
    for secret in ("5550017", "Siti", "INSERT INTO", "SELECT x"):
        assert secret not in logs


# ------------------------------------------------------------------ #19 webhook shape


@pytest.fixture
async def hook(harness: Harness) -> AsyncIterator[TestClient[Any, Any]]:
    from bot.channels.telegram.webhook import WebhookServer

    server = WebhookServer(harness.rt, path=PATH, secret_token=SECRET, runner=harness.runner)
    client: TestClient[Any, Any] = TestClient(TestServer(server.web_app()))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def _inbox_rows(h: Harness) -> int:
    import sqlite3

    conn = sqlite3.connect(h.rt.db.path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0])
    finally:
        conn.close()


MARK = "RAHASIA-KORBAN-77"
_MSG = {"message_id": 1, "date": 1772420400, "chat": {"id": 5, "type": "private"}, "text": MARK}


@pytest.mark.parametrize(
    "body",
    [
        b"true",
        b"[1]",
        b'{"update_id": true, "message": {"text": "' + MARK.encode() + b'"}}',
        b'{"update_id": 1180591620717411303424, "message": {"text": "' + MARK.encode() + b'"}}',
        b'{"update_id": 9223372036854775808}',
        b'{"update_id": -1}',
        b'{"update_id": 5.0}',
        b'{"update_id": "5"}',
        b'{"update_id": 5, "message": "' + MARK.encode() + b'"}',
        b'{"update_id": 5, "message": {"text": "' + MARK.encode() + b'"}}',
    ],
    ids=[
        "true",
        "array",
        "bool-id",
        "2^70",
        "2^63",
        "negative",
        "float",
        "string",
        "payload-not-object",
        "payload-unreadable",
    ],
)
async def test_webhook_refuses_what_is_not_an_update_with_400_and_logs_nothing(
    harness: Harness,
    hook: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
) -> None:
    from bot.channels.telegram.webhook import SECRET_HEADER

    caplog.set_level(logging.DEBUG)
    before = _inbox_rows(harness)
    resp = await hook.post(
        PATH, data=body, headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert _inbox_rows(harness) == before
    logs = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert MARK not in logs


async def test_webhook_still_takes_the_largest_storable_update_id(
    harness: Harness, hook: TestClient[Any, Any]
) -> None:
    from bot.channels.telegram.webhook import MAX_UPDATE_ID, SECRET_HEADER

    before = _inbox_rows(harness)
    update = {"update_id": MAX_UPDATE_ID, "message": _MSG}
    resp = await hook.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert resp.status == 200
    assert _inbox_rows(harness) == before + 1


# ------------------------------------------------------------------ #10 CSV formulas

ATTACKS = {
    "victim_name": "Budi;=cmd|' /C calc'!A0",
    "perpetrator": '\ufeff=HYPERLINK("http://x","klik")',
    "place": "Jl. Melati,+1+1",
    "phone": "\u200b@SUM(1+1)",
    "story": "ok\t-2+3 and\r\n=1+1 then ; \u00a0=2",
}
_FORMULA = tuple("=+-@\uff1d\uff0b\uff0d\uff20")


def _cells_as_a_spreadsheet_splits(text: str) -> list[str]:
    """Every cell a spreadsheet may see: split on any of , ; tab and line breaks."""
    return re.split(r"[,;\t\r\n]", text)


def _starts_a_formula(cell: str) -> bool:
    visible = "".join(ch for ch in cell if unicodedata.category(ch) != "Cf").strip()
    return visible.startswith(_FORMULA)


def test_csv_defuses_formulas_after_any_separator_or_invisible_character() -> None:
    row = {"case_number": "PPA-TNG-2026-00001", **ATTACKS}
    data = render_export([row], COLUMNS + IDENTITY_COLUMNS, "csv").decode("utf-8")
    assert data.startswith("\ufeff")  # the file's BOM for Excel stays
    body = data[1:]
    dangerous = [c for c in _cells_as_a_spreadsheet_splits(body) if _starts_a_formula(c)]
    assert dangerous == []
    # and the values are still all there for a reader
    (parsed,) = list(csv.DictReader(io.StringIO(body)))
    assert parsed["victim_name"] == "Budi;'=cmd|' /C calc'!A0"
    assert parsed["perpetrator"].startswith("'=HYPERLINK")
    assert "\ufeff" not in parsed["perpetrator"] and "\u200b" not in parsed["phone"]


def test_xlsx_has_no_formula_cells() -> None:
    row = {"case_number": "PPA-TNG-2026-00001", **ATTACKS}
    wb = load_workbook(io.BytesIO(render_export([row], COLUMNS + IDENTITY_COLUMNS, "xlsx")))
    for cells in wb.active.iter_rows(min_row=2):
        for cell in cells:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                assert not _starts_a_formula(cell.value), cell.value


# ------------------------------------------------------------------ #15 bidi and zero-width


@pytest.mark.parametrize("char", list(BIDI + ZERO_WIDTH), ids=lambda c: f"U+{ord(c):04X}")
def test_text_validation_drops_bidi_and_zero_width_characters(char: str) -> None:
    value = parse_text(f"{char}Budi{char}gnp.exe{char}", max_len=100)
    assert value == "Budignp.exe"
    assert parse_text(char * 5, max_len=100) == Invalid(
        "The answer is empty. Please write a few words."
    )
    assert clean_text(f" {char}0812{char}3456{char}7890 ") == "081234567890"
    assert parse_phone(f"0812-3456-7890{char}") == "+6281234567890"


async def test_stored_answers_and_exports_hold_no_bidi_or_zero_width(
    harness: Harness, tmp_path: Path
) -> None:
    story = "Dia memukul saya \u202eRAHASIA\u202c di rumah\u200b, sudah lama\ufeff sekali."
    await full_report(harness, story=story)
    async with harness.rt.db.reading() as conn:
        details = await harness.rt.services.cases.details(conn, 1)
    stored = "".join(str(v) for v in details.values())
    assert "RAHASIA" in stored
    assert not set(stored) & set(BIDI + ZERO_WIDTH)
    from bot.reports.export import export_rows

    async with harness.rt.db.reading() as conn:
        rows = await export_rows(
            harness.rt.services,
            conn,
            "TNG",
            date(2026, 3, 1),
            date(2026, 3, 3),
            with_identity=True,
        )
    for fmt in ("csv", "xlsx"):
        data = render_export(rows, COLUMNS + IDENTITY_COLUMNS, fmt)
        if fmt == "csv":
            assert not set(data.decode("utf-8")[1:]) & set(BIDI + ZERO_WIDTH)


# ------------------------------------------------------------------ docs match the code


def test_security_doc_states_the_rate_limit_the_code_applies() -> None:
    capacity = inspect.signature(RateLimiter).parameters["capacity"].default
    period = inspect.signature(RateLimiter).parameters["period"].default
    assert period == 60.0
    doc = (ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    assert f"{capacity} updates a minute" in doc
    assert not re.search(rf"\b(?!{capacity}\b)\d+ updates a minute", doc)
