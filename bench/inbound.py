"""Inbound throughput: complete intake conversations through the real Application, the durable
inbox and the store, against a bare python-telegram-bot echo Application on the same fake; and
many reporters at once, with per-chat concurrency against strictly one update at a time."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from common import OFFICE_TIME, machine, table
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler, filters

import bot.app
from bot.channels.telegram.throttle import Throttle, VirtualTime
from bot.clock import FakeClock
from bot.store import db as db_module
from bot.testing import fake_request
from bot.testing.fake_request import FakeRequest
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import TOKEN, Harness
from tests.stores import query_now
from tests.telegram.flows import full_report

__all__ = ["main"]

# seconds of the fake clock between a reporter's answers (the 27 updates of one complaint
# take 4.5 minutes; 40 complaints, one after the other, 3 hours of office time)
PACE = 10.0


async def full_bot(
    reports: int, directory: Path, database: str | None = None, pace: float = PACE
) -> tuple[int, Timing, int]:
    """Run ``reports`` complete complaints; returns (updates handled, time taken, statements
    run by the store for as many updates: each SQLite call, or each PostgreSQL statement,
    counted on two complaints more, outside the timing). The fake clock moves
    ``pace`` seconds before each update (a reporter answers every few seconds)."""
    clock = FakeClock(OFFICE_TIME)
    h = await Harness.create(directory, clock=clock, database=database)
    # Telegram's rate limits are kept, on simulated time: waiting for a staff group's
    # 20-a-minute budget is not the bot's cost per update
    time_ = VirtualTime(clock)
    h.rt.sender.throttle = Throttle(monotonic=time_.monotonic, sleep=time_.sleep)
    real_pump = h.pump

    async def paced() -> None:
        clock.advance(seconds=pace)
        await real_pump()

    h.pump = paced  # type: ignore[method-assign]
    started_staff(h)
    try:
        await full_report(h, user=900000)  # warm-up: imports, caches, first case
        # as ``ppa-bot run`` does once the bot has warmed up (a tree from before: nothing)
        getattr(bot.app, "settle_heap", lambda: None)()
        before = _inbox_rows(h)
        with Timing() as took:
            for i in range(reports):
                await full_report(h, user=900001 + i)
        updates = _inbox_rows(h) - before
        # the store's calls, counted on two more complaints (the counting is not timed)
        before = _inbox_rows(h)
        with StatementCounter() as counted:
            for i in range(2):
                await full_report(h, user=950001 + i)
        per_update = counted.calls / (_inbox_rows(h) - before)
        return updates, took, round(per_update * updates)
    finally:
        await h.stop()


def started_staff(h: Harness) -> None:
    """Every rostered staff member has a private chat with the bot (as joining needs), so
    their task notices are delivered, not refused by Telegram and reported to the group."""
    handles = h.rt.services.staff_handles
    for office in h.rt.services.offices.values():
        for person in office.roster:
            handle = handles.get(person)
            if handle is not None and handle.channel == "telegram":
                h.fake.started_users.add(int(handle.address))


def _inbox_rows(h: Harness) -> int:
    return int(query_now(h.settings.ppa_database, "SELECT COUNT(*) FROM inbox")[0][0])


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_chat is not None and update.effective_message is not None
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text or "")


class Timing:
    """Wall-clock and CPU seconds (this process, all threads) of a ``with`` block: the CPU
    time leaves out the moments other work on a shared machine had the processor. ``telegram``
    is the part of that CPU time spent on Telegram's side (see ``TelegramSide``)."""

    wall = cpu = telegram = 0.0

    def __enter__(self) -> Timing:
        self._side = TelegramSide().__enter__()
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        self._side.__exit__()
        self.telegram = self._side.cpu

    @property
    def own(self) -> float:
        """CPU seconds of the bot itself: the process's, less Telegram's side."""
        return self.cpu - self.telegram


# what a user and Telegram's servers do, which runs in this process only because the fake
# Telegram does: a person's phone making an update, finding a button; the server answering a
# call and encoding its answer. The bot's own request building, HTTP layer and decoding of
# the answer stay on the bot's side.
_USER_SIDE = ("user_sends_text", "user_sends_command", "user_clicks", "click_button",
              "messages", "last_message", "last_message_id")  # fmt: skip


