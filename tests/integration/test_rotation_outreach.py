"""Key rotation re-encrypts the outreach, referral and shelter values and they read back."""

from __future__ import annotations

from pathlib import Path

from bot.clock import FakeClock
from bot.crypto import generate_key
from bot.security.keys import rotate_key
from bot.services import outreach, referrals
from bot.store.db import Database
from bot.store.referrals import ReferralStore
from bot.testing.harness import Harness
from tests.telegram.flows import REPORTER, choose, full_report, office

COMPANION, HEAD = 100000004, 100000001


async def test_rotation_covers_outreach_referrals_and_shelter(
    tmp_path: Path, clock: FakeClock, db_target: str | Path
) -> None:
    old, new = generate_key(), generate_key()
    h = await Harness.create(tmp_path, clock=clock, secret_key=old, database=db_target)
    try:
        for uid in (COMPANION, HEAD):
            await h.send(uid, "/start")
        await full_report(h)
        await h.send(COMPANION, "/rujuk PPA-TNG-2026-00001 court PN Tangerang")
        await h.send(COMPANION, "/jadwal 1 12-03-2026 10:00 Ruang sidang 3")
        await h.send(HEAD, "/rumahaman PPA-TNG-2026-00001 kamar 1")
        await h.send(REPORTER + 1, "/lapor")
        await choose(h, REPORTER + 1, "danger", "yes")
        await office(h, REPORTER + 1, "TNG")
        await h.send(REPORTER + 1, "Gang Kenari 4")
        fake = h.fake
    finally:
        await h.stop()
    db = await Database.open(db_target)
    try:
        report = await rotate_key(db, old, new, at=clock.now())
    finally:
        await db.close()
    for column in ("outreach.details_enc", "referrals.facts_enc", "referral_dates.place_enc",
                   "shelter_stays.plan_enc"):  # fmt: skip
        assert report.values[column] == 1, column
    h2 = await Harness.create(tmp_path, clock=clock, secret_key=new, fake=fake, database=db_target)
    try:
        svc = h2.rt.services
        v = await outreach.view(svc, 1, None)
        assert v is not None and v.details["where"] == "Gang Kenari 4"
        views = await referrals.referrals_of(svc, 1, await h2.person(COMPANION))
        assert views is not None and views[0].facts["institution"] == "PN Tangerang"
        async with svc.db.reading() as conn:
            assert await ReferralStore(svc.cipher).place(conn, 1) == "Ruang sidang 3"
    finally:
        await h2.stop()
