"""Security review #16 through the Application: a reporter's files go to the encrypted file
store (nothing readable there), staff who need to know get them back as protected documents,
and /hapus and an erasure leave no file behind."""

from __future__ import annotations

import re

from bot.testing.harness import Harness
from tests.telegram.flows import REPORTER, press
from tests.telegram.test_bad_input import _to_question
from tests.telegram.test_drafts_and_floods import _user_rows
from tests.telegram.test_evidence_types import _finish

TNG_GROUP = -1001000000001
HEAD, OFFICER, PSY = 100000001, 100000002, 100000007
PDF = b"%PDF-1.4\n" + b"VISUM-RAHASIA " * 12_000  # about 170 KiB: three segments
PNG = b"\x89PNG\r\n\x1a\n" + b"FOTO-LEBAM " * 500


async def _reported(h: Harness) -> str:
    """Staff started; a report with a PDF and a photo; its tracking code."""
    for uid in h.rt.services.file_staff("TNG"):
        await h.send(uid, "/start")
    await _to_question(h, "evidence")
    h.fake.user_sends_document(REPORTER, PDF, "visum.pdf", "application/pdf")
    h.fake.user_sends_photo(REPORTER, PNG)
    await h.pump()
    receipt = await _finish(h)
    m = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", receipt)
    assert m is not None
    return m.group(0)


def _stored(h: Harness) -> bytes:
    folder = h.rt.services.evidence.folder
    return b"".join(p.read_bytes() for p in folder.iterdir()) if folder.exists() else b""


async def _count(h: Harness, sql: str) -> int:
    row = await h.rt.db.fetchone(sql)
    assert row is not None
    return int(row[0])


async def test_staff_who_need_to_know_get_the_files_back_protected(harness: Harness) -> None:
    h = harness
    await _reported(h)
    assert len(h.rt.services.evidence.refs()) == 2
    stored = _stored(h)
    assert len(stored) > len(PDF) and b"VISUM-RAHASIA" not in stored and b"FOTO-LEBAM" not in stored
    # the psychologist does not handle the case: no files, a kind refusal, audited
    await h.send(PSY, "/start")
    await h.click_data(PSY, PSY, h.fake.last_message_id(PSY), "evf:1")
    assert h.fake.callback_answers[-1].show_alert
    assert [m for m in h.fake.messages(PSY) if m.document is not None] == []
    assert await _count(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'denied:evidence'") == 1
    # the officer takes the case: the details end with the button that sends the files
    await press(h, OFFICER, "take:1", chat=TNG_GROUP)
    await press(h, OFFICER, "det:1", chat=TNG_GROUP)
    button = next(m for m in h.fake.messages(OFFICER) if "evf:1" in m.callback_data)
    await h.click_data(OFFICER, OFFICER, button.message_id, "evf:1")
    docs = [m for m in h.fake.messages(OFFICER) if m.document is not None]
    assert [(d.document[0], d.document[1]) for d in docs if d.document] == [
        ("bukti-1.pdf", PDF),
        ("bukti-2.png", PNG),
    ]
    sent = [p for m, p in h.fake.calls if m == "sendDocument"]
    assert len(sent) == 2 and all(str(p.get("protect_content")).lower() == "true" for p in sent)
    assert await _count(h, "SELECT COUNT(*) FROM audit_log WHERE action = 'read_evidence'") == 2


async def test_an_erasure_deletes_the_files(harness: Harness) -> None:
    h = harness
    code = await _reported(h)
    assert len(h.rt.services.evidence.refs()) == 2
    await h.send(REPORTER, f"/status {code}")
    await press(h, REPORTER, "ds:del")
    await press(h, REPORTER, "ds:del!")
    rid = await _count(h, "SELECT id FROM rights_requests WHERE kind = 'erase'")
    await press(h, HEAD, f"rq:{rid}:d", chat=TNG_GROUP)
    await press(h, HEAD, f"rq:{rid}:D", chat=TNG_GROUP)
    assert await _count(h, "SELECT COUNT(*) FROM cases") == 0
    assert h.rt.services.evidence.refs() == []
    assert list(h.rt.services.evidence.folder.iterdir()) == []


async def test_hapus_leaves_no_file_of_the_unfinished_report(harness: Harness) -> None:
    h = harness
    await _to_question(h, "evidence")
    h.fake.user_sends_document(REPORTER, PDF, "visum.pdf", "application/pdf")
    await h.pump()
    drafts = [d["draft"] for d in await _user_rows(h, REPORTER) if "draft" in d]
    assert len(drafts) == 1 and len(drafts[0]["evidence"]) == 1  # the file is in the draft
    await h.send(REPORTER, "/hapus")
    assert not any("draft" in d for d in await _user_rows(h, REPORTER))
    assert _stored(h) == b""  # it never reached the store: nothing to leave behind
    assert await _count(h, "SELECT COUNT(*) FROM evidence") == 0


async def test_the_bot_moves_old_blobs_to_the_store_when_it_starts(harness: Harness) -> None:
    """A row as the bot wrote it before migration 0021 (the file as a BLOB in the database):
    the next start moves it to the store, and staff get it back from there."""
    h = harness
    await _reported(h)
    svc = h.rt.services
    row = await h.rt.db.fetchone("SELECT id, file_ref FROM evidence ORDER BY id LIMIT 1")
    assert row is not None
    blob = svc.cipher.encrypt(PDF, context=b"case:PPA-TNG-2026-00001:evidence")
    async with h.rt.db.transaction() as conn:
        await conn.execute(
            "UPDATE evidence SET content_enc = ?, file_ref = NULL, digest = NULL WHERE id = ?",
            (blob, row[0]),
        )
    svc.evidence.remove([str(row[1])])
    await h.restart()
    moved = await h.rt.db.fetchone(
        "SELECT content_enc IS NULL, file_ref FROM evidence WHERE id = ?", (row[0],)
    )
    assert moved is not None and moved[0] == 1 and moved[1] is not None
    assert str(moved[1]) in h.rt.services.evidence.refs()
    await press(h, OFFICER, "take:1", chat=TNG_GROUP)
    await press(h, OFFICER, "det:1", chat=TNG_GROUP)
    button = next(m for m in reversed(h.fake.messages(OFFICER)) if "evf:1" in m.callback_data)
    await h.click_data(OFFICER, OFFICER, button.message_id, "evf:1")
    docs = [m.document for m in h.fake.messages(OFFICER) if m.document is not None]
    assert [d[1] for d in docs] == [PDF, PNG]
