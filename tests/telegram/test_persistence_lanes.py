"""The persistence collects each update's writes by the chat and user they concern, and the
retention sweep leaves the data of users another update holds alone."""

from __future__ import annotations

from bot.channels.telegram.handlers import retention
from bot.channels.telegram.lanes import in_flight
from bot.channels.telegram.persistence import SqlitePersistence
from bot.store.conversations import StateStore
from bot.testing.harness import Harness
from tests.integration.test_inbox import db_scalar


def _persistence(h: Harness) -> SqlitePersistence:
    found = h.rt.application.persistence
    assert isinstance(found, SqlitePersistence)
    return found


def _stored(h: Harness, user: int) -> int:
    index = StateStore(h.rt.services.cipher).data_index("user_data", user)
    sql = "SELECT COUNT(*) FROM state_data WHERE kind = 'user_data' AND key_index = ?"
    return int(db_scalar(h, sql, index))


async def test_writes_go_to_the_update_that_holds_their_user(harness: Harness) -> None:
    h = harness
    p = _persistence(h)
    p.in_flight.enter(1, frozenset({701}))
    p.in_flight.enter(2, frozenset({702}))
    p.hold(1)
    p.hold(2)
    with p.flushing(1):  # update 1 flushes: 702's write still belongs to update 2
        await p.update_user_data(701, {"lang": "id"})
        await p.update_user_data(702, {"lang": "en"})
        await p.update_user_data(703, {"lang": "en"})  # no update holds 703: the flusher's
        await p.update_user_data(701, {"lang": "en"})  # the newest write of a row wins
        await p.update_conversation("complaint", (702, 702), 3)
    first, second = p.release(1), p.release(2)
    index = StateStore(h.rt.services.cipher).data_index
    assert [w.params[1] for w in first] == [index("user_data", 703), index("user_data", 701)]
    cipher = h.rt.services.cipher
    assert cipher.decrypt_json(first[1].params[3], context=b"user_data") == {"lang": "en"}
    assert len(second) == 2 and second[0].params[1] == index("user_data", 702)
    assert "state_conversations" in second[1].sql
    assert _stored(h, 701) == _stored(h, 702) == _stored(h, 703) == 0  # nothing committed yet
    p.in_flight.leave(frozenset({701}))
    p.in_flight.leave(frozenset({702}))

    await p.update_user_data(704, {"lang": "id"})  # no update is being handled: at once
    assert _stored(h, 704) == 1


async def test_the_retention_sweep_leaves_users_in_flight_alone(harness: Harness) -> None:
    h = harness
    app = h.rt.application
    app.user_data[711]["seen"] = "2026-01-01T00:00:00+00:00"  # nothing worth keeping
    app.user_data[712]["seen"] = "2026-01-01T00:00:00+00:00"
    busy = in_flight(app.bot_data)
    assert busy is _persistence(h).in_flight
    busy.enter(99, frozenset({711}))
    try:
        retention.sweep(app, h.rt.services.clock.now(), update_id=100)
    finally:
        busy.leave(frozenset({711}))
    assert 711 in app.user_data  # held by update 99: its own update decides
    assert 712 not in app.user_data  # dropped as before


async def test_a_row_that_would_not_change_is_not_written_again(harness: Harness) -> None:
    h = harness
    p = _persistence(h)
    p.in_flight.enter(1, frozenset({721}))
    try:
        p.hold(1)
        await p.update_user_data(721, {"lang": "id"})
        await p.update_conversation("complaint", (721, 721), "ask")
        assert len(p.release(1)) == 2
        p.settle(1)  # the runner committed them

        p.hold(2)
        p.in_flight.enter(2, frozenset({721}))
        await p.update_user_data(721, {"lang": "id"})  # as stored: nothing to write
        await p.update_conversation("complaint", (721, 721), "ask")
        await p.update_user_data(721, {"lang": "en"})  # changed: written
        assert len(p.release(2)) == 1
        p.discard(2)  # its transaction failed: what the row says is unknown now

        p.hold(3)
        p.in_flight.enter(3, frozenset({721}))
        await p.update_user_data(721, {"lang": "id"})  # written again, not trusted as stored
        await p.update_conversation("complaint", (721, 721), None)  # an end is always written
        assert len(p.release(3)) == 2
    finally:
        p.in_flight.leave(frozenset({721}))
