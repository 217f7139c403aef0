"""The kill -9 crash test on the WhatsApp webhook: three reporters file complaints at once over
signed webhook POSTs while the bot (its own process, WhatsApp against the fake Cloud API, staff
on the fake Telegram) dies at every WhatsApp crash point or by a random SIGKILL; Meta's side
re-delivers every POST not answered 200 with the same message id. Nothing lost, nothing doubled.

The rule for repeated replies (delivery is at-least-once): a reply goes out twice only when the
process died after the Graph API accepted it and before its outbox row was marked sent. So a
round killed at ``wa_after_send`` repeats exactly one reply, a random SIGKILL at most one per
kill, and every other crash point none. A repeat is the same body sent twice in a row to her.

``PPA_CRASH_ROUNDS`` (default 3) sets the number of rounds; ``PPA_CRASH_SEED`` fixes the random
choices (which kill point the rounds start from, the n-th time a point dies, after how many
replies a SIGKILL comes).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.channels.whatsapp.webhook import PATH
from bot.crypto import Cipher
from bot.faultpoints import WHATSAPP_POINTS
from bot.testing.fake_server import start_server, stop_server
from bot.testing.fake_telegram import FakeTelegram, SentMessage
from bot.testing.fake_whatsapp import FakeCloudAPI
from tests.e2e import conftest
from tests.e2e.conftest import STAFF_GROUPS, TOKEN, BotProcess
from tests.e2e.whatsapp_reporters import (
    CASE_NUMBER,
    FORM,
    OFFICE_IDS,
    PHONE_ID,
    SECRET,
    STORY,
    TIMEOUT,
    Meta,
    Reporter,
    asks_any,
    steps,
)

pytestmark = pytest.mark.e2e

ROUNDS = int(os.environ.get("PPA_CRASH_ROUNDS", "3"))
SEED = int(os.environ.get("PPA_CRASH_SEED", str(int(time.time()))))
KILLS = (*WHATSAPP_POINTS, "sigkill")
# how often each point is reached in one round, at least (3 reporters x 27 messages, 3 cases,
# 29 replies each); the n-th time to die at is drawn from 1..REACHED
REACHED = {
    "wa_after_inbox_commit": 80,
    "wa_in_handler": 80,
    "after_case_commit": 3,
    "wa_before_inbox_done": 80,
    "wa_after_send": 85,
}
VERIFY = "crash-verify-token-0123456789"
ACCESS = "crash-access-token"
REPORTERS = ("6281234567101", "6281234567102", "6281234567103")
READY = 60.0  # a restart's start-up, on a busy machine
ROUND_TIMEOUT = 300.0
LISTENING = re.compile(r"whatsapp webhook listening on [\d.]+:(\d+)/whatsapp/webhook")


def is_notice(m: SentMessage) -> bool:
    """A staff group's new-case notice."""
    return any(d.startswith("take:") for d in m.callback_data)


@dataclass
class Round:
    """What happened in one round."""

    number: int
    kill: str
    nth: int | None = None
    sent_at: list[int] = field(default_factory=list)  # SIGKILLs: after so many replies
    exits: list[str] = field(default_factory=list)
    seconds: float = 0.0
    repeated_replies: int = 0
    resent_notices: int = 0
    retried_posts: int = 0
    repeated_posts: int = 0
    failure: str | None = None


async def _listening(bot: BotProcess) -> int:
    """The webhook's port in the newest process's output."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while (m := LISTENING.search(bot.log.read_text(errors="replace"))) is None:
        assert bot.running, f"the bot died while starting:\n{bot.output()}"
        assert loop.time() < deadline, f"the WhatsApp webhook did not start:\n{bot.output()}"
        await asyncio.sleep(0.02)
    return int(m.group(1))


async def start(bot: BotProcess, meta: Meta) -> None:
    """Start the bot and point Meta's deliveries at its webhook."""
    await bot.start()
    meta.url = f"http://127.0.0.1:{await _listening(bot)}{PATH}"


