"""Every encrypted column and blind index, and the SQL that rewrites them under a new key."""

from __future__ import annotations

from collections.abc import Callable

from bot.store.db import Tx
from bot.store.schema import column_names, table_names

__all__ = [
    "ENCRYPTED_COLUMNS",
    "INDEX_COLUMNS",
    "KEY_COLUMN",
    "case_secrets",
    "encrypted_columns",
    "keyed_columns",
    "latest_case_secret",
    "rewrite_column",
    "set_case_indexes",
]

# (table, column) -> SQL selecting (key, blob, AAD context) for every non-null value
ENCRYPTED_COLUMNS: dict[tuple[str, str], str] = {
    ("cases", "details_enc"): "SELECT id, details_enc, 'case:' || number FROM cases",
    ("cases", "reporter_chat_enc"): (
        "SELECT id, reporter_chat_enc, 'case:' || number || ':chat' FROM cases"
        " WHERE reporter_chat_enc IS NOT NULL"
    ),
    ("evidence", "content_enc"): (
        "SELECT e.id, e.content_enc, 'case:' || c.number || ':evidence'"
        " FROM evidence e JOIN cases c ON c.id = e.case_id WHERE e.content_enc IS NOT NULL"
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
    ("rights_requests", "detail_enc"): (
        "SELECT id, detail_enc, 'rights:' || case_number FROM rights_requests"
        " WHERE detail_enc IS NOT NULL"
    ),
    ("letters", "content_enc"): (
        "SELECT id, content_enc, 'letter:' || case_id || ':' || number FROM letters"
    ),
    ("state_data", "key_enc"): "SELECT id, key_enc, 'state-key:' || kind FROM state_data",
    ("state_data", "data_enc"): "SELECT id, data_enc, kind FROM state_data",
    ("state_conversations", "key_enc"): (
        "SELECT id, key_enc, 'state-key:' || name FROM state_conversations"
    ),
    ("person_handles", "address_enc"): (
        "SELECT id, address_enc, 'person-handle:' || channel FROM person_handles"
    ),
    ("outreach", "details_enc"): (
        "SELECT id, details_enc, 'outreach:' || id FROM outreach WHERE details_enc IS NOT NULL"
    ),
    ("referrals", "facts_enc"): "SELECT id, facts_enc, 'referral:' || id FROM referrals",
    ("shelter_stays", "plan_enc"): (
        "SELECT id, plan_enc, 'shelter:' || id FROM shelter_stays WHERE plan_enc IS NOT NULL"
    ),
    ("referral_dates", "place_enc"): (
        "SELECT id, place_enc, 'referral_date:' || id FROM referral_dates"
    ),
    ("wa_inbox", "payload_enc"): (
        "SELECT id, payload_enc, 'wa_inbox' FROM wa_inbox WHERE payload_enc IS NOT NULL"
    ),
    ("wa_sessions", "state_enc"): (
        "SELECT person_id, state_enc, 'wa_session' FROM wa_sessions WHERE state_enc IS NOT NULL"
    ),
}

# the primary key column each table's first selected value refers to
KEY_COLUMN = {
    "cases": "id",
    "evidence": "id",
    "inbox": "update_id",
    "outbox": "id",
    "user_data": "user_id",
    "chat_data": "chat_id",
    "steps": "id",
    "mediations": "id",
    "letters": "id",
    "person_handles": "id",
    "state_data": "id",
    "state_conversations": "id",
    "rights_requests": "id",
    "outreach": "id",
    "referrals": "id",
    "referral_dates": "id",
    "shelter_stays": "id",
    "wa_inbox": "id",
    "wa_sessions": "person_id",
}

# blind-index columns rewritten after a rotation (``set_case_indexes``, PersonStore.reindex)
INDEX_COLUMNS = frozenset(
    {
        ("cases", "tracking_index"),
        ("cases", "reporter_index"),
        ("person_handles", "address_index"),
        ("state_data", "key_index"),
        ("state_conversations", "key_index"),
    }
)


async def encrypted_columns(tx: Tx) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """All (table, column) pairs ending in ``_enc`` and in ``_index`` found in the schema."""
    enc, idx, _ = await keyed_columns(tx)
    return enc, idx


async def keyed_columns(
    tx: Tx,
) -> tuple[set[tuple[str, str]], set[tuple[str, str]], set[tuple[str, str]]]:
    """All (table, column) pairs ending in ``_enc``, ``_index`` and ``_mac`` in the schema."""
    enc: set[tuple[str, str]] = set()
    idx: set[tuple[str, str]] = set()
    mac: set[tuple[str, str]] = set()
    for table in await table_names(tx):
        for name in await column_names(tx, table):
            if name.endswith("_enc"):
                enc.add((table, name))
            elif name.endswith("_index"):
                idx.add((table, name))
            elif name.endswith("_mac"):
                mac.add((table, name))
    return enc, idx, mac


async def rewrite_column(
    tx: Tx, table: str, column: str, recrypt: Callable[[bytes, bytes], bytes]
) -> int:
    """Replace every value of a known encrypted column by ``recrypt(blob, context)``."""
    async with tx.execute(ENCRYPTED_COLUMNS[(table, column)]) as cur:
        rows = [(r[0], bytes(r[1]), str(r[2]).encode()) for r in await cur.fetchall()]
    key = KEY_COLUMN[table]
    for ident, blob, context in rows:
        await tx.execute(
            f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (recrypt(blob, context), ident)
        )
    return len(rows)


async def case_secrets(tx: Tx) -> list[tuple[int, str, bytes, bytes | None]]:
    """(id, number, encrypted details, encrypted reporter chat) of every case."""
    async with tx.execute("SELECT id, number, details_enc, reporter_chat_enc FROM cases") as cur:
        rows = await cur.fetchall()
    return [
        (int(r[0]), str(r[1]), bytes(r[2]), bytes(r[3]) if r[3] is not None else None) for r in rows
    ]


async def latest_case_secret(tx: Tx) -> tuple[str, bytes] | None:
    """(number, encrypted details) of the newest case (one row: the start-up key check)."""
    sql = "SELECT number, details_enc FROM cases ORDER BY id DESC LIMIT 1"
    async with tx.execute(sql) as cur:
        row = await cur.fetchone()
    return None if row is None else (str(row[0]), bytes(row[1]))


async def set_case_indexes(
    tx: Tx, case_id: int, tracking_index: str, reporter_index: str | None
) -> None:
    """Store a case's recomputed blind indexes."""
    await tx.execute(
        "UPDATE cases SET tracking_index = ?, reporter_index = ? WHERE id = ?",
        (tracking_index, reporter_index, case_id),
    )
