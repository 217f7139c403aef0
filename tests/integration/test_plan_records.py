"""Outreach, referral, shelter, protection and return as services on the case plan: each starts
through its use case, a recorded visit opens the follow-up, and each outcome goes back to the
case manager like any other service (bot/services/plan_records.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.notice import Recipient
from bot.scheduler.sweep import sweep
from bot.services import outreach, referrals, shelter
from bot.services.workflow import Outcome
from tests.integration.workflow_support import (
    TNG,
    TNG_GROUP,
    WIB,
    Env,
    env,
    new_case,
    outbox,
    returned,
    scalar,
)

__all__ = ["env"]  # the fixture, re-used


async def plan(e: Env, case_id: int) -> list[tuple[str, str, str | None, str | None]]:
    rows = (await e.wf.case_plan(case_id)).services
    return [(s.kind, s.status, s.outcome, s.record) for s in rows]


async def record_id(e: Env, case_id: int, kind: str) -> int:
    rows = [s for s in (await e.wf.case_plan(case_id)).services
            if s.kind == kind and s.status == "running" and s.record]  # fmt: skip
    assert len(rows) == 1, rows
    assert rows[0].record is not None
    return int(rows[0].record.partition(":")[2])


async def test_an_outreach_visit_to_hospital_returns_and_opens_a_health_referral(env: Env) -> None:
    e = env
    cid = await new_case(e, "TNG")
    res = await e.wf.add_services(cid, TNG["mk"], [("outreach", TNG["pendamping"])])
    assert res.ok, res
    oid = await record_id(e, cid, "outreach")
    told = [i for i in await outbox(e) if i.kind == "plan_record_started"]
    assert [i.recipient for i in told] == [Recipient.person(TNG["pendamping"])]
    assert [v.row.id for v in await outreach.on_for(e.svc, TNG["pendamping"])] == [oid]
    e.clock.advance(hours=3)
    assert (await outreach.record_visit(e.svc, oid, TNG["pendamping"], "hospital")).ok
    await returned(e, cid, "outreach", "hospital")
    (rid,) = [await record_id(e, cid, "referral")]
    assert await scalar(e, "SELECT kind FROM referrals WHERE id = ?", rid) == "hospital"
    sql = "SELECT detail FROM audit_log WHERE action = 'outreach_follow_up' AND case_id = ?"
    assert await scalar(e, sql, cid) == f"outreach {oid}: referral.hospital"
    # recording the visit again opens nothing more
    assert (await outreach.record_visit(e.svc, oid, TNG["pendamping"], "hospital")).ok
    assert [k for k, *_ in await plan(e, cid)] == ["outreach", "referral"]
    # the visum comes back: the referral ends and goes back to the case manager
    assert (await referrals.record_fact(e.svc, rid, TNG["pendamping"], "visum_received",
                                        "ya")).ok  # fmt: skip
    await returned(e, cid, "referral", "completed")


async def test_taken_to_the_shelter_asks_the_head_who_admits_and_discharges(env: Env) -> None:
    e = env
    cid = await new_case(e, "TNG")
    assert (await e.wf.add_services(cid, TNG["mk"], [("outreach", TNG["pendamping"])])).ok
    oid = await record_id(e, cid, "outreach")
    assert (await outreach.record_visit(e.svc, oid, TNG["pendamping"], "shelter")).ok
    asked = [i for i in await outbox(e) if i.kind == "shelter_request"]
    assert [i.recipient for i in asked] == [Recipient.person(TNG["ketua"])]  # never the group
    assert all(i.recipient != TNG_GROUP for i in await outbox(e) if i.kind.startswith("shel"))
    assert ("shelter", "running", None, None) in await plan(e, cid)
    denied = await shelter.admit(e.svc, cid, TNG["mk"])
    assert not denied.ok
    admitted = await shelter.admit(e.svc, cid, TNG["ketua"], "Kunci pintu")
    assert admitted.ok and admitted.stay_id is not None
    assert ("shelter", "running", None, f"stay:{admitted.stay_id}") in await plan(e, cid)
    bare = await shelter.discharge(e.svc, admitted.stay_id, TNG["mk"])
    assert not bare.ok  # a discharge plan is required
    assert (await shelter.discharge(e.svc, admitted.stay_id, TNG["mk"], "Pulang ke ibu")).ok
    await returned(e, cid, "shelter", "completed")


async def test_the_head_refuses_or_a_full_shelter_refers_to_the_partner(env: Env) -> None:
    e = env
    full = [await new_case(e, "TNG", key=f"f{n}") for n in range(2)]
    for cid in full:
        assert (await shelter.admit(e.svc, cid, TNG["ketua"])).ok
    cid = await new_case(e, "TNG", key="x")
    assert (await e.wf.add_services(cid, TNG["mk"], [("shelter", TNG["pendamping"])])).ok
    res = await shelter.admit(e.svc, cid, TNG["ketua"])
    assert not res.ok and res.referral_id is not None
    await returned(e, cid, "shelter", "referred_partner")
    other = await new_case(e, "TNG", key="y")
    assert (await e.wf.add_services(other, TNG["mk"], [("shelter", TNG["mk"])])).ok
    assert not (await shelter.refuse(e.svc, other, TNG["mk"])).ok
    assert (await shelter.refuse(e.svc, other, TNG["ketua"])).ok
    await returned(e, other, "shelter", "rejected")
    assert not (await shelter.refuse(e.svc, other, TNG["ketua"])).ok  # decided already


async def test_several_referrals_run_at_once_and_a_verdict_ends_one(env: Env) -> None:
    e = env
    cid = await new_case(e, "TNG")
    both = [("referral.police", TNG["pendamping"]), ("referral.court", TNG["pendamping"])]
    res = await e.wf.add_services(cid, TNG["mk"], both)
    assert res.ok, res
    kinds = await e.svc.db.fetchall("SELECT kind, created_by, companion_id FROM referrals"
                                    " WHERE case_id = ?", (cid,))  # fmt: skip
    assert sorted(r[0] for r in kinds) == ["court", "police"]
    assert {(r[1], r[2]) for r in kinds} == {(TNG["mk"], TNG["pendamping"])}
    bad = await e.wf.add_services(cid, TNG["mk"], [("referral.nowhere", TNG["pendamping"])])
    assert bad.outcome is Outcome.INVALID
    assert (await e.wf.add_services(cid, TNG["mk"], [("legal_aid.x", 100000006)])).outcome is (
        Outcome.INVALID
    )  # fmt: skip
    court = int(await scalar(e, "SELECT id FROM referrals WHERE case_id = ? AND kind = 'court'",
                             cid))  # fmt: skip
    assert (await referrals.record_fact(e.svc, court, TNG["pendamping"], "note", "x")).ok
    assert [s for _, s, *_ in await plan(e, cid)] == ["running", "running"]
    assert (await referrals.record_fact(e.svc, court, TNG["pendamping"], "verdict",
                                        "Terbukti")).ok  # fmt: skip
    await returned(e, cid, "referral", "completed")
    assert [s for _, s, *_ in await plan(e, cid)] == ["running", "ended"]


async def test_a_protection_order_is_for_kdrt_and_ends_with_the_order(env: Env) -> None:
    e = env
    stranger = await new_case(e, "TNG", key="s", relation="stranger")
    res = await e.wf.add_services(stranger, TNG["mk"], [("protection", TNG["pendamping"])])
    assert res.outcome is Outcome.INVALID and "Pasal 28-29" in res.message
    cid = await new_case(e, "TNG")  # the husband: KDRT
    assert (await e.wf.add_services(cid, TNG["mk"], [("protection", TNG["pendamping"])])).ok
    rid = await record_id(e, cid, "protection")
    assert await scalar(e, "SELECT kind FROM referrals WHERE id = ?", rid) == "court"
    assert (await referrals.record_fact(e.svc, rid, TNG["pendamping"], "protection_order",
                                        "Penetapan 12/2026")).ok  # fmt: skip
    await returned(e, cid, "protection", "completed")


async def test_return_home_is_a_referral_to_the_receiving_uptd_ppa(env: Env) -> None:
    e = env
    cid = await new_case(e, "TNG", violence=["trafficking"], relation="stranger")
    assert (await e.wf.add_services(cid, TNG["mk"], [("reintegration", TNG["pendamping"])])).ok
    rid = await record_id(e, cid, "reintegration")
    assert await scalar(e, "SELECT kind FROM referrals WHERE id = ?", rid) == "uptd_ppa"
    assert (await referrals.record_fact(e.svc, rid, TNG["pendamping"], "arrival_follow_up",
                                        "Sudah tiba, sehat")).ok  # fmt: skip
    await returned(e, cid, "reintegration", "completed")


async def test_the_travel_home_is_reminded_and_followed_up_after_arrival(env: Env) -> None:
    e = env
    cid = await new_case(e, "TNG", violence=["trafficking"], relation="stranger")
    assert (await e.wf.add_services(cid, TNG["mk"], [("reintegration", TNG["pendamping"])])).ok
    rid = await record_id(e, cid, "reintegration")
    travel = datetime(2026, 3, 4, 10, 0, tzinfo=WIB)  # Wednesday
    res = await referrals.schedule_date(e.svc, rid, TNG["mk"], travel, "Terminal", kind="travel")
    assert res.ok
    e.clock.set(datetime(2026, 3, 3, 8, 5, tzinfo=WIB).astimezone(UTC))  # the day before
    await sweep(e.svc, e.clock.now())
    reminded = [i for i in await outbox(e) if i.kind == "referral_reminder"]
    assert [i.recipient for i in reminded] == [Recipient.person(TNG["pendamping"])]
    e.clock.set((travel + timedelta(days=6)).astimezone(UTC))
    await sweep(e.svc, e.clock.now())
    assert [i for i in await outbox(e) if i.kind == "return_follow_up"] == []
    e.clock.set((travel + timedelta(days=7, minutes=1)).astimezone(UTC))
    await sweep(e.svc, e.clock.now())
    await sweep(e.svc, e.clock.now())
    followed = [i.recipient for i in await outbox(e) if i.kind == "return_follow_up"]
    assert followed == [Recipient.person(TNG["pendamping"]), Recipient.person(TNG["mk"])]
    assert (await referrals.record_fact(e.svc, rid, TNG["pendamping"], "arrival_follow_up",
                                        "Tiba dengan selamat")).ok  # fmt: skip
    await returned(e, cid, "reintegration", "completed")


async def test_an_urgent_outreach_joins_the_plan_of_its_case(env: Env) -> None:
    e = env
    oid = await outreach.open_outreach(e.svc, office_id="TNG", draft_key="d-visited")
    assert (await outreach.record_visit(e.svc, oid, TNG["pendamping"], "hospital")).ok
    cid = await new_case(e, "TNG", key="u1")  # the report is finished after the visit
    assert await outreach.link_case(e.svc, draft_key="d-visited", case_id=cid) == oid
    assert [(k, s, o) for k, s, o, _ in await plan(e, cid)] == [
        ("outreach", "ended", "hospital"), ("referral", "running", None)]  # fmt: skip
    await outreach.link_case(e.svc, draft_key="d-visited", case_id=cid)  # again: nothing more
    assert len(await plan(e, cid)) == 2
    # linked before the visit: the outreach runs on the plan until the visit is recorded
    other = await outreach.open_outreach(e.svc, office_id="TNG", draft_key="d-open")
    cid2 = await new_case(e, "TNG", key="u2")
    await outreach.link_case(e.svc, draft_key="d-open", case_id=cid2)
    assert await plan(e, cid2) == [("outreach", "running", None, f"outreach:{other}")]
    assert (await outreach.record_visit(e.svc, other, TNG["pendamping"], "safe")).ok
    await returned(e, cid2, "outreach", "safe")
    assert [s for _, s, *_ in await plan(e, cid2)] == ["ended"]
