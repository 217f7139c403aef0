"""Failover on PostgreSQL: two bot processes on one database and one fake Bot API; three
reporters file complaints; the leader is SIGKILLed at a random moment and the standby
finishes the work: no complaint lost, none duplicated, one staff notice row per case. The
takeover time (kill until the new leader, its inbox replayed, polls Telegram) is printed.

Collected only with PPA_TEST_POSTGRESQL=1 (tests/conftest.py), like the other PostgreSQL
tests. ``PPA_FAILOVER_ROUNDS`` (default 3) sets the rounds, each on a fresh fake Bot API and
database; ``PPA_FAILOVER_SEED`` fixes the random kill moments.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

import tests.e2e.test_crash as crash
from bot.crypto import Cipher, generate_key
from bot.testing.fake_server import start_server, stop_server
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.postgres import PgServer
from tests.e2e.conftest import READY_TIMEOUT, STAFF_GROUPS, TOKEN, BotProcess
from tests.stores import TEMPLATE, query_now

pytestmark = pytest.mark.e2e

__all__ = ["ROUNDS"]

ROUNDS = int(os.environ.get("PPA_FAILOVER_ROUNDS", "3"))
SEED = int(os.environ.get("PPA_FAILOVER_SEED", str(int(time.time()))))
TAKEOVER_TARGET = 10.0  # seconds
ROUND_TIMEOUT = 180.0
_names = itertools.count(1)


class Instance(BotProcess):
    """One of the bot processes sharing the PostgreSQL database."""

    def __init__(self, fake: FakeTelegram, base_url: str, tmp_path: Path, logs: list[Path],
                 url: str, key: str) -> None:  # fmt: skip
        tmp_path.mkdir()
        super().__init__(fake, base_url, tmp_path, logs)
        self.env.update(PPA_DATABASE=url, PPA_SECRET_KEY=key)

    def text(self) -> str:
        """This instance's output so far (all its processes)."""
        return "".join(p.read_text(encoding="utf-8", errors="replace") for p in self.own)

    @property
    def own(self) -> list[Path]:
        """The output files of this instance's processes."""
        return sorted(self._tmp.glob("bot-*.log"))

    async def spawn(self) -> None:
        """Start a bot process (it leads or waits, as it finds the database)."""
        log = self._tmp / f"bot-{len(self._logs) + 1}.log"
        self._logs.append(log)
        with log.open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *self.args, cwd=self.cwd, env=self.env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip


async def _both_started(
    fake: FakeTelegram, one: Instance, two: Instance
) -> tuple[Instance, Instance]:
    """Start both at once; (leader, standby) once one polls Telegram and the other waits."""
    await asyncio.gather(one.spawn(), two.spawn())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2 * READY_TIMEOUT
    while True:
        texts = [one.text(), two.text()]
        leads = ["became leader" in t for t in texts]
        waits = ["standby:" in t for t in texts]
        if fake.call_counts["getUpdates"] > 0 and sum(leads) == 1 and sum(waits) == 1:
            return (one, two) if leads[0] and waits[1] else (two, one)
        for process in (one, two):
            assert process.running, f"a bot exited while starting:\n{process.output()}"
        assert loop.time() < deadline, f"the bots did not start:\n{one.output()}"
        await asyncio.sleep(0.02)


@dataclass
class Round:
    """What happened in one round."""

    number: int
    kill_at: int  # the leader dies once the reporters have received this many messages
    jitter: float  # ... and this many seconds more
    kill_after: float = 0.0  # seconds after the reporters began
    mid_complaint: bool = False
    takeover: float | None = None
    seconds: float = 0.0
    resent_notices: int = 0
    epochs: list[str] = field(default_factory=list)
    failure: str | None = None


def _new_database(server: PgServer) -> str:
    name = f"failover_{os.getpid()}_{next(_names)}"
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return server.url(name)


def _scalar(url: str, sql: str) -> Any:
    return query_now(url, sql)[0][0]


