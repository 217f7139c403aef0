"""Key rotation: re-encrypt every encrypted column and recompute blind indexes in one go."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.crypto import Cipher, UnknownKeyError
from bot.domain.identity import Handle
from bot.store import Database, Tx
from bot.store.audit import append_audit
from bot.store.cases import reporter_index as reporter_index_of
from bot.store.conversations import StateStore
from bot.store.encrypted import (
    ENCRYPTED_COLUMNS,
    INDEX_COLUMNS,
    case_secrets,
    encrypted_columns,
    rewrite_column,
    set_case_indexes,
)
from bot.store.persons import PersonStore
from bot.store.schema import column_names

__all__ = ["RotationError", "RotationReport", "check_key", "rotate_key"]

log = logging.getLogger(__name__)


class RotationError(RuntimeError):
    """Rotation cannot proceed safely; nothing was changed."""


@dataclass
class RotationReport:
    """What a rotation did (counts only: no personal data)."""

    old_key_id: str
    new_key_id: str
    values: dict[str, int] = field(default_factory=dict)
    indexes: int = 0

    @property
    def total(self) -> int:
        """Number of encrypted values rewritten."""
        return sum(self.values.values())


async def _check_schema(tx: Tx) -> list[tuple[str, str]]:
    enc, idx = await encrypted_columns(tx)
    unknown = sorted((enc - set(ENCRYPTED_COLUMNS)) | (idx - INDEX_COLUMNS))
    if unknown:
        names = ", ".join(f"{t}.{c}" for t, c in unknown)
        raise RotationError(
            f"rotate-key does not know how to re-encrypt {names}; "
            "add it to bot/store/encrypted.py before rotating"
        )
    return sorted(enc)


async def _reindex(tx: Tx, cipher: Cipher) -> int:
    rows = await case_secrets(tx)
    for case_id, number, details_enc, chat_enc in rows:
        details = cipher.decrypt_json(details_enc, context=b"case:" + number.encode())
        if not isinstance(details, dict) or not isinstance(details.get("tracking_code"), str):
            raise RotationError(f"case {number} has no tracking code in its details")
        reporter_index: str | None = None
        if chat_enc is not None:
            chat = cipher.decrypt_json(chat_enc, context=f"case:{number}:chat".encode())
            reporter_index = reporter_index_of(cipher, Handle.from_json(chat))
        tracking_index = cipher.blind_index("tracking", details["tracking_code"])
        await set_case_indexes(tx, case_id, tracking_index, reporter_index)
    await PersonStore(cipher).reindex(tx)
    await StateStore(cipher).reindex(tx)
    return len(rows)


async def check_key(db: Database, cipher: Cipher) -> None:
    """Decrypt one stored case: UnknownKeyError when the data was written under another key."""
    async with db.reading() as tx:
        if "details_enc" not in await column_names(tx, "cases"):
            return
        rows = await case_secrets(tx)
    if rows:
        _, number, details_enc, _ = rows[-1]
        try:
            cipher.decrypt(details_enc, context=b"case:" + number.encode())
        except UnknownKeyError:
            raise
        except ValueError:  # same key, one damaged value: not a reason to refuse to start
            log.warning("case %s: stored details fail authentication", number)


async def rotate_key(
    db: Database, old_key: str, new_key: str, *, at: datetime, actor: str = "admin:cli"
) -> RotationReport:
    """Re-encrypt everything under ``new_key`` (reading old or new), in one transaction."""
    old = Cipher(old_key)
    cipher = Cipher(new_key, old_keys=(old_key,))
    if old.key_id == cipher.key_id:
        raise RotationError("the new key is the same as the current key")
    report = RotationReport(old_key_id=old.key_id, new_key_id=cipher.key_id)

    def recrypt(blob: bytes, context: bytes) -> bytes:
        try:
            plain = cipher.decrypt(blob, context=context)
        except ValueError as exc:
            raise RotationError(f"a stored value cannot be decrypted ({exc})") from None
        return cipher.encrypt(plain, context=context)

    async with db.transaction() as conn:
        columns = await _check_schema(conn)
        for table, column in columns:
            report.values[f"{table}.{column}"] = await rewrite_column(conn, table, column, recrypt)
        report.indexes = await _reindex(conn, cipher)
        await append_audit(
            conn,
            at=at,
            actor=actor,
            action="rotate_key",
            detail=f"{report.old_key_id}->{report.new_key_id} values={report.total}",
        )
    # old ciphertexts must not linger in the WAL or in free pages
    for statement, reason in await db.scrub():  # secure_delete already zeroed old cells
        log.warning("after rotation, %s was skipped: %s", statement, reason)
    log.info(
        "key rotated: %s -> %s (%d values)", report.old_key_id, report.new_key_id, report.total
    )
    return report
