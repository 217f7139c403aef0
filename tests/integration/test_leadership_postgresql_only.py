"""Leadership on PostgreSQL (bot/store/leadership.py, bot/channels/telegram/failover.py): one
leader per database, the epoch raised at each takeover, a stale leader's writes refused.
Collected only with PPA_TEST_POSTGRESQL=1."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import Runtime, build_runtime
from bot.channels.telegram.failover import (
    lead,
    run_with_leadership,
    wait_for_leadership,
    webhook_term,
)
from bot.channels.telegram.webhook import SECRET_HEADER, WebhookServer
from bot.crypto import generate_key
from bot.store.db import Database
from bot.store.inbox import InboxStore
from bot.store.leadership import Leadership, StaleLeader, current_epoch, fenced, read_epoch
from bot.store.pg_database import PgDatabase
from bot.store.pg_lock import PgInstanceLock
from bot.testing.fake_request import FakeRequest
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.harness import TOKEN, Harness
from tests.stores import query_now
from tests.telegram.flows import REPORTER, data_for, full_report

__all__: list[str] = []

AT = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


async def _store(db: Database, update_id: int) -> None:
    """One fenced-or-not write: an inbox row."""
    async with db.transaction() as conn:
        await InboxStore().add(conn, update_id, AT, b"x")


def _stored(target: str) -> list[int]:
    return [int(r[0]) for r in query_now(target, "SELECT update_id FROM inbox ORDER BY 1")]


def _terminate(target: str, pid: int) -> None:
    """End one server session from outside, as a lost network connection would."""
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


async def _acquired(leadership: Leadership) -> int:
    """Ask until the lock is free (a closed session is ended by the server a moment later)."""
    for _ in range(500):
        if (epoch := await leadership.try_acquire()) is not None:
            return epoch
        await asyncio.sleep(0.01)
    raise AssertionError("the lock was never free")


async def test_postgresql_one_leader_and_the_epoch_rises_at_each_takeover(
    db_target: str | Path,
) -> None:
    url = str(db_target)
    one, two = Leadership(url, holder="one"), Leadership(url, holder="two")
    try:
        first = await one.try_acquire()
        assert first is not None and first >= 1
        assert await two.try_acquire() is None  # a standby
        assert await one.held()
        assert await read_epoch(url) == (first, "one")
        await one.release()
        assert not await one.held()
        second = await asyncio.wait_for(_acquired(two), 5)
        assert second == first + 1
        assert await read_epoch(url) == (second, "two")
        assert await one.try_acquire() is None
    finally:
        await one.release()
        await two.release()


async def test_postgresql_a_key_rotation_lock_and_leadership_exclude_each_other(
    db_target: str | Path,
) -> None:
    url = str(db_target)
    rotation = PgInstanceLock(url)
    leader = Leadership(url)
    assert rotation.acquire()
    try:
        assert await leader.try_acquire() is None
    finally:
        rotation.release()
    try:
        # the server ends the rotation's session a moment after its connection closed
        assert await asyncio.wait_for(_acquired(leader), 5) >= 1
        assert not rotation.acquire()
    finally:
        await leader.release()


async def test_postgresql_a_stale_leaders_writes_are_refused(db_target: str | Path) -> None:
    url = str(db_target)
    old, new = Leadership(url), Leadership(url)
    db = await Database.open(url)  # the old leader's data connection: it stays alive
    try:
        epoch = await old.try_acquire()
        assert epoch is not None
        with fenced(epoch):
            assert current_epoch() == epoch
            await _store(db, 1)  # the leader writes
        # its lock's connection is lost; the data connection is not
        assert old._conn is not None
        _terminate(url, old._conn.info.backend_pid)
        assert not await old.held()
        newer = await asyncio.wait_for(_acquired(new), 5)
        assert newer == epoch + 1
        with fenced(epoch), pytest.raises(StaleLeader, match="leadership moved on"):
            await _store(db, 2)  # refused and rolled back
        with fenced(newer):
            await _store(db, 3)  # the same connection, at the current epoch: accepted
        await _store(db, 4)  # unfenced (a standby's webhook storing an update): accepted
        assert _stored(url) == [1, 3, 4]
    finally:
        await db.close()
        await old.release()
        await new.release()


async def test_postgresql_a_takeover_waits_for_the_old_leaders_open_transaction(
    db_target: str | Path,
) -> None:
    url = str(db_target)
    old, new = Leadership(url), Leadership(url)
    db = await Database.open(url)
    try:
        epoch = await old.try_acquire()
        assert epoch is not None
        inside, finish = asyncio.Event(), asyncio.Event()

        async def slow_write() -> None:
            with fenced(epoch):
                async with db.transaction() as conn:
                    await InboxStore().add(conn, 10, AT, b"x")
                    inside.set()
                    await finish.wait()

        writing = asyncio.create_task(slow_write())
        await inside.wait()
        await old.release()  # the lock is free, but a transaction of epoch N is still open
        taking = asyncio.create_task(_acquired(new))
        await asyncio.sleep(0.3)
        assert not taking.done()  # the epoch raise waits for it
        finish.set()
        await writing  # it commits: it began before the takeover
        assert await asyncio.wait_for(taking, 5) == epoch + 1
        with fenced(epoch), pytest.raises(StaleLeader):
            await _store(db, 11)  # anything later of the old leader is refused
        assert _stored(url) == [10]
    finally:
        await db.close()
        await old.release()
        await new.release()


async def test_postgresql_a_leader_that_loses_its_connection_returns_to_standby(
    db_target: str | Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = str(db_target)
    caplog.set_level(logging.INFO, logger="bot.channels.telegram.failover")
    stop = asyncio.Event()
    leader, standby = Leadership(url), Leadership(url)
    seen: list[int | None] = []

    async def work(until: asyncio.Event) -> None:
        seen.append(current_epoch())  # the work runs fenced at its epoch
        await until.wait()

    epoch = await wait_for_leadership(leader, stop, 0.05)
    assert epoch is not None
    waiting = asyncio.create_task(wait_for_leadership(standby, stop, 0.05))
    leading = asyncio.create_task(lead(leader, epoch, stop, work, interval=0.05))
    await asyncio.sleep(0.2)
    assert not waiting.done() and seen == [epoch]
    assert leader._conn is not None
    _terminate(url, leader._conn.info.backend_pid)
    assert await asyncio.wait_for(leading, 5) is True  # lost: its work stopped
    assert await asyncio.wait_for(waiting, 5) == epoch + 1  # the standby took over
    await standby.release()
    messages = [r.getMessage() for r in caplog.records]
    assert f"became leader (epoch {epoch})" in messages
    assert f"became leader (epoch {epoch + 1})" in messages
    assert any(m.startswith("standby:") for m in messages)
    assert f"lost leadership (epoch {epoch}); back to standby" in messages


async def test_postgresql_two_instances_take_turns_until_stopped(db_target: str | Path) -> None:
    url = str(db_target)
    stops = [asyncio.Event(), asyncio.Event()]
    terms: list[tuple[int, int | None]] = []

    def work_of(n: int) -> object:
        async def work(until: asyncio.Event) -> None:
            terms.append((n, current_epoch()))
            await until.wait()

        return work

    runs = [
        asyncio.create_task(run_with_leadership(url, stops[n], work_of(n), standby_seconds=0.05))  # type: ignore[arg-type]
        for n in (0, 1)
    ]
    for _ in range(250):
        if terms:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.2)
    assert len(terms) == 1  # one leader; the other waits
    first, epoch = terms[0]
    assert epoch is not None
    stops[first].set()  # the leader stops (SIGTERM): the other takes over
    await asyncio.wait_for(runs[first], 5)
    for _ in range(250):
        if len(terms) == 2:
            break
        await asyncio.sleep(0.02)
    assert terms[1] == (1 - first, epoch + 1)
    stops[1 - first].set()
    await asyncio.wait_for(runs[1 - first], 5)


async def test_postgresql_webhook_any_instance_accepts_only_the_leader_processes(
    tmp_path: Path, db_target: str | Path
) -> None:
    url = str(db_target)
    key, fake = generate_key(), FakeTelegram(token=TOKEN)
    hs = [await Harness.create(tmp_path / n, database=url, secret_key=key, fake=fake)
          for n in ("a", "b")]  # fmt: skip
    servers = [WebhookServer(h.rt, path="/hook", secret_token="s", process=False) for h in hs]
    clients: list[TestClient[Any, Any]] = [TestClient(TestServer(s.web_app())) for s in servers]
    built: list[int] = []

    def term(n: int) -> Any:
        async def build() -> Runtime:
            built.append(n)  # a bot of its own for each term: state read from the store now
            request = FakeRequest(fake)
            return await build_runtime(hs[n].settings, clock=hs[n].clock, request=request)

        return webhook_term(servers[n], build)

    stops: list[asyncio.Event] = []
    runs: list[asyncio.Task[None]] = []

    async def start(n: int) -> None:
        stops.append(asyncio.Event())
        runs.append(asyncio.create_task(run_with_leadership(url, stops[-1], term(n),
                                                            standby_seconds=0.05)))  # fmt: skip

    async def leads(n: int, count: int) -> None:
        for _ in range(1000):
            if built.count(n) == count:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"instance {n} did not lead (terms {built})")

    async def post(n: int, update: dict[str, Any], then: str) -> None:
        before = fake.last_message_id(701)
        resp = await clients[n].post("/hook", json=update, headers={SECRET_HEADER: "s"})
        assert resp.status == 200
        await fake.wait_for_message(701, lambda m: then in str(m.callback_data), timeout=20,
                                    after_message_id=before)  # fmt: skip

    def click(data: str) -> dict[str, Any]:
        on = next(m for m in reversed(fake.messages(701)) if data in m.callback_data)
        return fake.user_clicks(701, 701, on.message_id, data)

    try:
        for client in clients:
            await client.start_server()
        await start(0)
        await leads(0, 1)
        await start(1)  # a standby
        # posted to the standby, processed by the leader
        await post(1, fake.user_sends_command(701, "/lapor"), "a|danger|")
        await asyncio.sleep(0.2)
        assert built == [0]  # the standby built no bot of its own
        stops[0].set()  # the leader stops: the second takes over
        await asyncio.wait_for(runs[0], 10)
        await leads(1, 1)
        await post(0, click(data_for("danger", "no")), "a|office|")  # the first only accepts
        await start(0)  # back as a standby; then the second stops and the first leads again
        stops[1].set()
        await asyncio.wait_for(runs[1], 10)
        await leads(0, 2)
        # its new term read the form where the second left it (not its first term's state)
        await post(1, click("a|office|o2"), "a|reporter|")
        inbox = query_now(url, "SELECT COUNT(*) FROM inbox WHERE status != 'done'")
        assert inbox == [(0,)] or inbox == [(1,)]  # the last "done" may still be committing
        assert built == [0, 1, 0]
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*runs, return_exceptions=True)
        for client in clients:
            await client.close()
        for h in hs:
            await h.stop()


async def test_postgresql_a_leader_whose_data_connection_fails_gives_up_leadership(
    db_target: str | Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = str(db_target)
    caplog.set_level(logging.INFO, logger="bot.channels.telegram.failover")
    leader, standby = Leadership(url), Leadership(url)
    db = await Database.open(url)
    pids: list[int] = []

    async def work(until: asyncio.Event) -> None:
        for n in range(1000):  # writes until its connection is cut
            await _store(db, n)
            assert isinstance(db, PgDatabase)
            pids.append(db.pg.raw.info.backend_pid)
            await asyncio.sleep(0.01)

    try:
        epoch = await leader.try_acquire()
        assert epoch is not None
        leading = asyncio.create_task(lead(leader, epoch, asyncio.Event(), work, interval=0.05))
        for _ in range(250):
            if pids:
                break
            await asyncio.sleep(0.02)
        _terminate(url, pids[0])
        assert await asyncio.wait_for(leading, 5) is True
        assert leader.epoch is None  # released: another instance can lead
        assert await asyncio.wait_for(_acquired(standby), 5) == epoch + 1
        assert f"lost leadership (epoch {epoch}); back to standby" in caplog.messages
    finally:
        await db.close()
        await leader.release()
        await standby.release()


async def test_postgresql_a_stale_leader_leaves_the_update_to_the_new_one(
    tmp_path: Path, db_target: str | Path
) -> None:
    url = str(db_target)
    h = await Harness.create(tmp_path, database=url)
    try:
        await full_report(h, submit=False)  # the form, up to its summary
        epoch = int(query_now(url, "SELECT epoch FROM leadership")[0][0])
        query_now(url, "UPDATE leadership SET epoch = epoch + 1")  # another instance took over
        summary = h.fake.last_message(REPORTER)
        press = h.fake.user_clicks(REPORTER, REPORTER, summary.message_id, "s|send")
        assert h.runner is not None
        await h.runner.store_updates(await h.runner.fetch())  # stored (any instance may)
        with fenced(epoch), pytest.raises(StaleLeader):
            await h.runner.process_pending()  # the handler's own write (the case) is refused
        status = "SELECT status, attempts FROM inbox WHERE update_id = ?"
        # neither done nor counted as a failure, no case, and the reporter is not told of a
        # failure: the new leader handles the update
        assert query_now(url, status, press["update_id"]) == [("new", 0)]
        assert query_now(url, "SELECT COUNT(*) FROM cases") == [(0,)]
        sorry = [t for t in h.texts(REPORTER) if "something went wrong" in t or "gangguan" in t]
        assert sorry == []
        with fenced(epoch + 1):
            await h.runner.process_pending()  # the current leader
        assert query_now(url, status, press["update_id"]) == [("done", 0)]
        assert query_now(url, "SELECT COUNT(*) FROM cases") == [(1,)]
    finally:
        await h.stop()