async def _settled(url: str) -> None:
    """Wait until every update is handled and every staff notice sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + crash.TIMEOUT
    waiting = (
        "SELECT (SELECT COUNT(*) FROM inbox WHERE status = 'new')"
        " + (SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND kind = 'staff_notice')"
    )
    while _scalar(url, waiting) > 0:
        assert loop.time() < deadline, "the new leader did not settle"
        await asyncio.sleep(0.05)


def _check(fake: FakeTelegram, url: str, key: str, rnd: Round) -> None:
    """Each reporter one case with her answers; one notice row per case; nothing pending."""
    where = f"round {rnd.number} (kill after {rnd.kill_at} messages, {rnd.kill_after:.2f}s)"
    cases = query_now(url, "SELECT number, categories, details_enc FROM cases")
    assert len(cases) == len(crash.REPORTERS), (where, [c[0] for c in cases])
    cipher = Cipher(key)
    for number, categories, blob in cases:
        details = cipher.decrypt_json(bytes(blob), context=b"case:" + str(number).encode())
        got = (details["victim_name"], details["perpetrator"], details["where"], details["story"])
        assert got == ("Melati", "Budi Santoso", "Jl. Kenanga No. 7, Cibodas", crash.STORY), where
        assert "physical" in str(categories) and "psychological" in str(categories), where
    numbers = {str(c[0]) for c in cases}
    for user in crash.REPORTERS:
        seen = {
            found.group(0)
            for m in fake.messages(user)
            if crash.receipt(m) and (found := crash.CASE_NUMBER.search(crash.text_of(m)))
        }
        assert len(seen) == 1 and seen <= numbers, (where, user, seen)
    notices = Counter(
        found.group(0)
        for chat in STAFF_GROUPS
        for m in fake.messages(chat)
        if crash.is_notice(m) and (found := crash.CASE_NUMBER.search(crash.text_of(m)))
    )
    assert set(notices) == numbers, (where, notices)
    rnd.resent_notices = sum(n - 1 for n in notices.values())
    rows = query_now(url, "SELECT COUNT(*), COUNT(DISTINCT dedupe_key) FROM outbox"
                          " WHERE kind = 'staff_notice'")  # fmt: skip
    assert rows[0] == (len(crash.REPORTERS), len(crash.REPORTERS)), (where, rows)
    pending = query_now(url, "SELECT COUNT(*) FROM inbox WHERE status != 'done'")
    assert pending[0][0] == 0, (where, pending)


def _received(fake: FakeTelegram) -> int:
    """How many messages the reporters have received so far."""
    return sum(len(fake.messages(user)) for user in crash.REPORTERS)


async def _moment(fake: FakeTelegram, rnd: Round, work: asyncio.Future[Any]) -> None:
    """Wait for the round's random moment: mid-complaint (unless the work is done first)."""
    for _ in range(int(ROUND_TIMEOUT / 0.005)):
        if work.done() or _received(fake) >= rnd.kill_at:
            break
        await asyncio.sleep(0.005)
    await asyncio.wait({work}, timeout=rnd.jitter)


async def _takeover(
    fake: FakeTelegram, standby: Instance, polls: int, rnd: Round, killed_at: float
) -> None:
    """Seconds from the kill until the standby, its inbox replayed, polls Telegram."""
    loop = asyncio.get_running_loop()
    while fake.call_counts["getUpdates"] <= polls or "became leader" not in standby.text():
        assert loop.time() - killed_at < 3 * TAKEOVER_TARGET, "the standby never took over"
        await asyncio.sleep(0.01)
    rnd.takeover = loop.time() - killed_at


