"""Security review #16: rotate-key works in batches, and an interrupted rotation is finished by
running it again (the bot refuses to start in between)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.crypto import Cipher, generate_key
from bot.security import keys
from bot.security.keys import RotationInterrupted, check_key, rotate_key
from bot.store import rotation
from bot.store.db import Database
from bot.testing.harness import Harness
from tests.integration.test_security import REPORTER, _all_values, _filled

__all__: list[str] = []


async def test_an_interrupted_rotation_blocks_the_start_and_is_finished_by_running_it_again(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, db_target: str | Path
) -> None:
    old, new = generate_key(), generate_key()
    h, code = await _filled(tmp_path, clock, old, db_target)
    fake = h.fake
    await h.stop()
    path = db_target
    limits: list[int] = []
    calls: set[tuple[str, str, int]] = set()
    real_batch, real_set = rotation.value_batch, rotation.set_value
    writes = 0

    async def batch(tx: object, table: str, column: str, after: int, limit: int) -> object:
        limits.append(limit)
        calls.add((table, column, limit))
        return await real_batch(tx, table, column, after, limit)  # type: ignore[arg-type]

    async def crash_after_three(*args: object) -> None:
        nonlocal writes
        writes += 1
        if writes > 3:
            raise OSError("disk full")
        await real_set(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(rotation, "value_batch", batch)
    monkeypatch.setattr(rotation, "set_value", crash_after_three)
    db = await Database.open(path)
    try:
        with pytest.raises(OSError, match="disk full"):
            await rotate_key(db, old, new, at=clock.now(), batch=2)
        assert limits and max(limits) == 2  # never more than a batch in memory
        assert ("evidence", "content_enc", 1) in calls  # whole files: one at a time
        assert ("cases", "details_enc", 2) in calls
        # part under the new key, part under the old: the start refuses, on either key
        ids = {Cipher(new).key_id_of(blob) for _, blob, _ in _all_values(path)}
        assert ids == {Cipher(old).key_id, Cipher(new).key_id}
        for key in (old, new):
            with pytest.raises(RotationInterrupted, match="rotate-key"):
                await check_key(db, Cipher(key))
        monkeypatch.setattr(rotation, "set_value", real_set)
        report = await rotate_key(db, old, new, at=clock.now(), batch=2)
        assert report.resumed and report.total > 0
        await check_key(db, Cipher(new))  # finished: the bot may start
        row = await db.fetchone("SELECT COUNT(*) FROM key_rotation")
        assert row is not None and row[0] == 0
    finally:
        await db.close()
    only_new = Cipher(new)
    for _, blob, ctx in _all_values(path):
        assert only_new.key_id_of(blob) == only_new.key_id
        only_new.decrypt(blob, context=ctx)
    h2 = await Harness.create(tmp_path, clock=clock, secret_key=new, fake=fake, database=db_target)
    try:
        out = await h2.send(REPORTER, f"/status {code}")
        assert any("PPA-TNG-2026-00001" in (m.plain_text or "") for m in out)
    finally:
        await h2.stop()


async def test_another_unfinished_rotation_is_not_mixed_with_a_new_one(
    clock: FakeClock, db_target: str | Path
) -> None:
    old = generate_key()
    db = await Database.open(db_target)
    try:
        async with db.transaction() as tx:
            await rotation.start_journal(tx, Cipher(old).key_id, "deadbeef", clock.now())
        with pytest.raises(keys.RotationError, match="did not finish"):
            await rotate_key(db, old, generate_key(), at=clock.now())
    finally:
        await db.close()