async def _sent(meta: Meta, count: int, jitter: float) -> None:
    """Until the bot has sent ``count`` WhatsApp messages, then ``jitter`` seconds more."""
    await meta.until_seen(count)
    await asyncio.sleep(jitter)


async def supervise(bot: BotProcess, meta: Meta, done: asyncio.Event, rnd: Round,
                    kills: list[tuple[int, float]]) -> None:  # fmt: skip
    """Restart the bot whenever it dies; SIGKILL it at each (messages sent, jitter) of
    ``kills``: a moment in the round's progress, however fast or slow the machine is."""
    while True:
        assert bot.proc is not None
        exited = asyncio.ensure_future(bot.proc.wait())
        finished = asyncio.ensure_future(done.wait())
        waits = {exited, finished}
        if kills:
            waits.add(asyncio.ensure_future(_sent(meta, *kills.pop(0))))
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for w in waits - {exited}:
            w.cancel()
        if done.is_set() and not exited.done():
            exited.cancel()
            return
        if not exited.done():
            bot.proc.send_signal(signal.SIGKILL)
        code = await exited
        meta.url = None
        rnd.exits.append("SIGKILL" if code == -signal.SIGKILL else f"exit {code}")
        if done.is_set():
            return
        await start(bot, meta)


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    """Read the stopped bot's database."""
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def check(fake: FakeTelegram, cloud: FakeCloudAPI, bot: BotProcess, rnd: Round) -> None:
    """Every complaint one case, one receipt, one staff notice; every message handled once;
    every reply sent, and sent twice only as the module's rule allows; no form reset."""
    where = f"round {rnd.number} ({rnd.kill}:{rnd.nth}, exits {rnd.exits})"
    cases = rows(bot.db_path, "SELECT number, categories, details_enc FROM cases")
    assert len(cases) == len(REPORTERS), (where, [c[0] for c in cases])
    cipher = Cipher(bot.env["PPA_SECRET_KEY"])
    for number, categories, blob in cases:
        assert isinstance(number, str) and isinstance(blob, bytes)
        details = cipher.decrypt_json(blob, context=b"case:" + number.encode())
        got = (details["victim_name"], details["perpetrator"], details["where"], details["story"])
        assert got == ("Melati", "Budi Santoso", "Jl. Kenanga No. 7, Cibodas", STORY), (where, got)
        assert "physical" in str(categories) and "psychological" in str(categories), where
    numbers = {str(c[0]) for c in cases}
    received = 0
    for wa in REPORTERS:
        sent = cloud.to(wa)
        seen = {found.group(0) for m in sent if (found := CASE_NUMBER.search(m.text))}
        assert len(seen) == 1 and seen <= numbers, (where, wa, seen)
        # the form only ever moves forward: a reset would ask an earlier question again
        asked = [FORM.index(m.choices[0][0].split("|")[1]) for m in sent if asks_any(m)]
        assert asked == sorted(asked), (where, wa, asked)
        repeats = sum(a.body == b.body for a, b in pairwise(sent))
        rnd.repeated_replies += repeats
        received += len(sent) - repeats
    deaths = len(rnd.exits)
    if rnd.kill == "wa_after_send" and rnd.exits:
        assert rnd.repeated_replies == 1, (where, "repeated replies", rnd.repeated_replies)
    elif rnd.kill == "sigkill":
        assert rnd.repeated_replies <= deaths, (where, "repeated replies", rnd.repeated_replies)
    else:
        assert rnd.repeated_replies == 0, (where, "repeated replies", rnd.repeated_replies)
    # every reply written is sent, and each one reached her (repeats aside) exactly once
    outbox = Counter(
        str(s) for (s,) in rows(bot.db_path, "SELECT status FROM outbox WHERE channel = 'whatsapp'")
    )
    assert set(outbox) == {"sent"} and outbox["sent"] == received, (where, outbox, received)
    # Meta's "delivered" status of each reply reached its row (none lost to a kill or to
    # arriving before the row was marked sent; a repeated reply's first id matches no row)
    delivery = rows(bot.db_path, "SELECT delivery FROM outbox WHERE channel = 'whatsapp'")
    assert {str(d) for (d,) in delivery} == {"delivered"}, (where, Counter(delivery))
    inbox = Counter(str(s) for (s,) in rows(bot.db_path, "SELECT status FROM wa_inbox"))
    assert inbox == {"done": len(REPORTERS) * len(steps("TNG"))}, (where, inbox)
    notices = Counter(
        found.group(0)
        for chat in STAFF_GROUPS
        for m in fake.messages(chat)
        if is_notice(m) and (found := CASE_NUMBER.search(m.plain_text or m.text or ""))
    )
    assert set(notices) == numbers, (where, notices)
    rnd.resent_notices = sum(n - 1 for n in notices.values())
    # a staff notice is repeated only by a SIGKILL after Telegram accepted it and before its
    # row was marked sent; the named points wait for deliveries in flight
    if rnd.kill != "sigkill":
        assert rnd.resent_notices == 0, (where, notices)
    staff = rows(bot.db_path, "SELECT status FROM outbox WHERE kind = 'staff_notice'")
    assert sorted(str(s) for (s,) in staff) == ["sent"] * len(REPORTERS), (where, staff)


