"""Pekalongan's mediation starts at the applicant's request (seed 002 item 1), through the
Application: the /kasus button and /permohonan, refused by the law or where the office's SOP
does not start at a request."""

from __future__ import annotations

from bot.services.workflow.steps import ON_THE_PLAN
from bot.testing.harness import Harness
from tests.telegram.flows import press
from tests.telegram.sop_support import (
    IDS,
    dispose_by_button,
    do_step,
    new_case,
    open_step,
    scalar,
    tx,
    wh,
)
from tests.telegram.test_case_plan_flows import kasus, running

__all__ = ["wh"]  # the fixture, re-used from test_sop_flows

_BUTTON = "📝 The applicant asks for mediation"


async def test_the_officer_records_the_request_from_kasus(wh: Harness) -> None:
    h, ids = wh, IDS["PKL"]
    case = await new_case(h, "PKL", age="34")
    mediator_view = await kasus(h, ids["mediator"], case)
    assert tx(h, _BUTTON) not in mediator_view  # only who may record it sees the button
    await kasus(h, ids["petugas"], case)
    out = await press(h, ids["petugas"], f"pr:{case}")
    said = "\n".join(m.plain_text or "" for m in out)
    assert (
        tx(
            h,
            "📝 The applicant's request is recorded and the mediation procedure has "
            "started on the case plan; its time standards count from now.",
        )
        in said
    )
    assert await running(h, case) == ["mediation"]
    await open_step(h, case, "consider")  # the request step is the officer's recording
    sql = (
        "SELECT COUNT(*) FROM steps WHERE case_id = ? AND step_key = 'request' AND status = 'done'"
    )
    assert await scalar(h, sql, case) == 1
    assert tx(h, _BUTTON) not in await kasus(h, ids["petugas"], case)  # running: no second


async def test_permohonan_refused_for_sexual_violence_and_outside_pekalongan(wh: Harness) -> None:
    h, ids = wh, IDS["PKL"]
    case = await new_case(h, "PKL", age="34", violence=("sexual",))
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    await h.send(ids["petugas"], f"/permohonan {number} mediasi datang langsung")
    said = h.last_text(ids["petugas"])
    assert "Pasal 23" in said, said
    assert await running(h, case) == []
    tng = IDS["TNG"]
    other = await new_case(h, "TNG", age="34")
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", other))
    await h.send(tng["petugas"], f"/permohonan {number}")
    assert tx(
        h,
        "In this unit this service does not start at the applicant's request: the "
        "case manager adds it to the case plan (/kasus).",
    ) in h.last_text(tng["petugas"])
    assert await running(h, other) == []


async def test_case_management_refuses_a_second_mediation_kindly(wh: Harness) -> None:
    h, ids = wh, IDS["PKL"]
    case = await new_case(h, "PKL", age="34")
    number = str(await scalar(h, "SELECT number FROM cases WHERE id = ?", case))
    await h.send(ids["petugas"], f"/permohonan {number}")
    assert await running(h, case) == ["mediation"]
    await do_step(h, case, "first_response", ids["petugas"], report="Pelapor sudah dihubungi.")
    await dispose_by_button(h, case, ids["ketua"], ids["serve"])
    await do_step(h, case, "serve", ids["serve"], report="Konseling pertama selesai.")
    await do_step(h, case, "plan", ids["mk"], report="Rencana tindak lanjut.")
    await do_step(h, case, "record_in_system", ids["admin"], report=None)
    choice = await open_step(h, case, "case_management")
    await do_step(h, case, "case_management", ids["mk"], outcome="mediation", report=None)
    assert tx(h, ON_THE_PLAN) in h.last_text(ids["mk"])
    assert await open_step(h, case, "case_management") == choice  # still open: choose again
    sql = "SELECT COUNT(*) FROM sop_instances WHERE case_id = ? AND sop_key = 'pkl_mediasi'"
    assert await scalar(h, sql, case) == 1