class TelegramSide:
    """CPU seconds spent on Telegram's side while active: ``FakeRequest.answer`` (stepped, so
    time while it waits for other tasks is not counted) and the fake user's actions."""

    def __init__(self) -> None:
        self.cpu = 0.0
        self._depth = 0
        self._patched: list[tuple[Any, str, Any]] = []

    def _sync(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **kw: Any) -> Any:
            if self._depth:
                return real(*a, **kw)
            self._depth += 1
            start = time.process_time()
            try:
                return real(*a, **kw)
            finally:
                self.cpu += time.process_time() - start
                self._depth -= 1

        return timed

    def _async(self, real: Callable[..., Any]) -> Callable[..., Any]:
        side = self

        class Stepped:
            """The awaitable of one call, timed step by step (its creation included)."""

            def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
                self.args, self.kwargs = args, kwargs

            def __await__(self) -> Any:
                coro: Any = None
                value: Any = None
                error: BaseException | None = None
                while True:
                    start = time.process_time()
                    side._depth += 1
                    try:
                        if coro is None:
                            coro = real(*self.args, **self.kwargs)
                        step = coro.throw(error) if error else coro.send(value)
                    except StopIteration as done:
                        return done.value
                    finally:
                        side._depth -= 1
                        if not side._depth:
                            side.cpu += time.process_time() - start
                    try:
                        value, error = (yield step), None
                    except BaseException as exc:  # handed to the coroutine
                        value, error = None, exc

        def timed(*a: Any, **kw: Any) -> Stepped:
            return Stepped(a, kw)

        return timed

    def __enter__(self) -> TelegramSide:
        # a tree from before FakeRequest.answer: the fake's own call (its answer's encoding
        # then counts as the bot's)
        owner, name = (FakeRequest, "answer") if hasattr(FakeRequest, "answer") else (
            FakeTelegram, "call")  # fmt: skip
        self._patched.append((owner, name, getattr(owner, name)))
        setattr(owner, name, self._async(getattr(owner, name)))
        for name in _USER_SIDE:
            self._patched.append((FakeTelegram, name, getattr(FakeTelegram, name)))
            setattr(FakeTelegram, name, self._sync(getattr(FakeTelegram, name)))
        return self

    def __exit__(self, *_: object) -> None:
        for owner, name, fn in reversed(self._patched):
            setattr(owner, name, fn)
        self._patched.clear()


