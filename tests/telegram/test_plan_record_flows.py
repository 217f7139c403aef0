"""Record services on the case plan through the Application: a referral picked from /kasus with
its institution, a shelter request the head admits by button (never shown in the group), and
an outreach visit that opens its follow-up."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.clock import FakeClock
from bot.scheduler.sweep import sweep
from bot.services import referrals, shelter
from bot.testing.harness import Harness
from tests.telegram.flows import press
from tests.telegram.sop_support import GROUPS, IDS, scalar, to_service, tx, wh
from tests.telegram.test_case_plan_flows import kasus, plain, running

__all__ = ["wh"]  # the fixture, re-used from test_sop_flows

WIB = ZoneInfo("Asia/Jakarta")


async def add(h: Harness, mk: int, case: int, key: str, staff: int) -> None:
    """The case manager adds a service from /kasus, naming who follows it."""
    await kasus(h, mk, case)
    await press(h, mk, f"pa:{case}")
    if key.startswith("referral."):
        await press(h, mk, f"pk:{case}:referral")
    await press(h, mk, f"pk:{case}:{key}")
    await press(h, mk, f"pk:{case}:{key}:{await h.person(staff)}")


async def test_a_referral_is_picked_by_institution_and_its_companion_is_told(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    mk, companion = ids["mk"], ids["pendamping"]
    case = await to_service(h, "TNG", "accompaniment")
    await kasus(h, mk, case)
    await press(h, mk, f"pa:{case}")
    await press(h, mk, f"pk:{case}:referral")
    assert plain(tx(h, "Where is the case referred?")) in h.last_text(mk)
    await press(h, mk, f"pk:{case}:referral.police")
    await press(h, mk, f"pk:{case}:referral.police:{await h.person(companion)}")
    assert await running(h, case) == ["accompaniment", "referral"]
    await h.pump()
    rid = int(await scalar(h, "SELECT id FROM referrals WHERE case_id = ? AND kind = 'police'",
                           case))  # fmt: skip
    assert any(f"/fakta {rid}" in text for text in h.texts(companion))
    await press(h, companion, f"rl:{rid}")  # the Surat Rujukan, by DM, kept with the referral
    sent = [m for m in h.fake.messages(companion) if m.kind == "document"]
    assert len(sent) == 1 and sent[0].document is not None
    assert sent[0].document[1][:4] == b"PK\x03\x04" and "/RUJ/PPA-TNG/" in (sent[0].text or "")
    # a member of staff who does not handle the case gets no letter
    await h.send(ids["mediator"], "/start")
    await h.click_data(ids["mediator"], companion, sent[0].message_id - 1, f"rl:{rid}")
    assert [m for m in h.fake.messages(ids["mediator"]) if m.kind == "document"] == []
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'denied:make_letter' AND actor = ?"
    assert await scalar(h, sql, f"person:{await h.person(ids['mediator'])}") == 1
    # a second referral may run beside the first
    await add(h, mk, case, "referral.hospital", companion)
    assert await running(h, case) == ["accompaniment", "referral", "referral"]


async def test_the_head_admits_a_shelter_request_by_button_not_in_the_group(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    mk, head, group = ids["mk"], ids["ketua"], GROUPS["TNG"]
    case = await to_service(h, "TNG", "accompaniment")
    before = len(h.texts(group))
    await add(h, mk, case, "shelter", ids["pendamping"])
    await h.pump()
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    assert any(number in text and "2" in text for text in h.texts(head))
    await press(h, head, f"sa:{case}")
    await h.pump()
    stay = int(await scalar(h, "SELECT id FROM shelter_stays WHERE case_id = ?", case))
    said = tx(h, "Admitted to the shelter (stay {id}). The end of the stay will be reminded.",
              id=stay)  # fmt: skip
    assert plain(said) in h.texts(head)
    record = await scalar(h, "SELECT record FROM case_services WHERE kind = 'shelter'")
    assert record == f"stay:{stay}"
    assert not any(number in text for text in h.texts(group)[before:])  # nothing in the group


async def test_an_outreach_from_the_plan_visits_and_opens_a_police_referral(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    mk, companion = ids["mk"], ids["pendamping"]
    case = await to_service(h, "TNG", "accompaniment")
    await add(h, mk, case, "outreach", companion)
    await h.pump()
    oid = int(await scalar(h, "SELECT id FROM outreach WHERE case_id = ?", case))
    await press(h, companion, f"ov:{oid}:police")
    assert await running(h, case) == ["accompaniment", "referral"]
    assert await scalar(h, "SELECT kind FROM referrals WHERE case_id = ?", case) == "police"
    outcome = await scalar(h, "SELECT outcome FROM case_services WHERE kind = 'outreach'")
    assert outcome == "police"


async def test_hearings_in_the_morning_digest_and_records_in_kasus(
    wh: Harness, clock: FakeClock
) -> None:
    h, ids = wh, IDS["TNG"]
    mk, companion, group = ids["mk"], ids["pendamping"], GROUPS["TNG"]
    case = await to_service(h, "TNG", "accompaniment")
    svc, me = h.rt.services, await h.person(companion)
    ref = await referrals.refer(svc, case, me, "court", "PN Tangerang")
    assert ref.referral_id is not None
    tuesday = datetime(2026, 3, 3, 13, 0, tzinfo=WIB)
    assert (await referrals.schedule_date(svc, ref.referral_id, me, tuesday, "Ruang 2")).ok
    admitted = await shelter.admit(svc, case, await h.person(ids["ketua"]), "Rencana")
    assert admitted.ok
    text = await kasus(h, mk, case)
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    assert plain(tx(h, "<b>Outreach, referrals and shelter</b>")) in text
    line = tx(h, "📨 Referral {id}: {kind}, {institution}", id=ref.referral_id,
              kind=tx(h, "Court"), institution="PN Tangerang")  # fmt: skip
    assert line in text
    assert "13.00" in text or "13:00" in text  # the next date, the hearing
    assert tx(h, "🏠 Shelter stay {id}: since {since}, until {until}", id=admitted.stay_id,
              since="", until="").split(":")[0] in text  # fmt: skip
    # the next morning: the companion's own dates, the group only the case number
    before = len(h.texts(group))
    clock.set(datetime(2026, 3, 3, 8, 30, tzinfo=WIB).astimezone(UTC))
    await sweep(svc, clock.now())
    await h.pump()
    mine = "\n".join(h.texts(companion))
    hearing = tx(h, "Hearing")
    assert f"📅 {number}: {hearing}" in mine
    summary = "\n".join(h.texts(group)[before:])
    assert number in summary and "Ruang 2" not in summary and "PN Tangerang" not in summary
    assert "shelter" not in summary.lower() and "rumah aman" not in summary.lower()


async def test_the_daily_check_in_button_and_the_heads_extension(
    wh: Harness, clock: FakeClock
) -> None:
    h, ids = wh, IDS["TNG"]
    mk, head, companion = ids["mk"], ids["ketua"], ids["pendamping"]
    case = await to_service(h, "TNG", "accompaniment")
    await add(h, mk, case, "shelter", companion)
    await h.pump()
    await press(h, head, f"sa:{case}")
    stay = int(await scalar(h, "SELECT id FROM shelter_stays WHERE case_id = ?", case))
    clock.set(datetime(2026, 3, 3, 8, 10, tzinfo=WIB).astimezone(UTC))
    await sweep(h.rt.services, clock.now())
    await h.pump()
    await press(h, companion, f"sc:{stay}")
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'shelter_check_in' AND case_id = ?"
    assert await scalar(h, sql, case) == 1
    await h.send(mk, f"/perpanjang {stay} 7 Masih berbahaya")  # only the head
    assert await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'shelter_extend'") == 0
    await h.send(head, f"/perpanjang {stay} 7 Masih berbahaya")
    assert await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'shelter_extend'") == 1
    ends = str(await scalar(h, "SELECT ends_at FROM shelter_stays WHERE id = ?", stay))
    assert datetime.fromisoformat(ends).astimezone(WIB).date().isoformat() == "2026-03-23"


async def test_the_typed_words_add_record_services(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    mk, companion = ids["mk"], ids["pendamping"]
    case = await to_service(h, "TNG", "accompaniment")
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    await h.send(mk, f"/layanan {number} rujuk_polisi={companion} penjangkauan={companion}")
    assert await running(h, case) == ["accompaniment", "referral", "outreach"]
    assert await scalar(h, "SELECT kind FROM referrals WHERE case_id = ?", case) == "police"
    await h.send(mk, f"/layanan {number} perlindungan={companion}")  # the husband: KDRT
    assert await running(h, case) == ["accompaniment", "referral", "outreach", "protection"]


async def test_a_referral_by_command_goes_on_the_plan_and_ends_with_it(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    case = await to_service(h, "TNG", "accompaniment")
    svc, me = h.rt.services, await h.person(ids["pendamping"])
    assert await running(h, case) == ["accompaniment"]
    ref = await referrals.refer(svc, case, me, "police", "Polres Metro Tangerang")
    assert ref.ok and ref.referral_id is not None
    assert await running(h, case) == ["accompaniment", "referral"]
    record = await scalar(h, "SELECT record FROM case_services WHERE kind = 'referral'")
    assert record == f"referral:{ref.referral_id}"
    assignee = await scalar(h, "SELECT assignee_user_id FROM case_services WHERE kind = 'referral'")
    assert assignee == me
    # a closing fact (the verdict) ends the plan's service that follows it
    assert (await referrals.record_fact(svc, ref.referral_id, me, "verdict", "Putusan 12/2026")).ok
    assert await running(h, case) == ["accompaniment"]
