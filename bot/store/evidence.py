"""Evidence rows: a file's reference in the encrypted file store, its size, type and digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.db import Tx
from bot.store.evidence_files import StoredFile

__all__ = [
    "EvidenceRow",
    "add_file",
    "case_refs",
    "evidence_row",
    "evidence_rows",
    "file_batch",
    "legacy_batch",
    "legacy_blob",
    "referenced",
    "set_file",
]


@dataclass(frozen=True)
class EvidenceRow:
    """One evidence file of a case (no content: that is in the file store)."""

    id: int
    case_id: int
    kind: str
    mime: str
    size: int
    created_at: str
    file_ref: str | None
    digest: str | None


_COLUMNS = "id, case_id, kind, mime, size, created_at, file_ref, digest"


def _row(r: tuple[object, ...]) -> EvidenceRow:
    return EvidenceRow(
        int(r[0]),  # type: ignore[call-overload]
        int(r[1]),  # type: ignore[call-overload]
        str(r[2]),
        str(r[3]),
        int(r[4]),  # type: ignore[call-overload]
        str(r[5]),
        None if r[6] is None else str(r[6]),
        None if r[7] is None else str(r[7]),
    )


async def add_file(
    conn: Tx,
    case_id: int,
    kind: str,
    mime: str,
    stored: StoredFile,
    at: datetime,
    item_no: int | None = None,
) -> bool:
    """Record a stored file as a case's evidence; False when the case already has this
    ``item_no`` (a replay: the caller removes the file it wrote)."""
    cur = await conn.execute(
        "INSERT OR IGNORE INTO evidence (case_id, kind, mime, size, created_at, item_no,"
        " file_ref, digest) VALUES (?,?,?,?,?,?,?,?)",
        (case_id, kind, mime, stored.size, at.isoformat(), item_no, stored.ref, stored.digest),
    )
    return cur.rowcount == 1


async def evidence_rows(conn: Tx, case_id: int) -> list[EvidenceRow]:
    """A case's evidence files, in the order they were received."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM evidence WHERE case_id = ? ORDER BY id", (case_id,)
    ) as cur:
        return [_row(tuple(r)) for r in await cur.fetchall()]


async def evidence_row(conn: Tx, evidence_id: int) -> EvidenceRow | None:
    """One evidence row by id."""
    async with conn.execute(f"SELECT {_COLUMNS} FROM evidence WHERE id = ?", (evidence_id,)) as c:
        row = await c.fetchone()
    return None if row is None else _row(tuple(row))


async def case_refs(conn: Tx, case_id: int) -> list[str]:
    """The file references of a case's evidence (to delete the files once the rows are)."""
    async with conn.execute(
        "SELECT file_ref FROM evidence WHERE case_id = ? AND file_ref IS NOT NULL ORDER BY id",
        (case_id,),
    ) as cur:
        return [str(r[0]) for r in await cur.fetchall()]


async def referenced(conn: Tx) -> set[str]:
    """Every file reference the database holds."""
    async with conn.execute("SELECT file_ref FROM evidence WHERE file_ref IS NOT NULL") as cur:
        return {str(r[0]) for r in await cur.fetchall()}


async def file_batch(conn: Tx, after: int, limit: int) -> list[tuple[int, int, str, str]]:
    """(id, case id, file reference, digest) of the next rows whose evidence is in the file
    store."""
    async with conn.execute(
        "SELECT id, case_id, file_ref, digest FROM evidence WHERE id > ? AND file_ref IS NOT NULL"
        " ORDER BY id LIMIT ?",
        (after, limit),
    ) as cur:
        return [(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in await cur.fetchall()]


async def legacy_batch(conn: Tx, after: int, limit: int) -> list[int]:
    """Ids of the next rows whose evidence is still a BLOB in the database."""
    async with conn.execute(
        "SELECT id FROM evidence WHERE id > ? AND content_enc IS NOT NULL ORDER BY id LIMIT ?",
        (after, limit),
    ) as cur:
        return [int(r[0]) for r in await cur.fetchall()]


async def legacy_blob(conn: Tx, evidence_id: int) -> tuple[bytes, str, int] | None:
    """(encrypted BLOB, case number, case id) of a row not moved yet; None once it is moved."""
    async with conn.execute(
        "SELECT e.content_enc, c.number, c.id FROM evidence e JOIN cases c ON c.id = e.case_id"
        " WHERE e.id = ? AND e.content_enc IS NOT NULL",
        (evidence_id,),
    ) as cur:
        row = await cur.fetchone()
    return None if row is None else (bytes(row[0]), str(row[1]), int(row[2]))


async def set_file(
    conn: Tx, evidence_id: int, stored: StoredFile, *, replacing: str | None = None
) -> bool:
    """Point a row at a (new) stored file and drop its BLOB: after a move from the database
    (``replacing`` None: only a row still holding its BLOB) or a re-encryption (only a row
    still pointing at ``replacing``). False when the row changed meanwhile."""
    if replacing is None:
        cur = await conn.execute(
            "UPDATE evidence SET file_ref = ?, digest = ?, size = ?, content_enc = NULL"
            " WHERE id = ? AND content_enc IS NOT NULL",
            (stored.ref, stored.digest, stored.size, evidence_id),
        )
    else:
        cur = await conn.execute(
            "UPDATE evidence SET file_ref = ?, digest = ? WHERE id = ? AND file_ref = ?",
            (stored.ref, stored.digest, evidence_id, replacing),
        )
    return cur.rowcount == 1
