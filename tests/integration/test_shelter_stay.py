"""While a shelter stay runs: a daily check-in asked of whoever follows it (every day, private),
the head's extension with a reason (its end reminded anew), the discharge plan stopping both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.notice import Recipient
from bot.scheduler.sweep import sweep
from bot.services import shelter, shelter_stay
from bot.store.shelter import ShelterStore
from tests.integration.workflow_support import TNG, TNG_GROUP, WIB, Env, env, new_case, outbox

__all__ = ["env"]  # the fixture, re-used


async def kinds_to(e: Env, kind: str) -> list[Recipient]:
    return [i.recipient for i in await outbox(e) if i.kind == kind]


async def admitted(e: Env) -> tuple[int, int]:
    cid = await new_case(e, "TNG")
    assert (await e.wf.add_services(cid, TNG["mk"], [("shelter", TNG["pendamping"])])).ok
    res = await shelter.admit(e.svc, cid, TNG["ketua"], "Rencana keselamatan")
    assert res.ok and res.stay_id is not None
    return cid, res.stay_id


async def at(e: Env, when: datetime) -> None:
    e.clock.set(when.astimezone(UTC))
    await sweep(e.svc, e.clock.now())


async def test_a_daily_check_in_to_the_follower_every_day_until_discharge(env: Env) -> None:
    e = env
    _, stay = await admitted(e)  # Monday 09:00 WIB
    await at(e, datetime(2026, 3, 2, 10, 0, tzinfo=WIB))
    assert await kinds_to(e, "shelter_check_in") == []  # admitted today: from tomorrow
    await at(e, datetime(2026, 3, 3, 7, 59, tzinfo=WIB))
    assert await kinds_to(e, "shelter_check_in") == []
    await at(e, datetime(2026, 3, 3, 8, 0, tzinfo=WIB))
    await at(e, datetime(2026, 3, 3, 15, 0, tzinfo=WIB))  # once a day
    assert await kinds_to(e, "shelter_check_in") == [Recipient.person(TNG["pendamping"])]
    await at(e, datetime(2026, 3, 7, 8, 5, tzinfo=WIB))  # a Saturday: the stay goes on
    assert len(await kinds_to(e, "shelter_check_in")) == 2
    assert TNG_GROUP not in await kinds_to(e, "shelter_check_in")
    denied = await shelter_stay.check_in(e.svc, stay, TNG["mediator"])
    assert not denied.ok
    assert (await shelter_stay.check_in(e.svc, stay, TNG["pendamping"])).ok
    checked = await e.svc.db.fetchone("SELECT checked_in_at FROM shelter_stays WHERE id = ?",
                                      (stay,))  # fmt: skip
    assert checked is not None and checked[0] is not None
    assert (await shelter.discharge(e.svc, stay, TNG["mk"], "Kembali ke keluarga")).ok
    await at(e, datetime(2026, 3, 8, 9, 0, tzinfo=WIB))
    assert len(await kinds_to(e, "shelter_check_in")) == 2  # no more after the discharge
    assert not (await shelter_stay.check_in(e.svc, stay, TNG["pendamping"])).ok


async def test_the_head_extends_a_stay_with_a_reason_and_its_end_is_reminded_anew(
    env: Env,
) -> None:
    e = env
    _, stay = await admitted(e)
    async with e.svc.db.reading() as conn:
        before = await ShelterStore(e.svc.cipher).get(conn, stay)
    assert before is not None
    assert not (await shelter_stay.extend(e.svc, stay, TNG["mk"], 7, "Belum aman")).ok
    assert not (await shelter_stay.extend(e.svc, stay, TNG["ketua"], 7, "  ")).ok
    assert not (await shelter_stay.extend(e.svc, stay, TNG["ketua"], 0, "Belum aman")).ok
    # the first end is reminded two days before (TNG: 14 days, reminded 2 days before)
    await at(e, before.ends_at - timedelta(days=1))
    assert len(await kinds_to(e, "shelter_stay_ending")) == 2  # the head and the case manager
    res = await shelter_stay.extend(e.svc, stay, TNG["ketua"], 7, "Pelaku masih mencari")
    assert res.ok
    async with e.svc.db.reading() as conn:
        after = await ShelterStore(e.svc.cipher).get(conn, stay)
        plan = await ShelterStore(e.svc.cipher).plan(conn, stay)
    assert after is not None and after.ends_at == before.ends_at + timedelta(days=7)
    assert plan["extensions"][0]["reason"] == "Pelaku masih mencari"
    sql = "SELECT detail FROM audit_log WHERE action = 'shelter_extend'"
    row = await e.svc.db.fetchone(sql)
    assert row is not None and row[0] == f"stay {stay}: +7 days"  # the reason is not in the log
    await at(e, before.ends_at + timedelta(hours=1))  # the old end passes: nothing new
    assert len(await kinds_to(e, "shelter_stay_ending")) == 2
    await at(e, after.ends_at - timedelta(days=1))  # the new end is reminded
    assert len(await kinds_to(e, "shelter_stay_ending")) == 4
