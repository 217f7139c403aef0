"""At start: evidence still held as BLOBs in the database (before migration 0021) moves to the
encrypted file store, one row per transaction; then leftovers of a crash are swept.

Idempotent and crash-safe: a row is moved by writing its file, then (in one transaction)
pointing the row at it and dropping the BLOB only if the BLOB is still there. A crash before
that transaction leaves a file no row refers to, which the sweep removes; the row is moved
again at the next start.
"""

from __future__ import annotations

import logging

from bot.services.context import Services
from bot.store.evidence import legacy_batch, legacy_blob, referenced, set_file
from bot.store.evidence_files import ORPHAN_AGE_SECONDS, chunks_of
from bot.store.schema import column_names

__all__ = ["BATCH", "move_legacy_evidence", "sweep_orphans"]

log = logging.getLogger(__name__)

# ids read per look-up (each row is moved in its own transaction: a BLOB may be 20 MB)
BATCH = 50


async def move_legacy_evidence(svc: Services, *, batch: int = BATCH) -> int:
    """Move every evidence BLOB to the file store; how many rows were moved."""
    async with svc.db.reading() as conn:
        if "file_ref" not in await column_names(conn, "evidence"):
            return 0  # an older schema (opened without migrating)
    moved, after = 0, -1
    while True:
        async with svc.db.reading() as conn:
            ids = await legacy_batch(conn, after, batch)
        for evidence_id in ids:
            moved += await _move(svc, evidence_id)
        if len(ids) < batch:
            break
        after = ids[-1]
    if moved:
        log.info("moved %d evidence file(s) from the database to the file store", moved)
        if svc.db.dialect == "sqlite":
            await svc.db.checkpoint()  # the old BLOBs (zeroed: secure_delete) leave the WAL
    await sweep_orphans(svc)
    svc.evidence.tighten()
    return moved


async def _move(svc: Services, evidence_id: int) -> bool:
    async with svc.db.reading() as conn:
        found = await legacy_blob(conn, evidence_id)
    if found is None:
        return False
    blob, number, case_id = found
    plain = svc.cipher.decrypt(blob, context=f"case:{number}:evidence".encode())
    del blob
    file = svc.evidence.bind(case_id, await svc.evidence.put(chunks_of(plain)))
    del plain
    switched = False
    try:
        async with svc.db.transaction() as conn:
            switched = await set_file(conn, evidence_id, file)
    finally:
        if not switched:
            await svc.evidence.discard([file.ref])
    return switched


async def sweep_orphans(svc: Services, *, min_age: float = ORPHAN_AGE_SECONDS) -> int:
    """Delete files no row refers to (a crash between writing and recording, or between a
    row's deletion and its file's)."""
    async with svc.db.reading() as conn:
        refs = await referenced(conn)
    removed = svc.evidence.sweep(refs, min_age=min_age)
    if removed:
        log.warning("removed %d evidence file(s) no case refers to", removed)
    return removed