async def settled(bot: BotProcess) -> None:
    """Wait until every message is handled and every reply and staff notice sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while (
        bot.scalar("SELECT COUNT(*) FROM wa_inbox WHERE status = 'new'")
        + bot.scalar(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending'"
            " AND (channel = 'whatsapp' OR kind = 'staff_notice')"
        )
        > 0
    ):
        assert loop.time() < deadline, "the bot did not settle"
        await asyncio.sleep(0.05)


async def serve_cloud(cloud: FakeCloudAPI) -> web.AppRunner:
    """The fake Graph API on 127.0.0.1 (random port)."""
    runner = web.AppRunner(cloud.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    cloud.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return runner


async def one_round(rnd: Round, base: Path, logs: list[Path], rng: random.Random) -> None:
    """Three reporters at once against a bot that is killed and restarted."""
    started = time.monotonic()
    fake = FakeTelegram(token=TOKEN)
    server, base_url = await start_server(fake, port=0)
    cloud = FakeCloudAPI(ACCESS, PHONE_ID)
    api = await serve_cloud(cloud)
    directory = base / f"round-{rnd.number:03d}"
    directory.mkdir()
    bot = BotProcess(fake, base_url, directory, logs)
    bot.env.update(
        WHATSAPP_ACCESS_TOKEN=ACCESS,
        WHATSAPP_PHONE_NUMBER_ID=PHONE_ID,
        WHATSAPP_APP_SECRET=SECRET,
        WHATSAPP_VERIFY_TOKEN=VERIFY,
        WHATSAPP_API_BASE_URL=cloud.base_url,
    )
    bot.args = ["run", "--whatsapp-listen", "127.0.0.1:0"]
    done = asyncio.Event()
    http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    meta = Meta(http, rng)
    cloud.on_send = meta.delivered
    try:
        for chat_id in STAFF_GROUPS:
            fake.member_joins(chat_id, fake.bot_id)
        kills: list[tuple[int, float]] = []
        if rnd.kill == "sigkill":  # after the n-th reply (of 87) and 0-50 ms more
            counts = sorted(rng.sample(range(1, REACHED["wa_after_send"]), rng.randint(1, 3)))
            kills = [(n, rng.uniform(0.0, 0.05)) for n in counts]
            rnd.sent_at = counts
        else:
            rnd.nth = rng.randint(1, REACHED[rnd.kill])
            bot.env["PPA_CRASH_AT"] = f"{rnd.kill}:{rnd.nth}"
        await start(bot, meta)
        bot.env.pop("PPA_CRASH_AT", None)  # restarts run without a crash point
        guard = asyncio.create_task(supervise(bot, meta, done, rnd, kills))
        people = [Reporter(meta, cloud, wa) for wa in REPORTERS]
        work = asyncio.gather(*(p.report(o) for p, o in zip(people, OFFICE_IDS, strict=True)))
        try:
            finished, _ = await asyncio.wait({work, guard}, timeout=ROUND_TIMEOUT,
                                             return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            if work in finished:
                work.result()
            elif guard in finished:  # a restart failed: no use waiting for the reporters
                guard.result()
            else:
                raise TimeoutError(f"the reporters did not finish in {ROUND_TIMEOUT:.0f} s")
        finally:
            done.set()
            work.cancel()
            await asyncio.gather(work, guard, return_exceptions=True)
        if not bot.running:
            await start(bot, meta)
        await settled(bot)
        await asyncio.wait_for(meta.statuses_answered(), TIMEOUT)
        assert await bot.stop() == 0
        rnd.retried_posts, rnd.repeated_posts = meta.retried, meta.repeated
        check(fake, cloud, bot, rnd)
    except (AssertionError, TimeoutError) as exc:  # reported with every other round's result
        text = f"{type(exc).__name__}: {exc}"
        rnd.failure = text if len(text) < 900 else f"{text[:200]} ... {text[-700:]}"
    finally:
        done.set()
        for task in meta.statuses:
            task.cancel()
        await asyncio.gather(*meta.statuses, return_exceptions=True)
        if bot.running:
            await bot.stop()
        await http.close()
        await api.cleanup()
        await stop_server(server)
    rnd.seconds = time.monotonic() - started


async def test_no_whatsapp_complaint_lost_or_doubled_when_killed(
    tmp_path: Path, bot_logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conftest, "READY_TIMEOUT", READY)
    rng = random.Random(SEED)
    first = rng.randrange(len(KILLS))  # few rounds still reach every point over many runs
    results: list[Round] = []
    began = time.monotonic()
    for number in range(ROUNDS):
        rnd = Round(number, KILLS[(first + number) % len(KILLS)])
        await one_round(rnd, tmp_path, bot_logs, rng)
        results.append(rnd)
    kills = Counter(r.kill for r in results)
    died = Counter(e for r in results for e in r.exits)
    # every point is reached more often than n, every SIGKILL comes after fewer replies
    # than a round sends: every round dies at least once
    missed = [r.number for r in results if not r.exits]
    print(f"\nwhatsapp crash test: {ROUNDS} rounds, seed {SEED}, {time.monotonic() - began:.1f} s")
    print(f"kill points: {dict(kills)}")
    print(f"process deaths: {dict(died)} (exit 137: a crash point; SIGKILL: a random kill)")
    print(f"rounds whose crash point or SIGKILL was not reached: {missed}")
    print(f"webhook POSTs delivered again after no 200: {sum(r.retried_posts for r in results)}")
    print(f"answered POSTs delivered once more: {sum(r.repeated_posts for r in results)}")
    print(f"replies sent twice: {sum(r.repeated_replies for r in results)}")
    print(f"staff notices sent twice: {sum(r.resent_notices for r in results)}")
    for r in results:
        nth = ",".join(map(str, r.sent_at)) if r.nth is None else str(r.nth)
        print(
            f"  round {r.number:3d} {r.kill:>21}:{nth:<3} {r.seconds:5.1f}s {r.exits}"
            f" retried {r.retried_posts} twice {r.repeated_replies}"
            + (f" FAILED {r.failure}" if r.failure else "")
        )
    failed = [f"round {r.number} ({r.kill}): {r.failure}" for r in results if r.failure]
    assert not failed, "\n".join(failed)
    assert not missed, f"no kill landed in rounds {missed}"
