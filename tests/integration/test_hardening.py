"""Security review findings #8, #11, #20: files, keys, logs; each control and what it stops."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from bot.clock import FakeClock
from bot.crypto import Cipher, generate_key
from bot.security.backup import backup_database
from bot.store import db as db_module
from bot.store.db import Database
from bot.store.snapshot import vacuum_into
from bot.testing.harness import EXAMPLE_OFFICES, Harness
from tests.conftest import MONDAY_10_WIB
from tests.telegram.flows import full_report

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
TNG_ADMIN = 100000002


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
    monkeypatch.setenv("PPA_ALLOW_EXAMPLE", "1")  # the example roster, in a test
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")  # never the internet
    monkeypatch.setenv("TELEGRAM_FILE_BASE_URL", "http://127.0.0.1:9/file/bot")


# ------------------------------------------------------------------ #8 unsafe defaults


@pytest.mark.sqlite_only  # modes of SQLite's file, WAL and shm
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


@pytest.mark.sqlite_only  # modes of SQLite's file and WAL
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


@pytest.mark.sqlite_only  # VACUUM INTO backup is SQLite's
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


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "worker-thread"])
@pytest.mark.sqlite_only  # aiosqlite's debug log
async def test_aiosqlite_debug_logs_carry_no_sql_parameters(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, inline: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(db_module, "INLINE_SQLITE", inline)
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
    if not inline:  # the worker thread logs each call (inline, statements are not logged)
        assert "executing execute" in logs
    for secret in ("5550017", "Siti", "INSERT INTO", "SELECT x"):
        assert secret not in logs
