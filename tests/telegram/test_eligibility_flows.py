"""The law's red lines through the Application: what may never be mediated, by any path."""

from __future__ import annotations

import pytest

from bot.testing.harness import Harness
from tests.telegram.flows import full_report, press
from tests.telegram.sop_support import IDS, open_step, scalar, to_service, tx, wh

__all__ = ["wh"]  # the fixture, re-used from test_sop_flows


async def mediation_instances(h: Harness, case: int) -> int:
    sql = "SELECT COUNT(*) FROM sop_instances WHERE case_id = ? AND sop_key LIKE '%mediasi'"
    return int(await scalar(h, sql, case))


async def forge(h: Harness, user: int, data: str) -> None:
    """A callback with made-up data on the newest message of the user's private chat."""
    await h.click_data(user, user, h.fake.last_message_id(user), data)


async def refusals(h: Harness, case: int) -> list[str]:
    rows = await h.rt.db.fetchall(
        "SELECT detail FROM audit_log WHERE action = 'refused:mediation' AND case_id = ?", (case,)
    )
    return [str(r[0]) for r in rows]


@pytest.mark.parametrize("office", ["TNG", "PKL", "PSR"])
async def test_sexual_violence_never_reaches_mediation(wh: Harness, office: str) -> None:
    h, ids = wh, IDS[office]
    case = await to_service(h, office, "mediation", violence=("sexual",))
    said = h.last_text(ids["mk"])
    assert "Pasal 23" in said, said
    assert tx(h, "The law does not allow this service for this case ({articles}).",
              articles="UU 12/2022 (TPKS) Pasal 23") in said  # fmt: skip
    assert await mediation_instances(h, case) == 0
    assert await refusals(h, case) == ["sexual_violence"]
    # the choice stays open: the case manager can still choose accompaniment
    step = await open_step(h, case, "case_management")
    # the same choice pressed again from the task message is refused again
    await press(h, ids["mk"], f"wo:{step}:mediation")
    await press(h, ids["mk"], f"wn:{step}")
    assert await mediation_instances(h, case) == 0
    assert len(await refusals(h, case)) == 2
    # forged callbacks, by the case manager and by the head, change nothing
    for user in (ids["mk"], ids["ketua"]):
        await forge(h, user, f"wo:{step}:mediation")
        await forge(h, user, f"wn:{step}")
    assert await mediation_instances(h, case) == 0
    assert (await open_step(h, case, "case_management")) == step


async def test_a_child_victims_case_is_not_mediated(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    case = await to_service(h, "TNG", "mediation", age="12")
    assert "UU 35/2014" in h.last_text(ids["mk"])
    assert await mediation_instances(h, case) == 0
    assert await refusals(h, case) == ["child_victim"]


async def test_accompaniment_of_a_sexual_violence_case_goes_ahead(wh: Harness) -> None:
    h = wh
    case = await to_service(h, "TNG", "accompaniment", violence=("sexual",))
    sql = "SELECT COUNT(*) FROM sop_instances WHERE case_id = ? AND sop_key = ?"
    assert await scalar(h, sql, case, "tng_pendampingan_korban") == 1
    assert await refusals(h, case) == []


@pytest.mark.parametrize(
    ("age", "violence", "article"),
    [("30", ("sexual",), "Pasal 23"), ("12", ("physical",), "UU 35/2014")],
)
async def test_the_reporter_asking_for_mediation_is_told_kindly_in_the_summary(
    wh: Harness, age: str, violence: tuple[str, ...], article: str
) -> None:
    out = await full_report(
        wh, age=age, violence=violence, help_wanted=("mediation",), submit=False
    )
    summary = out[-1].plain_text or ""
    assert "Tentang mediasi" in summary  # "About mediation", in Indonesian
    assert article in summary
    assert "jalur hukum" in summary  # "the legal route", in the reporter's language


async def test_no_mediation_note_when_the_law_allows_it(wh: Harness) -> None:
    out = await full_report(
        wh, age="30", violence=("psychological",), help_wanted=("mediation",), submit=False
    )
    assert "mediasi</b>" not in (out[-1].text or "")
    assert "Tentang mediasi" not in (out[-1].plain_text or "")


async def test_a_child_perpetrator_assessed_routes_to_diversion(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    case = await to_service(h, "TNG", "mediation", violence=("psychological",), choose=False)
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    await h.send(ids["mk"], f"/asesmen {number} pelaku_anak=ya kdrt_berat=tidak")
    assert tx(h, "Assessment of case {number} recorded.", number=number) in h.last_text(ids["mk"])
    step = await open_step(h, case, "case_management")
    await press(h, ids["mk"], f"wd:{step}")
    await press(h, ids["mk"], f"wo:{step}:mediation")
    out = await press(h, ids["mk"], f"wn:{step}")
    said = "\n".join(m.plain_text or "" for m in out)
    assert "UU 11/2012 (SPPA)" in said, said
    assert await mediation_instances(h, case) == 0
    assert await refusals(h, case) == ["child_perpetrator"]


async def test_severe_kdrt_assessed_is_not_mediated_and_others_cannot_assess(
    wh: Harness,
) -> None:
    h, ids = wh, IDS["TNG"]
    case = await to_service(h, "TNG", "mediation", violence=("physical",), choose=False)
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    await h.send(ids["serve"], f"/asesmen {number} kdrt_berat=ya")  # a psychologist: refused
    assert await scalar(h, "SELECT kdrt_severe FROM cases WHERE id = ?", case) is None
    denied = "SELECT COUNT(*) FROM audit_log WHERE action = 'denied:assessment'"
    assert await scalar(h, denied) == 1
    await h.send(ids["ketua"], f"/asesmen {number} kdrt_berat=ya")
    assert await scalar(h, "SELECT kdrt_severe FROM cases WHERE id = ?", case) == 1
    step = await open_step(h, case, "case_management")
    await press(h, ids["mk"], f"wd:{step}")
    await press(h, ids["mk"], f"wo:{step}:mediation")
    await press(h, ids["mk"], f"wn:{step}")
    assert await refusals(h, case) == ["severe_domestic_violence"]
    assert await mediation_instances(h, case) == 0
