"""The seed readings through Telegram: letters addressed and offered as the seeds say, the
mediator told of the Ketua's order, the SOP-level deadlines in /kasus."""

from __future__ import annotations

from bot.services.workflow import RULE_MESSAGES
from bot.services.workflow.steps import NAME_NEXT
from bot.testing.harness import Harness
from tests.telegram.flows import press
from tests.telegram.sop_support import (
    IDS,
    add_party,
    dispose_by_button,
    do_step,
    new_case,
    open_step,
    scalar,
    schedule,
    to_service,
    tx,
)
from tests.telegram.test_letters_ui import ADMIN, HEAD, docs, docx_text, invite_step, wh

__all__ = ["wh"]  # the fixture, re-used

TNG = IDS["TNG"]


async def test_order_tells_the_mediator_and_invites_the_terlapor(
    wh: Harness,
) -> None:
    h = wh
    _, sid = await invite_step(h)  # the head finished the order
    told = [m.plain_text or m.text or "" for m in h.fake.messages(TNG["mediator"])]
    assert any("order for you" in t or "perintah" in t.lower() for t in told), told
    await h.send(ADMIN, "/tugas")
    await press(h, ADMIN, f"wl:{sid}")
    assert docs(h, ADMIN)[-1].document is not None
    text = docx_text(docs(h, ADMIN)[-1].document[1])
    assert "Terlapor:" in text.split("di tempat")[0]


async def test_pendampingan_letters_step_offers_the_referral(wh: Harness) -> None:
    h = wh
    case = await to_service(h, "TNG", "accompaniment")
    await do_step(h, case, "recommend", TNG["ketua"])
    await do_step(h, case, "inform_client", TNG["pendamping"])
    sid = await open_step(h, case, "letters")
    out = await h.send(TNG["petugas"], "/tugas")
    data = {d for m in out for d in m.callback_data}
    assert {f"wl:{sid}", f"wl:{sid}:police", f"wl:{sid}:hospital"} <= data
    await press(h, TNG["petugas"], f"wl:{sid}:hospital")
    name, content = docs(h, TNG["petugas"])[-1].document or ("", b"")
    assert name.startswith("surat_rujukan_") and "visum" in docx_text(content).lower()


async def test_case_management_letters_disposition_and_consent(wh: Harness) -> None:
    h = wh
    case = await new_case(h, "TNG", age="34")
    await do_step(h, case, "first_response", TNG["petugas"])
    dispose = await open_step(h, case, "dispose")
    await h.send(HEAD, "/tugas")
    await press(h, HEAD, f"wl:{dispose}")
    name, _ = docs(h, HEAD)[-1].document or ("", b"")
    assert name.startswith("lembar_disposisi_")
    # the head disposes to the expert, who then needs to know the case
    serve = await dispose_by_button(h, case, HEAD, TNG["serve"])
    await h.send(TNG["serve"], "/tugas")
    await press(h, TNG["serve"], f"wl:{serve}:spp")
    name, content = docs(h, TNG["serve"])[-1].document or ("", b"")
    assert name.startswith("surat_pernyataan_persetujuan_")
    assert "SURAT PERNYATAAN PERSETUJUAN" in docx_text(content)


async def test_kasus_shows_the_pekalongan_time_standards(wh: Harness) -> None:
    h = wh
    case = await to_service(h, "PKL", "mediation")
    number = await scalar(h, "SELECT number FROM cases WHERE id = ?", case)
    out = await h.send(IDS["PKL"]["ketua"], f"/kasus {number}")
    text = "\n".join(m.plain_text or m.text or "" for m in out)
    assert text.count("⏱") == 2  # the decision (5 working days) and the completion (14)


async def test_the_head_disposes_to_a_named_expert(wh: Harness) -> None:
    h = wh
    case = await new_case(h, "TNG", age="34")
    await do_step(h, case, "first_response", TNG["petugas"])
    dispose = await open_step(h, case, "dispose")
    await h.send(HEAD, "/tugas")
    out = await press(h, HEAD, f"wd:{dispose}")
    data = {d for m in out for d in m.callback_data}
    serve, companion = await h.person(TNG["serve"]), await h.person(TNG["pendamping"])
    assert f"wa:{dispose}:{serve}" in data
    # naming is the only way to finish it: no "without a report", no "without its result"
    assert f"wv:{dispose}" not in data and f"wn:{dispose}" not in data
    said = tx(h, "<b>{title}</b>\nChoose to whom the case is disposed: the next step is given "
                 "to that person, and the Lembar Disposisi names their field. /batal cancels.",
              title=tx(h, "Dispose the case to an expert (legal counsellor, psychologist, "
                          "mediator)"))  # fmt: skip
    assert any(m.text == said for m in out)
    # a typed report instead of a name is refused with the reason
    await h.send(HEAD, "Disposisi tanpa nama")
    assert tx(h, NAME_NEXT) in h.last_text(HEAD)
    assert await open_step(h, case, "dispose") == dispose
    await press(h, HEAD, f"wd:{dispose}")
    assert not any(d.startswith(f"wa:{dispose}:{companion}") for d in data)
    await press(h, HEAD, f"wa:{dispose}:{serve}")
    serve = await open_step(h, case, "serve")
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'dispose'"
    assert await scalar(h, sql) == 1
    tasks = await h.send(TNG["serve"], "/tugas")
    assert f"wd:{serve}" in {d for m in tasks for d in m.callback_data}


async def test_the_ketua_sets_the_date_at_the_order(wh: Harness) -> None:
    h = wh
    case = await to_service(h, "TNG", "mediation")
    order = await open_step(h, case, "order")
    cards = await h.send(HEAD, "/tugas")
    assert f"ms:{order}" in {d for m in cards for d in m.callback_data}
    await schedule(h, case, "order", HEAD, "Ruang Mediasi")
    assert await scalar(h, "SELECT COUNT(*) FROM mediations WHERE case_id = ?", case) == 1
    await do_step(h, case, "order", HEAD, report="Mediator diperintahkan.")
    told = "\n".join(m.plain_text or m.text or "" for m in h.fake.messages(TNG["mediator"]))
    assert tx(h, "📣 Case {number}: an order for you.", number="PPA-TNG-2026-00001") in told
    assert tx(h, "📅 Mediation session: {when}", when="").strip() in told


async def test_a_childs_guardian_may_not_be_the_reported_party(wh: Harness) -> None:
    h, ids = wh, IDS["PSR"]
    case = await to_service(h, "PSR", "mediation")
    for key in ("assess", "assess_parties", "report_plan", "brief_mediator"):
        await do_step(h, case, key, ids["ketua" if key == "report_plan" else "pendamping"])
    p, sid = ids["pendamping"], await open_step(h, case, "invite")
    await add_party(h, case, "invite", p, "kynr")  # a child whose companion is the terlapor
    await add_party(h, case, "invite", p, "tnn")
    out = await press(h, p, f"mt:{sid}")
    rule = tx(h, RULE_MESSAGES["guardian_is_reported_party"])
    assert rule in (out[-1].plain_text or "")
    assert not any(d.startswith("md:") for m in out for d in m.callback_data)
