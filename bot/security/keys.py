"""Key rotation: re-encrypt every encrypted column and recompute blind indexes in one go."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import aiosqlite

from bot.crypto import Cipher
from bot.store.audit import append_audit
from bot.store.db import Database

__all__ = [
    "ENCRYPTED_COLUMNS",
    "INDEX_COLUMNS",
    "RotationError",
    "RotationReport",
    "encrypted_columns",
    "rotate_key",
]

log = logging.getLogger(__name__)

# (table, column) -> SQL selecting (rowid, blob, AAD context) for every non-null value
ENCRYPTED_COLUMNS: dict[tuple[str, str], str] = {
    ("cases", "details_enc"): "SELECT id, details_enc, 'case:' || number FROM cases",
    ("cases", "reporter_chat_enc"): (
        "SELECT id, reporter_chat_enc, 'case:' || number || ':chat' FROM cases"
        " WHERE reporter_chat_enc IS NOT NULL"
    ),
    ("evidence", "content_enc"): (
        "SELECT e.id, e.content_enc, 'case:' || c.number || ':evidence'"
        " FROM evidence e JOIN cases c ON c.id = e.case_id"
    ),
    ("inbox", "payload_enc"): (
        "SELECT update_id, payload_enc, 'inbox' FROM inbox WHERE payload_enc IS NOT NULL"
    ),
    ("outbox", "payload_enc"): "SELECT id, payload_enc, 'outbox:' || kind FROM outbox",
    ("user_data", "data_enc"): "SELECT user_id, data_enc, 'user_data' FROM user_data",
    ("chat_data", "data_enc"): "SELECT chat_id, data_enc, 'chat_data' FROM chat_data",
    ("steps", "report_enc"): (
        "SELECT id, report_enc, 'step:' || id || ':report' FROM steps WHERE report_enc IS NOT NULL"
    ),
    ("steps", "file_enc"): (
        "SELECT id, file_enc, 'step:' || id || ':file' FROM steps WHERE file_enc IS NOT NULL"
    ),
    ("mediations", "location_enc"): (
        "SELECT id, location_enc, 'step:' || step_id || ':location' FROM mediations"
    ),
    ("letters", "content_enc"): (
        "SELECT id, content_enc, 'letter:' || case_id || ':' || number FROM letters"
    ),
}

# the primary key column each table's first selected value refers to
_KEY_COLUMN = {
    "cases": "id",
    "evidence": "id",
    "inbox": "update_id",
    "outbox": "id",
    "user_data": "user_id",
    "chat_data": "chat_id",
    "steps": "id",
    "mediations": "id",
    "letters": "id",
}

# blind-index columns this module knows how to recompute
INDEX_COLUMNS = frozenset({("cases", "tracking_index"), ("cases", "reporter_index")})


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


async def _tables(conn: aiosqlite.Connection) -> list[str]:
    async with conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def encrypted_columns(
    conn: aiosqlite.Connection,
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """All (table, column) pairs ending in ``_enc`` and in ``_index`` found in the schema."""
    enc: set[tuple[str, str]] = set()
    idx: set[tuple[str, str]] = set()
    for table in await _tables(conn):
        async with conn.execute(f'PRAGMA table_info("{table}")') as cur:
            for row in await cur.fetchall():
                name = str(row[1])
                if name.endswith("_enc"):
                    enc.add((table, name))
                elif name.endswith("_index"):
                    idx.add((table, name))
    return enc, idx


async def _check_schema(conn: aiosqlite.Connection) -> list[tuple[str, str]]:
    enc, idx = await encrypted_columns(conn)
    unknown = sorted((enc - set(ENCRYPTED_COLUMNS)) | (idx - INDEX_COLUMNS))
    if unknown:
        names = ", ".join(f"{t}.{c}" for t, c in unknown)
        raise RotationError(
            f"rotate-key does not know how to re-encrypt {names}; "
            "add it to bot/security/keys.py before rotating"
        )
    return sorted(enc)


async def _rewrite_column(
    conn: aiosqlite.Connection,
    table: str,
    column: str,
    recrypt: Callable[[bytes, bytes], bytes],
) -> int:
    async with conn.execute(ENCRYPTED_COLUMNS[(table, column)]) as cur:
        rows = [(r[0], bytes(r[1]), str(r[2]).encode()) for r in await cur.fetchall()]
    key = _KEY_COLUMN[table]
    for ident, blob, context in rows:
        await conn.execute(
            f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (recrypt(blob, context), ident)
        )
    return len(rows)


async def _reindex(conn: aiosqlite.Connection, cipher: Cipher) -> int:
    async with conn.execute("SELECT id, number, details_enc, reporter_chat_enc FROM cases") as cur:
        rows = list(await cur.fetchall())
    for r in rows:
        number = str(r[1])
        details = cipher.decrypt_json(bytes(r[2]), context=b"case:" + number.encode())
        if not isinstance(details, dict) or not isinstance(details.get("tracking_code"), str):
            raise RotationError(f"case {number} has no tracking code in its details")
        reporter_index = None
        if r[3] is not None:
            chat = cipher.decrypt_json(bytes(r[3]), context=f"case:{number}:chat".encode())
            reporter_index = cipher.blind_index("chat", str(int(chat)))
        await conn.execute(
            "UPDATE cases SET tracking_index = ?, reporter_index = ? WHERE id = ?",
            (cipher.blind_index("tracking", details["tracking_code"]), reporter_index, r[0]),
        )
    return len(rows)


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
            report.values[f"{table}.{column}"] = await _rewrite_column(conn, table, column, recrypt)
        report.indexes = await _reindex(conn, cipher)
        await append_audit(
            conn,
            at=at,
            actor=actor,
            action="rotate_key",
            detail=f"{report.old_key_id}->{report.new_key_id} values={report.total}",
        )
    # old ciphertexts must not linger in the WAL or in free pages
    async with db.reading() as conn:
        for statement in ("PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM"):
            try:
                async with conn.execute(statement) as cur:
                    await cur.fetchall()
            except sqlite3.OperationalError as exc:  # secure_delete already zeroed old cells
                log.warning("after rotation, %s was skipped: %s", statement, exc)
    log.info(
        "key rotated: %s -> %s (%d values)", report.old_key_id, report.new_key_id, report.total
    )
    return report
