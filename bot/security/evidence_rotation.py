"""Key rotation of the evidence file store: each file re-encrypted as a stream into a new file.

Crash safety, per file: the new file is written completely (fsynced, renamed), then one
transaction points the row at it (only if the row still points at the old one), then the old
file is deleted. A crash before the switch leaves an unreferenced new file; after it, an
unreferenced old file: both go in the sweep at the end of the rotation (run again after a
crash) or at the bot's next start. A file already under the new key is skipped.
"""

from __future__ import annotations

import logging

from bot.store import Database
from bot.store.evidence import file_batch, referenced, set_file
from bot.store.evidence_files import EvidenceFileError, EvidenceFiles

__all__ = ["recrypt_files", "sweep_after_rotation"]

log = logging.getLogger(__name__)


async def recrypt_files(db: Database, files: EvidenceFiles, batch: int) -> tuple[int, int]:
    """Re-encrypt every stored evidence file under the files' cipher's current key, one file at
    a time; (files re-encrypted, files missing or failing their check, left as they are)."""
    done = failing = 0
    after = -1
    current = files.cipher.key_id
    while True:
        async with db.reading() as conn:
            rows = await file_batch(conn, after, batch)
        for evidence_id, case_id, ref, digest in rows:
            try:
                if files.key_id_of(ref) == current:
                    continue  # done by an earlier, interrupted run
                new = await files.recrypt(ref, case_id, digest)
            except (OSError, EvidenceFileError) as exc:
                log.warning("evidence %d: its file is missing or damaged (%s)", evidence_id, exc)
                failing += 1
                continue
            switched = False
            try:
                async with db.transaction() as conn:
                    switched = await set_file(conn, evidence_id, new, replacing=ref)
            finally:
                await files.discard([ref] if switched else [new.ref])
            done += switched
        if len(rows) < batch:
            return done, failing
        after = rows[-1][0]


async def sweep_after_rotation(db: Database, files: EvidenceFiles) -> int:
    """Delete every file no row refers to (the bot is stopped while the key rotates)."""
    async with db.reading() as conn:
        refs = await referenced(conn)
    return files.sweep(refs, min_age=0)
