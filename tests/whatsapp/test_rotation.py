"""rotate-key re-encrypts the WhatsApp inbox and sessions; the form goes on under the new key."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FakeClock
from bot.crypto import Cipher, generate_key
from bot.security.keys import rotate_key
from bot.store.db import Database
from bot.store.encrypted import ENCRYPTED_COLUMNS
from bot.testing.harness import Harness
from bot.testing.whatsapp_harness import WaHarness
from tests.stores import query_now
from tests.whatsapp.flows import WA_REPORTER


def _values(target: str | Path) -> list[tuple[bytes, bytes]]:
    out = []
    for table in ("wa_inbox", "wa_sessions"):
        column = "payload_enc" if table == "wa_inbox" else "state_enc"
        for _, blob, ctx in query_now(target, ENCRYPTED_COLUMNS[(table, column)]):
            out.append((bytes(blob), str(ctx).encode()))
    return out


async def test_rotation_keeps_the_whatsapp_form(
    tmp_path: Path, clock: FakeClock, db_target: str | Path
) -> None:
    old, new = generate_key(), generate_key()
    h = await Harness.create(tmp_path, clock=clock, secret_key=old, database=db_target)
    wa = await WaHarness.create(h)
    await wa.say(WA_REPORTER, "lapor")
    await wa.say(WA_REPORTER, "tidak")
    body, _ = wa.maker.text(WA_REPORTER, "3", clock.now())  # office; stored, not yet handled
    assert await wa.post(body) == 200
    await wa.close()
    fake = h.fake
    await h.stop()
    db = await Database.open(db_target)
    try:
        await rotate_key(db, old, new, at=clock.now())
    finally:
        await db.close()
    values = _values(db_target)
    assert len(values) == 2  # her session and the waiting message
    for blob, ctx in values:
        Cipher(new).decrypt(blob, context=ctx)
    h2 = await Harness.create(tmp_path, clock=clock, secret_key=new, fake=fake, database=db_target)
    wa2 = await WaHarness.create(h2)
    try:
        await wa2.pump()  # the waiting "3" (Tangerang) is handled under the new key
        out = await wa2.say(WA_REPORTER, "2")  # family: her own age is asked next
        assert out[-1].choices == [("a|reporter_age|s", out[-1].choices[0][1])]
    finally:
        await wa2.close()
        await h2.stop()
