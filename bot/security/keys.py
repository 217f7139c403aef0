"""Key rotation in batches: re-encrypt every column, recompute blind indexes, re-sign MACs.

Crash safety: a journal row (``key_rotation``) is written first. The values are re-encrypted in
batches, each its own transaction; a value already under the new key is skipped, so running
``rotate-key`` again with the same two keys continues where an interrupted run stopped. The blind
indexes are recomputed in batches too (idempotent), then the MACs and seals are re-signed in
one transaction (small tables), and the journal row goes in the same transaction as the audit
row. While the journal row is there the bot refuses to start (``check_key``): values under two
keys and half-recomputed indexes are never used. Evidence files are re-encrypted one at a time
as streams, each into a new file before its row switches (bot/security/evidence_rotation.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from bot.crypto import Cipher, UnknownKeyError
from bot.domain.identity import Handle
from bot.security.evidence_rotation import recrypt_files, sweep_after_rotation
from bot.store import Database, Tx
from bot.store import rotation as rot
from bot.store.audit import append_audit
from bot.store.cases import reporter_index as reporter_index_of
from bot.store.conversations import StateStore
from bot.store.encrypted import (
    ENCRYPTED_COLUMNS,
    INDEX_COLUMNS,
    keyed_columns,
    latest_case_secret,
    set_case_indexes,
)
from bot.store.evidence_files import EvidenceFiles, default_folder
from bot.store.integrity import MAC_COLUMNS, resign_rows, sealed_offices
from bot.store.persons import PersonStore
from bot.store.roster import RosterStore
from bot.store.route_macs import (
    ROUTE_MAC_COLUMNS,
    resign_case_batch,
    resign_handle_batch,
    resign_outbox_batch,
)
from bot.store.schema import column_names

__all__ = [
    "BATCH",
    "FILE_COLUMNS",
    "RotationError",
    "RotationInterrupted",
    "RotationReport",
    "check_key",
    "rotate_key",
]

log = logging.getLogger(__name__)

# rows per transaction
BATCH = 500
# columns holding whole files (evidence written before the file store, step files, letters):
# one row at a time
FILE_COLUMNS = frozenset(
    {("evidence", "content_enc"), ("steps", "file_enc"), ("letters", "content_enc")}
)

T = TypeVar("T")


class RotationError(RuntimeError):
    """Rotation cannot proceed safely; nothing was changed."""


class RotationInterrupted(RuntimeError):
    """A rotation began and did not finish: the bot must not start until it is run again."""


@dataclass
class RotationReport:
    """What a rotation did (counts only: no personal data)."""

    old_key_id: str
    new_key_id: str
    values: dict[str, int] = field(default_factory=dict)
    indexes: int = 0
    macs: int = 0
    macs_failing: int = 0
    resumed: bool = False
    files: int = 0  # evidence files re-encrypted (bot/security/evidence_rotation.py)
    files_failing: int = 0  # missing or damaged: left as they were (a warning names each)

    @property
    def total(self) -> int:
        """Number of encrypted values rewritten."""
        return sum(self.values.values())


async def _check_schema(tx: Tx) -> list[tuple[str, str]]:
    enc, idx, mac = await keyed_columns(tx)
    unknown = sorted(
        (enc - set(ENCRYPTED_COLUMNS))
        | (idx - INDEX_COLUMNS)
        | (mac - MAC_COLUMNS - ROUTE_MAC_COLUMNS)
    )
    if unknown:
        names = ", ".join(f"{t}.{c}" for t, c in unknown)
        raise RotationError(
            f"rotate-key does not know how to re-encrypt {names}; "
            "add it to bot/store/encrypted.py before rotating"
        )
    return sorted(enc)


async def _batches(
    db: Database,
    fetch: Callable[[Tx, int, int], Awaitable[list[T]]],
    work: Callable[[Tx, T], Awaitable[bool]],
    batch: int,
) -> int:
    """Run ``work`` on every row ``fetch`` gives, ``batch`` rows per transaction; the first
    field of a row is its key. Returns how many rows ``work`` changed."""
    after, changed = rot.FIRST, 0
    while True:
        async with db.transaction() as tx:
            rows = await fetch(tx, after, batch)
            for row in rows:
                changed += bool(await work(tx, row))
        if len(rows) < batch:
            return changed
        after = int(row[0])  # type: ignore[index]


async def _reindex(db: Database, cipher: Cipher, batch: int) -> int:
    async def case(tx: Tx, row: tuple[int, str, bytes, bytes | None]) -> bool:
        case_id, number, details_enc, chat_enc = row
        details = cipher.decrypt_json(details_enc, context=b"case:" + number.encode())
        if not isinstance(details, dict) or not isinstance(details.get("tracking_code"), str):
            raise RotationError(f"case {number} has no tracking code in its details")
        reporter_index: str | None = None
        if chat_enc is not None:
            chat = cipher.decrypt_json(chat_enc, context=f"case:{number}:chat".encode())
            reporter_index = reporter_index_of(cipher, Handle.from_json(chat))
        tracking_index = cipher.blind_index("tracking", details["tracking_code"])
        await set_case_indexes(tx, case_id, tracking_index, reporter_index)
        return True

    persons, states = PersonStore(cipher), StateStore(cipher)

    async def handle(tx: Tx, row: tuple[int, str, bytes]) -> bool:
        row_id, channel, blob = row
        address = cipher.decrypt(blob, context=f"person-handle:{channel}".encode()).decode()
        await rot.set_handle_index(tx, row_id, persons.index(Handle(channel, address)))
        return True

    count = await _batches(db, rot.case_batch, case, batch)
    await _batches(db, rot.handle_batch, handle, batch)
    for table in ("state_data", "state_conversations"):

        async def state(tx: Tx, row: tuple[int, str, bytes], table: str = table) -> bool:
            await rot.set_state_index(tx, table, row[0], states.index_of_blob(row[1], row[2]))
            return True

        await _batches(db, functools.partial(_state_rows, table), state, batch)
    return count


async def _state_rows(table: str, tx: Tx, after: int, limit: int) -> list[tuple[int, str, bytes]]:
    return await rot.state_batch(tx, table, after, limit)


async def _value_rows(
    table: str, column: str, tx: Tx, after: int, limit: int
) -> list[tuple[int, bytes, bytes]]:
    return await rot.value_batch(tx, table, column, after, limit)


async def _resign(tx: Tx, old: Cipher, new: Cipher, report: RotationReport) -> None:
    """Re-sign the MACs and the seals that hold under the old key (or already the new one)."""
    before, after = RosterStore(old), RosterStore(new)
    offices = await sealed_offices(tx)
    roster_ok = {
        o
        for o in offices
        if await before.roster_seal_ok(tx, o) or await after.roster_seal_ok(tx, o)
    }
    changes_ok = {
        o
        for o in offices
        if await before.changes_seal_ok(tx, o) or await after.changes_seal_ok(tx, o)
    }
    report.macs, report.macs_failing = await resign_rows(tx, old, new)
    for office in sorted(roster_ok):
        await after.reseal_roster(tx, office)
    for office in sorted(changes_ok):
        await after.reseal_changes(tx, office)
    report.macs_failing += len(offices) * 2 - len(roster_ok) - len(changes_ok)


async def _resign_routing(db: Database, old: Cipher, new: Cipher, batch: int) -> tuple[int, int]:
    """Re-sign the routing MACs (contact modes, queued recipients, handles) in batches, each its
    own transaction; idempotent, so an interrupted run is finished by the next. Returns
    (re-signed, failing)."""
    signed = failing = 0
    for resign in (resign_case_batch, resign_outbox_batch, resign_handle_batch):
        after = rot.FIRST
        while True:
            async with db.transaction() as tx:
                last, ok, bad = await resign(tx, old, new, after, batch)
            signed, failing = signed + ok, failing + bad
            if last == after:
                break
            after = last
    return signed, failing


async def check_key(db: Database, cipher: Cipher) -> None:
    """Refuse a key the data was not written with (UnknownKeyError) or an unfinished rotation."""
    async with db.reading() as tx:
        if "old_key_id" in await column_names(tx, "key_rotation"):
            running = await rot.journal(tx)
            if running is not None:
                raise RotationInterrupted(
                    f"a key rotation from key {running[0]} to key {running[1]} did not finish; "
                    "run `ppa-bot rotate-key` again with the same new key before starting the bot"
                )
        if "details_enc" not in await column_names(tx, "cases"):
            return
        latest = await latest_case_secret(tx)  # one row, however many cases
    if latest is not None:
        number, details_enc = latest
        try:
            cipher.decrypt(details_enc, context=b"case:" + number.encode())
        except UnknownKeyError:
            raise
        except ValueError:  # same key, one damaged value: not a reason to refuse to start
            log.warning("case %s: stored details fail authentication", number)


async def rotate_key(
    db: Database,
    old_key: str,
    new_key: str,
    *,
    at: datetime,
    actor: str = "admin:cli",
    batch: int = BATCH,
    evidence_dir: Path | None = None,
) -> RotationReport:
    """Re-encrypt everything under ``new_key`` in batches (see the module's note on crashes)."""
    old = Cipher(old_key)
    cipher = Cipher(new_key, old_keys=(old_key,))
    if old.key_id == cipher.key_id:
        raise RotationError("the new key is the same as the current key")
    report = RotationReport(old_key_id=old.key_id, new_key_id=cipher.key_id)
    async with db.transaction() as tx:
        columns = await _check_schema(tx)
        running = await rot.journal(tx)
        if running is not None and running != (old.key_id, cipher.key_id):
            raise RotationError(
                f"another rotation ({running[0]} -> {running[1]}) did not finish; "
                "finish it with its own keys first"
            )
        report.resumed = running is not None
        if running is None:
            await rot.start_journal(tx, old.key_id, cipher.key_id, at)

    for table, column in columns:

        async def recrypt(
            tx: Tx, row: tuple[int, bytes, bytes], t: str = table, c: str = column
        ) -> bool:
            key, blob, context = row
            if cipher.key_id_of(blob) == cipher.key_id:
                return False  # done by an earlier, interrupted run
            try:
                plain = cipher.decrypt(blob, context=context)
            except ValueError as exc:
                raise RotationInterrupted(f"a stored value cannot be decrypted ({exc})") from None
            await rot.set_value(tx, t, c, key, cipher.encrypt(plain, context=context))
            return True

        report.values[f"{table}.{column}"] = await _batches(
            db,
            functools.partial(_value_rows, table, column),
            recrypt,
            1 if (table, column) in FILE_COLUMNS else batch,
        )
    files = EvidenceFiles(evidence_dir or default_folder(db.path), cipher)
    report.files, report.files_failing = await recrypt_files(db, files, batch)
    report.indexes = await _reindex(db, cipher, batch)
    routing = await _resign_routing(db, old, cipher, batch)
    async with db.transaction() as tx:
        await _resign(tx, old, Cipher(new_key), report)
        report.macs += routing[0]
        report.macs_failing += routing[1]
        await append_audit(
            tx,
            at=at,
            actor=actor,
            action="rotate_key",
            detail=f"{report.old_key_id}->{report.new_key_id} values={report.total}"
            f" files={report.files}" + (" resumed" if report.resumed else ""),
        )
        await rot.end_journal(tx)
    await sweep_after_rotation(db, files)  # files left by an interrupted earlier run
    # old ciphertexts must not linger in the WAL or in free pages
    for statement, reason in await db.scrub():  # secure_delete already zeroed old cells
        log.warning("after rotation, %s was skipped: %s", statement, reason)
    log.info(
        "key rotated: %s -> %s (%d values)", report.old_key_id, report.new_key_id, report.total
    )
    return report
