"""Record services on the case plan through the Application: a referral picked from /kasus with
its institution, a shelter request the head admits by button (never shown in the group), and
an outreach visit that opens its follow-up."""

from __future__ import annotations

from bot.testing.harness import Harness
from tests.telegram.flows import press
from tests.telegram.test_case_plan_flows import kasus, plain, running
from tests.telegram.test_sop_flows import GROUPS, IDS, scalar, to_service, tx, wh

__all__ = ["wh"]  # the fixture, re-used from test_sop_flows


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
