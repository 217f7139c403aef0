"""The five seed SOPs end to end through Telegram: /tugas, Done, outcomes, the head's buttons."""

from __future__ import annotations

from bot.channels.telegram.handlers.workflow_render import render_workflow_item
from bot.clock import FakeClock
from bot.domain.notice import Recipient
from bot.presentation.progress import reporter_progress
from bot.services.workflow import RULE_MESSAGES
from bot.store.outbox import OutboxItem
from bot.testing.harness import Harness
from tests.telegram.flows import REPORTER, press
from tests.telegram.sop_support import (
    GROUPS,
    IDS,
    add_party,
    close_by_button,
    do_step,
    new_case,
    open_step,
    returned,
    scalar,
    schedule,
    sent,
    to_service,
    tx,
    wh,
)

__all__ = ["wh"]  # the fixture, from sop_support


async def test_tng_case_management_then_mediation(wh: Harness, clock: FakeClock) -> None:
    h, ids, group = wh, IDS["TNG"], GROUPS["TNG"]
    case = await to_service(h, "TNG", "mediation")
    decision = tx(h, "⚖ Decision: {outcome}", outcome=tx(h, "Mediation"))
    assert decision in "\n".join(h.texts(group))
    await do_step(h, case, "order", ids["ketua"], report="Mediator diperintahkan.")
    out = await schedule(h, case, "invite", ids["admin"], "Ruang mediasi <UPTD PPA>")
    assert "&lt;UPTD PPA&gt;" in (out[-1].text or "")  # escaped, shown as typed
    assert await scalar(h, "SELECT COUNT(*) FROM mediations WHERE case_id = ?", case) == 1
    assert await sent(h, "mediation_scheduled", group) == 1
    async with h.rt.db.reading() as conn:
        row = await h.rt.services.cases.get(conn, case)
    assert row is not None
    deps = h.rt.application.bot_data["deps"]
    progress = await reporter_progress(h.rt.services, deps.workflow, row, h.rt.i18n.get("en"))
    assert "A mediation session is planned for" in progress
    # the invitation letter as a file
    invite = await open_step(h, case, "invite")
    await press(h, ids["admin"], f"wd:{invite}")
    pdf = b"%PDF-1.4 undangan"
    h.fake.user_sends_document(ids["admin"], pdf, "undangan.pdf", "application/pdf")
    await h.pump()
    assert await scalar(h, "SELECT file_enc IS NOT NULL FROM steps WHERE id = ?", invite) == 1
    # the mediator asks for more time; the head approves from the message he receives
    mediate = await open_step(h, case, "mediate")
    await press(h, ids["mediator"], f"wx:{mediate}")
    assert await sent(h, "extension_requested", ids["ketua"]) == 1
    await press(h, ids["ketua"], f"we:{mediate}:y")
    assert await scalar(h, "SELECT extended_count FROM steps WHERE id = ?", mediate) == 1
    assert tx(h, "✅ More time was approved.") in h.last_text(ids["mediator"])
    clock.advance(hours=1)
    await do_step(h, case, "mediate", ids["mediator"], report="Mediasi selesai, sepakat damai.")
    await do_step(h, case, "case_record", ids["petugas"], report="Rekam kasus dibuat.")
    await do_step(h, case, "record_in_system", ids["admin"], report=None)
    await returned(h, case, "TNG", "Mediation", "Completed")
    await close_by_button(h, case, ids["mk"])
    number = "PPA-TNG-2026-00001"
    reporter = "\n".join(h.texts(REPORTER))
    assert tx(h, "Your report {number}: the unit is preparing a mediation.", number=number) in (
        reporter
    )
    assert await sent(h, "reporter_milestone", REPORTER) == 4  # started x2, scheduled, closed
    # the group never carries the victim's identity
    assert "Melati" not in "\n".join(h.texts(group))
    assert "Budi" not in "\n".join(h.texts(group))