async def echo_bot(updates: int) -> Timing:
    """A bare PTB Application fed ``updates`` texts, one getUpdates each; returns the time."""
    fake = FakeTelegram(token=TOKEN)
    request = FakeRequest(fake)
    app: Application = (  # type: ignore[type-arg]
        ApplicationBuilder()
        .token(TOKEN)
        .request(request)
        .get_updates_request(request)
        .updater(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    await app.initialize()
    await app.start()
    offset = 0

    async def one(user: int) -> None:
        nonlocal offset
        fake.user_sends_text(user, "Melati")
        for update in await app.bot.get_updates(offset=offset, timeout=0):
            offset = update.update_id + 1
            await app.process_update(update)

    try:
        for i in range(50):
            await one(800000 + i)  # warm-up
        with Timing() as took:
            for i in range(updates):
                await one(800100 + i % 50)
        return took
    finally:
        await app.stop()
        await app.shutdown()


async def reporters_at_once(
    reporters: int, concurrency: int, directory: Path, latency_ms: float
) -> tuple[int, float]:
    """``reporters`` complete complaints at the same time (one pump at a time, each taking what
    is queued); returns (updates handled, seconds)."""
    clock = FakeClock(OFFICE_TIME)
    h = await Harness.create(directory, clock=clock)
    time_ = VirtualTime(clock)
    h.rt.sender.throttle = Throttle(monotonic=time_.monotonic, sleep=time_.sleep)
    assert h.runner is not None
    h.runner.concurrency = concurrency
    started_staff(h)
    real_pump = h.pump
    # one pumping loop, as the polling loop is: each pass takes every update queued so far;
    # a reporter waits for the first pass that starts after her update was queued
    queued = asyncio.Event()
    passes = asyncio.Condition()
    started = finished = 0

    async def pump() -> None:
        target = started + 1
        queued.set()
        async with passes:
            await passes.wait_for(lambda: finished >= target)

    async def loop() -> None:
        nonlocal started, finished
        while True:
            await queued.wait()
            queued.clear()
            started += 1
            await real_pump()
            async with passes:
                finished = started
                passes.notify_all()

    pumping = asyncio.create_task(loop())
    h.pump = pump  # type: ignore[method-assign]
    try:
        await full_report(h, user=900000)  # warm-up
        before = _inbox_rows(h)
        with bot_api_latency(latency_ms):
            start = time.perf_counter()
            await asyncio.gather(*(full_report(h, user=910000 + i) for i in range(reporters)))
            seconds = time.perf_counter() - start
        return _inbox_rows(h) - before, seconds
    finally:
        pumping.cancel()
        await asyncio.gather(pumping, return_exceptions=True)
        h.pump = real_pump  # type: ignore[method-assign]
        await h.stop()


class bot_api_latency:
    """Every Bot API call but getUpdates takes ``ms`` longer (a network between bot and
    Telegram; 0 leaves the in-process fake as it is)."""

    def __init__(self, ms: float) -> None:
        self.ms = ms
        self.real: Callable[..., Awaitable[Any]] = FakeRequest.do_request

    def __enter__(self) -> None:
        if self.ms <= 0:
            return
        real, seconds = self.real, self.ms / 1000

        async def slow(req: FakeRequest, url: str, *a: Any, **kw: Any) -> Any:
            if not url.endswith("/getUpdates"):
                await asyncio.sleep(seconds)
            return await real(req, url, *a, **kw)

        fake_request.FakeRequest.do_request = slow  # type: ignore[method-assign]

    def __exit__(self, *_: object) -> None:
        fake_request.FakeRequest.do_request = self.real  # type: ignore[method-assign]


async def run_concurrent(reporters: int, concurrency: int, latency_ms: float) -> None:
    """Throughput of ``reporters`` at once: per-chat concurrency against strictly serial."""
    rows = []
    results: dict[int, float] = {}
    for conc in (1, concurrency):
        with tempfile.TemporaryDirectory() as tmp:
            updates, seconds = await reporters_at_once(reporters, conc, Path(tmp), latency_ms)
        results[conc] = updates / seconds
        label = "strictly serial" if conc == 1 else f"per-chat, up to {conc} at once"
        rows.append((label, updates, f"{seconds:.2f}", f"{updates / seconds:.0f}"))
    print(
        f"\n{reporters} reporters at once, Bot API latency {latency_ms:g} ms per call; {machine()}"
    )
    print(table(("inbox", "updates", "seconds", "updates/s"), rows))
    print(f"\nthroughput, per-chat / serial: {results[concurrency] / results[1]:.2f}x")


async def run(reports: int, repeat: int, database: str) -> None:
    """Measure both ``repeat`` times, alternating, and print a table: the best run of each is
    the one least disturbed by other work on the machine."""
    rows = []
    wall: list[tuple[float, float]] = []  # (ppa-bot, echo) ms per update
    cpu: list[tuple[float, float]] = []
    own: list[tuple[float, float]] = []
    calls = updates = 0
    with store(database) as target:
        for n in range(repeat):
            with tempfile.TemporaryDirectory() as tmp:
                updates, full, calls = await full_bot(reports, Path(tmp), target(n))
            echo = await echo_bot(updates)
            for pairs, of in ((wall, "wall"), (cpu, "cpu"), (own, "own")):
                a, b = getattr(full, of), getattr(echo, of)
                pairs.append((a / updates * 1000, b / updates * 1000))
            ratios = [f"{p[-1][0] / p[-1][1]:.1f}x" for p in (wall, cpu, own)]
            values = (*wall[-1], *cpu[-1], *own[-1])
            rows.append((n + 1, updates, *(f"{v:.2f}" for v in values), *ratios))
    inline = getattr(db_module, "INLINE_SQLITE", False)  # False: a tree from before it
    mode = "" if database != "sqlite" or inline else ", aiosqlite worker thread"
    print(f"inbound ({database}{mode}): {reports} complete reports, {updates} updates each run,"
          f" {repeat} runs; {machine()}")  # fmt: skip
    heads = ("run", "updates", "ppa-bot ms", "echo ms", "ppa-bot CPU ms", "echo CPU ms",
             "ppa-bot own CPU ms", "echo own CPU ms", "ratio", "CPU ratio",
             "own CPU ratio")  # fmt: skip
    print(table(heads, rows))
    print("own CPU: the process's CPU time less Telegram's side (the fake server answering"
          " and the fake user acting), in this process only because the fake is")  # fmt: skip
    for name, pairs in (("wall clock", wall), ("CPU", cpu), ("own CPU", own)):
        best_full, best_echo = min(p[0] for p in pairs), min(p[1] for p in pairs)
        ratio = best_full / best_echo
        median = statistics.median(f / e for f, e in pairs)
        verdict = "met" if ratio <= 3 else f"NOT met: {ratio - 3:.1f}x over"
        print(f"{name}, best of {repeat}: ppa-bot {best_full:.3f} ms/update, echo"
              f" {best_echo:.3f} ms/update: {ratio:.2f}x (target <= 3x: {verdict});"
              f" median of the runs' ratios {median:.2f}x")  # fmt: skip
    print(f"store calls per update: {calls / updates:.1f}")


class StatementCounter:
    """Counts the store's calls while active: each aiosqlite call (execute, fetch, cursor
    close, commit), or each statement sent to PostgreSQL."""

    def __init__(self) -> None:
        self.calls = 0
        self._patched: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> StatementCounter:
        from bot.store import pg

        inline = getattr(db_module, "InlineConnection", aiosqlite.Connection)
        real_sqlite = aiosqlite.Connection._execute
        real_inline = inline._execute
        real_pg = pg.PgConnection._run

        async def sqlite_call(conn: Any, fn: Any, *a: Any, **kw: Any) -> Any:
            self.calls += 1
            real = real_inline if isinstance(conn, inline) else real_sqlite
            return await real(conn, fn, *a, **kw)

        async def pg_call(conn: Any, *a: Any, **kw: Any) -> Any:
            self.calls += 1
            return await real_pg(conn, *a, **kw)

        for owner, name, fn in ((aiosqlite.Connection, "_execute", sqlite_call),
                                (inline, "_execute", sqlite_call),
                                (pg.PgConnection, "_run", pg_call)):  # fmt: skip
            if name in owner.__dict__:
                self._patched.append((owner, name, owner.__dict__[name]))
                setattr(owner, name, fn)
        return self

    def __exit__(self, *_: object) -> None:
        for owner, name, fn in reversed(self._patched):
            setattr(owner, name, fn)


@contextmanager
def store(database: str) -> Iterator[Callable[[int], str | None]]:
    """Where each run's database lives: None (a SQLite file in the run's folder), or a new
    database on a throwaway PostgreSQL server (bot/testing/postgres.py) for each run."""
    if database == "sqlite":
        yield lambda _n: None
        return
    import psycopg

    from bot.testing.postgres import PgServer

    server = PgServer.start()
    try:

        def target(n: int) -> str:
            with psycopg.connect(server.url(), autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE bench_{n}")
            return server.url(f"bench_{n}")

        yield target
    finally:
        server.stop()


def main() -> None:
    """Command line: --reports N --repeat N --database sqlite|postgresql [--sqlite-thread];
    --reporters N (0: skip) --concurrency N --latency-ms X."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--sqlite-thread",
        action="store_true",
        help="SQLite calls through aiosqlite's worker thread (as before), not in the loop",
    )
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    if args.sqlite_thread:
        db_module.INLINE_SQLITE = False
    if args.reports:
        asyncio.run(run(args.reports, args.repeat, args.database))
    if args.reporters:
        asyncio.run(run_concurrent(args.reporters, args.concurrency, args.latency_ms))


if __name__ == "__main__":
    main()
