"""Security review #16: evidence is kept only when its content is an accepted type; the
reporter is told kindly, and a file is stored with the type found, not the one claimed."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.telegram.conversations import summary
from bot.testing.harness import Harness
from tests.telegram.flows import REPORTER, choose, press
from tests.telegram.test_bad_input import _to_question

PDF = b"%PDF-1.4\n" + b"x" * 100
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


async def _finish(h: Harness) -> str:
    await choose(h, REPORTER, "evidence", "done")
    await h.send(REPORTER, "0812-3456-7890")
    await choose(h, REPORTER, "call_time", "office_hours")
    await choose(h, REPORTER, "help", "counselling")
    await choose(h, REPORTER, "help", "done")
    await choose(h, REPORTER, "notify", "normal")
    await choose(h, REPORTER, "consent", "yes")
    out = await press(h, REPORTER, "s|send")
    return "\n".join(m.plain_text or "" for m in out)


async def test_a_program_calling_itself_a_pdf_is_not_kept_and_she_is_told(
    harness: Harness,
) -> None:
    h = harness
    await _to_question(h, "evidence")
    h.fake.user_sends_document(REPORTER, EXE, "visum.pdf", "application/pdf")
    h.fake.user_sends_photo(REPORTER, PNG)  # a photo whose bytes are a PNG: kept as PNG
    h.fake.user_sends_document(REPORTER, PDF, "visum2.pdf", "application/pdf")
    await h.pump()
    receipt = await _finish(h)
    assert "1 file(s) were not kept because their content is not a photo" in receipt
    rows = await h.rt.db.fetchall("SELECT kind, mime FROM evidence ORDER BY id")
    assert [(str(r[0]), str(r[1])) for r in rows] == [
        ("photo", "image/png"),
        ("document", "application/pdf"),
    ]


async def test_files_are_attached_one_at_a_time_and_a_replay_attaches_each_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Security review #16: each file is stored in its own transaction after the case, so a
    report's files are never all in memory together; a crash part-way is finished by the
    replayed update without storing a file twice."""
    h = harness
    await _to_question(h, "evidence")
    pdfs = [PDF + bytes([i]) * 10 for i in range(3)]
    for i, pdf in enumerate(pdfs):
        h.fake.user_sends_document(REPORTER, pdf, f"bukti{i}.pdf", "application/pdf")
    await h.pump()
    real = summary.attach_evidence_chunks
    calls: list[int] = []
    downloads: list[int] = []
    real_get_file = type(h.rt.application.bot).get_file

    async def get_file(bot: Any, *args: Any, **kwargs: Any) -> Any:
        downloads.append(len(calls))  # files attached before this download started
        return await real_get_file(bot, *args, **kwargs)

    async def flaky(svc: Any, case_id: int, item_no: int, *args: Any) -> str | None:
        calls.append(item_no)
        if len(calls) == 2:
            raise OSError("power cut")
        return await real(svc, case_id, item_no, *args)

    monkeypatch.setattr(summary, "attach_evidence_chunks", flaky)
    monkeypatch.setattr(type(h.rt.application.bot), "get_file", get_file)
    await _finish(h)
    for _ in range(3):
        await h.pump()
    rows = await h.rt.db.fetchall("SELECT item_no, size FROM evidence ORDER BY item_no")
    assert [(int(r[0]), int(r[1])) for r in rows] == [(i, len(p)) for i, p in enumerate(pdfs)]
    count = await h.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert count is not None and count[0] == 1
    # each file was stored before the next was downloaded
    assert downloads[:2] == [0, 1]
    # one file in the store for each row, nothing else (no part file of the failed attempt)
    refs = await h.rt.db.fetchall("SELECT file_ref FROM evidence ORDER BY item_no")
    assert sorted(str(r[0]) for r in refs) == h.rt.services.evidence.refs()
    assert sorted(p.name for p in h.rt.services.evidence.folder.iterdir()) == sorted(
        str(r[0]) for r in refs
    )