async def test_tng_accompaniment_with_overdue_task_and_refused_extension(
    wh: Harness, clock: FakeClock
) -> None:
    h, ids = wh, IDS["TNG"]
    case = await to_service(h, "TNG", "accompaniment")
    await do_step(h, case, "recommend", ids["ketua"], report="Pendampingan ke kepolisian.")
    clock.advance(hours=3)  # inform_client has 1 office hour
    out = await h.send(ids["pendamping"], "/tugas")
    late = h.rt.i18n.get("id").ngettext("overdue by {n} hour", "overdue by {n} hours", 2)
    assert late in "\n".join(m.plain_text or "" for m in out)
    await do_step(h, case, "inform_client", ids["pendamping"], report="Klien sudah diberi tahu.")
    letters = await open_step(h, case, "letters")
    out = await h.send(ids["petugas"], "/tugas")
    assert f"wx:{letters}" in [d for m in out for d in m.callback_data]
    await press(h, ids["petugas"], f"wx:{letters}")
    await press(h, ids["ketua"], f"we:{letters}:n")
    assert tx(h, "✖ More time was not approved.") in h.last_text(ids["petugas"])
    assert await scalar(h, "SELECT extended_count FROM steps WHERE id = ?", letters) == 0
    await do_step(h, case, "letters", ids["petugas"], report="Surat tugas dan rujukan dibuat.")
    sid = await open_step(h, case, "accompany")
    await press(h, ids["pendamping"], f"wd:{sid}")
    h.fake.user_sends_photo(ids["pendamping"], b"\xff\xd8laporan", caption="Laporan pendampingan")
    await h.pump()
    await do_step(h, case, "case_record", ids["petugas"], report="Rekam kasus.")
    await returned(h, case, "TNG", "Accompaniment", "Completed")
    out = await h.send(ids["ketua"], "/kasus PPA-TNG-2026-00001")
    text = out[-1].plain_text or ""
    assert "SOP Pendampingan Korban" in text and "Mendampingi korban" in text
    assert await scalar(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'read_progress'") == 1


# -- Pekalongan -------------------------------------------------------------------------------


async def _pkl_to_decision(h: Harness) -> int:
    ids = IDS["PKL"]
    case = await to_service(h, "PKL", "mediation")
    await do_step(h, case, "request", ids["petugas"], report="Permohonan dicatat.")
    await do_step(h, case, "consider", ids["ketua"], report="Tim teknis setuju.")
    return case


async def test_pkl_accepted(wh: Harness) -> None:
    h, ids = wh, IDS["PKL"]
    case = await _pkl_to_decision(h)
    await do_step(h, case, "decide", ids["ketua"], outcome="accepted", report=None)
    await schedule(h, case, "invite", ids["admin"], "Kantor LP-PAR")
    assert await scalar(h, "SELECT COUNT(*) FROM mediations WHERE case_id = ?", case) == 1
    await do_step(h, case, "invite", ids["admin"], report="Undangan terkirim.")
    await do_step(h, case, "coordinate", ids["ketua"], report="Kelurahan dan RT setuju.")
    await do_step(h, case, "prepare", ids["admin"], report="Dokumen siap.")
    await do_step(h, case, "mediate", ids["mediator"], report="Berita acara ditandatangani.")
    await returned(h, case, "PKL", "Mediation", "Completed")


async def test_pkl_rejected_needs_a_reason(wh: Harness) -> None:
    h, ids = wh, IDS["PKL"]
    case = await _pkl_to_decision(h)
    sid = await open_step(h, case, "decide")
    await press(h, ids["ketua"], f"wd:{sid}")
    out = await press(h, ids["ketua"], f"wo:{sid}:rejected")
    assert not out[-1].callback_data  # no "without a report" for a rejection
    await h.send(ids["ketua"], "Bukan kasus yang dapat dimediasi.")
    assert await scalar(h, "SELECT outcome FROM steps WHERE id = ?", sid) == "rejected"
    decision = tx(h, "⚖ Decision: {outcome}", outcome=tx(h, "Rejected"))
    assert decision in "\n".join(h.texts(GROUPS["PKL"]))
    await do_step(h, case, "notify", ids["admin"], report="Surat pemberitahuan dikirim.")
    await returned(h, case, "PKL", "Mediation", "Rejected")


async def test_pkl_not_cooperative(wh: Harness) -> None:
    h, ids = wh, IDS["PKL"]
    case = await _pkl_to_decision(h)
    await do_step(h, case, "decide", ids["ketua"], outcome="accepted", report="Diterima.")
    # the invitation is this step's result: the head may close it without, with the reason
    sid = await open_step(h, case, "invite")
    await press(h, ids["ketua"], f"wd:{sid}")
    await press(h, ids["ketua"], f"wv:{sid}")
    await h.send(ids["ketua"], "Undangan disampaikan langsung oleh Kepala Dinas.")
    assert await scalar(h, "SELECT status FROM steps WHERE id = ?", sid) == "done"
    sql = "SELECT COUNT(*) FROM audit_log WHERE action = 'done_without_output'"
    assert await scalar(h, sql) == 1
    await do_step(h, case, "coordinate", ids["ketua"], outcome="not_cooperative",
                  report="Pihak terlapor menolak hadir.")  # fmt: skip
    # the administration cannot skip the notification letter: no "without" button
    notify = await open_step(h, case, "notify")
    out = await press(h, ids["admin"], f"wd:{notify}")
    assert not any(d.startswith(("wn:", "wv:")) for m in out for d in m.callback_data)
    await h.send(ids["admin"], "Surat pemberitahuan dikirim.")
    await returned(h, case, "PKL", "Mediation", "The parties do not cooperate")
    sql = "SELECT step_key, outcome FROM steps WHERE case_id = ?"
    outcomes = await h.rt.db.fetchall(sql, (case,))
    assert ("coordinate", "not_cooperative") in [(r[0], r[1]) for r in outcomes]


# -- Pasuruan ---------------------------------------------------------------------------------


async def test_psr_child_guardian_rule_refuses_then_allows(wh: Harness) -> None:
    h, ids = wh, IDS["PSR"]
    case = await to_service(h, "PSR", "mediation")
    for key in ("assess", "assess_parties", "report_plan", "brief_mediator"):
        who = ids["ketua" if key == "report_plan" else "pendamping"]  # koordinator orders
        await do_step(h, case, key, who, report="Selesai.")
    p = ids["pendamping"]
    sid = await open_step(h, case, "invite")
    await add_party(h, case, "invite", p, "kynn")  # a child victim, no guardian
    out = await press(h, p, f"mt:{sid}")
    rule = tx(h, RULE_MESSAGES["child_party_needs_guardian"])
    assert rule in (out[-1].plain_text or "")
    assert not any(d.startswith("md:") for m in out for d in m.callback_data)
    assert h.fake.callback_answers[-1].show_alert
    party = int(await scalar(h, "SELECT id FROM mediation_parties WHERE case_id = ?", case))
    await add_party(h, case, "invite", p, "kyny", pid=party)  # the guardian will come
    await add_party(h, case, "invite", p, "tnn")  # the reported party, an adult
    # a time is picked; meanwhile a second child party without guardian is recorded
    await press(h, p, f"ms:{sid}")
    days = await press(h, p, f"mt:{sid}")
    day = next(d for m in days for d in m.callback_data if d.startswith("md:"))
    slots = await press(h, p, day)
    await press(h, p, next(d for m in slots for d in m.callback_data if d.startswith("mh:")))
    await add_party(h, case, "invite", p, "tynn")
    out = await h.send(p, "Ruang konseling UPTD PPA")
    assert rule in (out[-1].plain_text or "")
    assert await scalar(h, "SELECT COUNT(*) FROM mediations WHERE case_id = ?", case) == 0
    second = int(await scalar(h, "SELECT MAX(id) FROM mediation_parties WHERE case_id = ?", case))
    await add_party(h, case, "invite", p, "tyny", pid=second)
    await schedule(h, case, "invite", p, "Ruang konseling UPTD PPA")
    assert await scalar(h, "SELECT COUNT(*) FROM mediations WHERE case_id = ?", case) == 1
    await do_step(h, case, "invite", p, report="Undangan dikirim.")
    await do_step(h, case, "mediate", ids["mediator"], report="Berita acara.")
    await do_step(h, case, "report_result", p, report="Laporan.")
    await do_step(h, case, "monitor", p, report="Kesepakatan dijalankan.")
    # the companion may report but not terminate: only the case manager decides
    monitoring = await open_step(h, case, "report_monitoring")
    assert not any(f"wd:{monitoring}" in m.callback_data for m in h.fake.messages(p))
    await h.click_data(p, p, h.fake.messages(p)[-1].message_id, f"wd:{monitoring}")  # forged
    assert h.fake.callback_answers[-1].show_alert
    await do_step(h, case, "report_monitoring", ids["mk"], outcome="terminate",
                  report="Kesepakatan sudah dilaksanakan.")  # fmt: skip
    await do_step(h, case, "document", p, report=None)
    await returned(h, case, "PSR", "Mediation", "Completed")


async def test_reporter_progress_and_neutral_milestones(wh: Harness) -> None:
    h = wh
    case_id = await new_case(h, "TNG")
    dp = h.rt.application.bot_data["deps"]
    async with h.rt.db.reading() as conn:
        case = await h.rt.services.cases.get(conn, case_id)
    assert case is not None
    t = h.rt.i18n.get("en")
    text = await reporter_progress(h.rt.services, dp.workflow, case, t)
    assert "complaint officer" in text and "Next:" in text
    payload = {"case_id": case_id, "milestone": "mediation_started", "mode": "neutral"}
    to = Recipient.reporter(case_id)
    item = OutboxItem(0, to, "telegram", "reporter_milestone", case_id, "en", payload, 0)
    rendered = await render_workflow_item(h.rt.services, dp.workflow, item, t)
    assert rendered is not None
    assert "mediat" not in rendered[0].lower() and "violence" not in rendered[0].lower()


async def test_a_pending_report_survives_a_restart(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    case = await new_case(h, "TNG")
    sid = await open_step(h, case, "first_response")
    await press(h, ids["petugas"], f"wd:{sid}")
    await press(h, ids["petugas"], f"wo:{sid}:done")
    await h.restart()
    await h.send(ids["petugas"], "Pelapor sudah ditelepon.")
    assert await scalar(h, "SELECT status FROM steps WHERE id = ?", sid) == "done"
    assert await scalar(h, "SELECT report_enc IS NOT NULL FROM steps WHERE id = ?", sid) == 1


async def test_batal_cancels_a_pending_report(wh: Harness) -> None:
    h, ids = wh, IDS["TNG"]
    case = await new_case(h, "TNG")
    sid = await open_step(h, case, "first_response")
    await press(h, ids["petugas"], f"wd:{sid}")
    await press(h, ids["petugas"], f"wo:{sid}:not_a_case")
    await h.send(ids["petugas"], "/batal")
    await h.send(ids["petugas"], "Bukan kasus kekerasan.")
    assert await scalar(h, "SELECT status FROM steps WHERE id = ?", sid) == "open"
