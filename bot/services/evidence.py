"""Evidence files: stored from a stream of chunks, checked by content, read by who may.

Any channel attaches a file with ``attach_evidence_chunks`` and an async iterator of byte
chunks (any size): the file is encrypted into the file store segment by segment
(bot/store/evidence_files.py), its real type found from its first and last bytes
(bot/domain/filetypes.py), and only then recorded; a refused file is deleted at once.
Staff who may read the case's identity (need-to-know, bot/services/staff.py) list and read
the files back, one segment at a time; every read and every refusal is audited.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator

from bot.domain.filetypes import sniff
from bot.domain.identity import actor_for
from bot.services.context import Services
from bot.services.staff import Outcome, check_identity_access
from bot.store.audit import append_audit
from bot.store.evidence import EvidenceRow, add_file, evidence_row, evidence_rows
from bot.store.evidence_files import StoredFile

__all__ = [
    "attach_evidence_chunks",
    "case_evidence",
    "read_evidence",
    "record_stored",
]

log = logging.getLogger(__name__)

Chunks = AsyncIterable[bytes | bytearray | memoryview]


async def record_stored(
    svc: Services, case_id: int, item_no: int | None, kind: str, mime: str, file: StoredFile
) -> bool:
    """Record a stored file as a case's evidence in its own transaction; the file is deleted
    when nothing comes to refer to it (no such case, or this item recorded before)."""
    added = False
    try:
        async with svc.db.transaction() as conn:
            if await svc.cases.get(conn, case_id) is not None:
                bound = svc.evidence.bind(case_id, file)
                added = await add_file(conn, case_id, kind, mime, bound, svc.clock.now(), item_no)
    finally:
        if not added:
            await svc.evidence.discard([file.ref])
    return added


async def attach_evidence_chunks(
    svc: Services, case_id: int, item_no: int | None, kind: str, declared: str, chunks: Chunks
) -> str | None:
    """Stream one file into the store and attach it to a stored case: its real type, or None
    when its content is not an accepted type (then nothing is kept). ``declared`` is the type
    the sender's app claimed (it only tells a Word document from another ZIP)."""
    file = await svc.evidence.put(chunks)
    real = sniff(file.sample, declared=declared)
    if real is None:
        await svc.evidence.discard([file.ref])
        return None
    await record_stored(svc, case_id, item_no, kind, real, file)
    return real


async def case_evidence(
    svc: Services, case_id: int, user_id: int
) -> tuple[Outcome, list[EvidenceRow]]:
    """A case's evidence files for someone who may read its identity (refusals audited)."""
    allowed = await check_identity_access(svc, case_id, user_id, denied="denied:evidence")
    if allowed.outcome is not Outcome.OK:
        return allowed.outcome, []
    async with svc.db.reading() as conn:
        return Outcome.OK, await evidence_rows(conn, case_id)


async def read_evidence(
    svc: Services, evidence_id: int, user_id: int
) -> tuple[Outcome, EvidenceRow | None, AsyncIterator[bytes] | None]:
    """One evidence file's plaintext, segment by segment, for someone who may read the
    case's identity; the read is audited (EvidenceFileError while reading: damaged file)."""
    async with svc.db.reading() as conn:
        row = await evidence_row(conn, evidence_id)
    if row is None or row.file_ref is None:
        return Outcome.NOT_FOUND, None, None
    allowed = await check_identity_access(svc, row.case_id, user_id, denied="denied:evidence")
    if allowed.outcome is not Outcome.OK:
        return allowed.outcome, None, None
    async with svc.db.transaction() as conn:
        await append_audit(conn, at=svc.clock.now(), actor=actor_for(user_id),
                           action="read_evidence", case_id=row.case_id,
                           detail=f"evidence {row.id}")  # fmt: skip
    return Outcome.OK, row, svc.evidence.read(row.file_ref, case_id=row.case_id, digest=row.digest)