async def _round(number: int, server: PgServer, base: Path, logs: list[Path],
                 rng: random.Random) -> Round:  # fmt: skip
    """Two instances, three reporters, the leader killed once at a random moment."""
    # each reporter receives about 25 messages: the kill lands between the 2nd and the 66th
    rnd = Round(number, kill_at=rng.randint(2, 66), jitter=rng.uniform(0.0, 0.2))
    started = time.monotonic()
    fake = FakeTelegram(token=TOKEN)
    web, base_url = await start_server(fake, port=0)
    url = _new_database(server)
    directory = base / f"round-{number:03d}"
    directory.mkdir()
    key = generate_key()
    leader = Instance(fake, base_url, directory / "a", logs, url, key)
    standby = Instance(fake, base_url, directory / "b", logs, url, key)
    try:
        for chat_id in STAFF_GROUPS:
            fake.member_joins(chat_id, fake.bot_id)
        leader, standby = await _both_started(fake, leader, standby)
        people = [crash.Reporter(fake, user) for user in crash.REPORTERS]
        work = asyncio.gather(*(p.report(o) for p, o in zip(people, crash.OFFICE_IDS, strict=True)))
        loop = asyncio.get_running_loop()
        began = loop.time()
        await _moment(fake, rnd, work)
        rnd.kill_after = loop.time() - began
        receipts = sum(1 for u in crash.REPORTERS for m in fake.messages(u) if crash.receipt(m))
        rnd.mid_complaint = receipts < len(crash.REPORTERS)
        assert leader.proc is not None
        leader.proc.send_signal(signal.SIGKILL)
        killed_at = loop.time()
        assert await leader.wait(crash.TIMEOUT) == -signal.SIGKILL
        polls = fake.call_counts["getUpdates"]  # after the dead one's last request arrived
        await _takeover(fake, standby, polls, rnd, killed_at)
        await asyncio.wait_for(work, ROUND_TIMEOUT)
        await _settled(url)
        rnd.epochs = [line.split("became leader ")[1] for p in (leader, standby)
                      for line in p.text().splitlines() if "became leader" in line]  # fmt: skip
        assert await standby.stop() == 0
        _check(fake, url, key, rnd)
        assert rnd.takeover is not None and rnd.takeover < TAKEOVER_TARGET, rnd.takeover
    except (AssertionError, TimeoutError) as exc:  # reported with every other round's result
        text = f"{type(exc).__name__}: {exc}"
        rnd.failure = text if len(text) < 900 else f"{text[:200]} ... {text[-700:]}"
    finally:
        for process in (leader, standby):
            if process.running:
                await process.stop()
        await stop_server(web)
    rnd.seconds = time.monotonic() - started
    return rnd


async def test_failover_postgresql_standby_finishes_the_work_nothing_lost(
    pg_server: PgServer, tmp_path: Path, bot_logs: list[Path]
) -> None:
    rng = random.Random(SEED)
    began = time.monotonic()
    results = [await _round(n, pg_server, tmp_path, bot_logs, rng) for n in range(ROUNDS)]
    takeovers = [r.takeover for r in results if r.takeover is not None]
    print(f"\nfailover test: {ROUNDS} rounds, seed {SEED}, {time.monotonic() - began:.1f} s")
    if takeovers:
        print(f"takeover (kill -> new leader polling): median {statistics.median(takeovers):.2f} s,"
              f" max {max(takeovers):.2f} s (target < {TAKEOVER_TARGET:.0f} s)")  # fmt: skip
    print(f"killed mid-complaint: {sum(r.mid_complaint for r in results)} of {ROUNDS} rounds")
    print(f"staff notices sent twice (at-least-once window): "
          f"{sum(r.resent_notices for r in results)}")  # fmt: skip
    for r in results:
        took = "-" if r.takeover is None else f"{r.takeover:.2f}s"
        print(
            f"  round {r.number:3d} kill at message {r.kill_at:2d} ({r.kill_after:4.2f}s)"
            f" {'mid' if r.mid_complaint else 'after'} takeover {took} {r.seconds:5.1f}s"
            f" leaders {r.epochs}" + (f" FAILED {r.failure}" if r.failure else "")
        )
    failed = [f"round {r.number}: {r.failure}" for r in results if r.failure]
    assert not failed, "\n".join(failed)
