"""*hapus* on WhatsApp: the report in progress is deleted, and she is told how to delete the
chat herself (the bot cannot delete WhatsApp messages)."""

from __future__ import annotations

from typing import Any

from bot.domain.identity import Handle
from bot.services.persons import person_for
from bot.store.whatsapp import WhatsAppStore
from bot.testing.whatsapp_harness import WaHarness
from tests.whatsapp.flows import WA_REPORTER


async def _state(wa: WaHarness) -> dict[str, Any]:
    svc = wa.h.rt.services
    person = await person_for(svc, Handle("whatsapp", WA_REPORTER))
    async with svc.db.reading() as conn:
        return (await WhatsAppStore(svc.cipher).session(conn, person)).state


async def test_hapus_deletes_the_draft_and_tells_how_to_delete_the_chat(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "lapor")
    await wa.say(WA_REPORTER, "tidak")
    await wa.press(WA_REPORTER, "a|office|o0")
    assert isinstance((await _state(wa)).get("draft"), dict)
    out = await wa.say(WA_REPORTER, "/hapus")
    assert len(out) == 1
    told = out[0].text
    assert told.startswith("Pesan dari layanan")
    assert "tidak disimpan" in told or "dihapus" in told
    assert "*Hapus chat*" in told or "Hapus chat" in told
    assert "draft" not in await _state(wa)
    again = await wa.say(WA_REPORTER, "1")  # no form any more: the welcome
    assert again[-1].choices == [("start", again[-1].choices[0][1])]
    row = await wa.h.rt.db.fetchone("SELECT COUNT(*) FROM cases")
    assert row is not None and row[0] == 0


async def test_hapus_without_a_report_only_tells_how_to_delete_the_chat(wa: WaHarness) -> None:
    await wa.say(WA_REPORTER, "halo")
    out = await wa.say(WA_REPORTER, "Hapus")
    assert len(out) == 1 and "WhatsApp" in out[0].text
    first = await wa.say(WA_REPORTER, "english")
    assert first[0].text.startswith("A message from the service")
    out = await wa.say(WA_REPORTER, "delete")
    assert "Clear chat" in out[0].text and "not finished" not in out[0].text
