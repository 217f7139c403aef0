"""Append-only audit log, each entry chained to the previous one by a hash."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from bot.store.db import Tx

__all__ = ["GENESIS", "append_audit", "entry_hash", "verify_chain"]

GENESIS = "0" * 64


def entry_hash(
    prev_hash: str, at: str, actor: str, action: str, case_id: int | None, detail: str
) -> str:
    """SHA-256 over the previous hash and this entry's fields."""
    body = json.dumps([prev_hash, at, actor, action, case_id, detail], ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


async def append_audit(
    conn: Tx,
    *,
    at: datetime,
    actor: str,
    action: str,
    case_id: int | None = None,
    detail: str = "",
) -> None:
    """Add an entry inside the caller's transaction (never victim data in ``detail``)."""
    async with conn.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1") as cur:
        row = await cur.fetchone()
    prev = row[0] if row else GENESIS
    when = at.isoformat()
    await conn.execute(
        "INSERT INTO audit_log (at, actor, action, case_id, detail, prev_hash, hash)"
        " VALUES (?,?,?,?,?,?,?)",
        (
            when,
            actor,
            action,
            case_id,
            detail,
            prev,
            entry_hash(prev, when, actor, action, case_id, detail),
        ),
    )


async def verify_chain(conn: Tx) -> tuple[int, int | None]:
    """(entries checked, id of the first broken entry or None)."""
    prev = GENESIS
    count = 0
    async with conn.execute(
        "SELECT id, at, actor, action, case_id, detail, prev_hash, hash FROM audit_log ORDER BY id"
    ) as cur:
        async for r in cur:
            count += 1
            expected = entry_hash(prev, r["at"], r["actor"], r["action"], r["case_id"], r["detail"])
            if r["prev_hash"] != prev or r["hash"] != expected:
                return count, int(r["id"])
            prev = r["hash"]
    return count, None
