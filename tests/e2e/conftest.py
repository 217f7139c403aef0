"""End-to-end fixtures: the fake Bot API served over HTTP in the test's event loop, and
``python -m bot run`` as its own process pointed at it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.crypto import generate_key
from bot.testing.fake_server import start_server, stop_server
from bot.testing.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
OFFICES = ROOT / "config" / "offices.example.toml"
TOKEN = "123456:E2E"
STAFF_GROUPS = (-1001000000001, -1001000000002, -1001000000003)
READY_TIMEOUT = 15.0
STOP_TIMEOUT = 15.0

_LOGS = pytest.StashKey[list[Path]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On failure, show the output of every bot process the test started."""
    report = yield
    if report.failed:
        for path in item.stash.get(_LOGS, []):
            text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
            report.sections.append((f"bot output {path.name}", text or "(empty)"))
    return report


class BotProcess:
    """``python -m bot run`` in its own process; start, stop (SIGTERM) and kill (SIGKILL)."""

    def __init__(self, fake: FakeTelegram, base_url: str, tmp_path: Path, logs: list[Path]):
        self.fake = fake
        self.db_path = tmp_path / "ppa.sqlite3"
        self.cwd = tmp_path / "run"  # no .env here: nothing leaks in from the project root
        self.cwd.mkdir()
        self._tmp = tmp_path
        self._logs = logs
        self.proc: asyncio.subprocess.Process | None = None
        self.args: list[str] = ["run"]  # the command line after ``python -m bot``
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PPA_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=f"{base_url}/bot",
            TELEGRAM_FILE_BASE_URL=f"{base_url}/file/bot",
            PPA_DATABASE=str(self.db_path),
            PPA_OFFICES=str(OFFICES),
            PPA_ALLOW_EXAMPLE="1",  # the example roster, in a test
            PPA_SECRET_KEY=generate_key(),
            PPA_TIME_SCALE="1",
            PPA_LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        )
        self.env = env

    @property
    def log(self) -> Path:
        """The newest process's output file."""
        return self._logs[-1]

    def output(self) -> str:
        """Everything the bot processes printed so far."""
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(encoding="utf-8", errors="replace") for p in self._logs
        )

    async def start(self) -> None:
        """Start a new bot process and wait until it polls for updates."""
        assert not self.running, "the bot is already running"
        polls = self.fake.call_counts["getUpdates"]
        log = self._tmp / f"bot-{len(self._logs) + 1}.log"
        self._logs.append(log)
        with log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *self.args,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        while self.fake.call_counts["getUpdates"] <= polls:
            code = self.proc.returncode
            if code is not None:
                raise AssertionError(f"the bot exited with {code} while starting:\n{self.output()}")
            if loop.time() > deadline:
                raise AssertionError(f"the bot did not start polling:\n{self.output()}")
            await asyncio.sleep(0.02)

    @property
    def running(self) -> bool:
        """Whether a bot process is alive."""
        return self.proc is not None and self.proc.returncode is None

    async def wait(self, timeout: float) -> int | None:  # noqa: ASYNC109
        """Wait for the process to exit; None on timeout."""
        assert self.proc is not None
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            return None

    async def stop(self) -> int:
        """SIGTERM, and SIGKILL if it has not exited in time; returns the exit status."""
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        code = await self.wait(STOP_TIMEOUT)
        if code is None:
            self.proc.kill()
            code = await self.wait(STOP_TIMEOUT)
        assert code is not None
        return code

    async def crash(self) -> None:
        """SIGKILL at once, as a power cut or the OOM killer would."""
        assert self.proc is not None
        self.proc.kill()
        code = await self.wait(STOP_TIMEOUT)
        assert code == -signal.SIGKILL, code

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the bot's database directly (works while it runs: SQLite WAL)."""
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=10)) as conn:
            return conn.execute(sql, params).fetchall()

    def scalar(self, sql: str, *params: Any) -> Any:
        """The first column of the first row."""
        rows = self.query(sql, *params)
        return rows[0][0] if rows else None


@pytest.fixture
async def served() -> AsyncIterator[tuple[FakeTelegram, str]]:
    """A fake Telegram served on 127.0.0.1 (random port) by this test's event loop."""
    fake = FakeTelegram(token=TOKEN)
    runner, base_url = await start_server(fake, port=0)
    # the bot was added to every staff group during setup
    for chat_id in STAFF_GROUPS:
        fake.member_joins(chat_id, fake.bot_id)
    try:
        yield fake, base_url
    finally:
        await stop_server(runner)


@pytest.fixture
def fake(served: tuple[FakeTelegram, str]) -> FakeTelegram:
    """The fake Telegram: simulate users, read what the bot sent."""
    return served[0]


@pytest.fixture
def bot_logs(request: pytest.FixtureRequest) -> Iterator[list[Path]]:
    """The output files of the bot processes of this test (shown when it fails)."""
    logs: list[Path] = []
    request.node.stash[_LOGS] = logs
    yield logs


@pytest.fixture
async def bot(
    served: tuple[FakeTelegram, str], tmp_path: Path, bot_logs: list[Path]
) -> AsyncIterator[BotProcess]:
    """The bot, not yet started; always stopped (SIGTERM, then SIGKILL) at the end."""
    process = BotProcess(*served, tmp_path, bot_logs)
    try:
        yield process
    finally:
        if process.running:
            await process.stop()
