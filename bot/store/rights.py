"""SQL of data subjects' requests (see, correct, delete by tracking code) and their holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.crypto import Cipher
from bot.store.db import Row, Tx
from bot.store.rows import iso

__all__ = ["RightsRequest", "RightsStore", "forget_case"]


@dataclass(frozen=True)
class RightsRequest:
    """A request as stored (its encrypted detail apart)."""

    id: int
    case_id: int
    case_number: str
    office_id: str
    kind: str
    status: str
    requested_at: datetime
    due_at: datetime
    hold: str | None
    answered_at: datetime | None
    answered_by: str | None
    answer: str | None

    @classmethod
    def from_row(cls, r: Row) -> RightsRequest:
        """Build from a ``rights_requests`` row."""
        return cls(
            id=int(r["id"]),
            case_id=int(r["subject_case"]),
            case_number=str(r["case_number"]),
            office_id=str(r["office_id"]),
            kind=str(r["kind"]),
            status=str(r["status"]),
            requested_at=datetime.fromisoformat(r["requested_at"]),
            due_at=datetime.fromisoformat(r["due_at"]),
            hold=r["hold"],
            answered_at=datetime.fromisoformat(r["answered_at"]) if r["answered_at"] else None,
            answered_by=r["answered_by"],
            answer=r["answer"],
        )


_COLUMNS = (
    "id, subject_case, case_number, office_id, kind, status, requested_at, due_at, hold,"
    " answered_at, answered_by, answer"
)


class RightsStore:
    """Reads and writes requests; writes take the caller's transaction."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher

    @staticmethod
    def _ctx(number: str) -> bytes:
        return b"rights:" + number.encode()

    async def add(
        self, conn: Tx, *, case_id: int, number: str, office_id: str, kind: str,
        at: datetime, due_at: datetime, hold: str | None, detail: dict[str, Any],
    ) -> int:  # fmt: skip
        """Record a request; ``detail`` (a correction's text, where to answer) is encrypted."""
        cur = await conn.execute(
            "INSERT INTO rights_requests (subject_case, case_number, office_id, kind,"
            " requested_at, due_at, hold, detail_enc) VALUES (?,?,?,?,?,?,?,?)",
            (case_id, number, office_id, kind, iso(at), iso(due_at), hold,
             self.cipher.encrypt_json(detail, context=self._ctx(number))),
        )  # fmt: skip
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def get(self, conn: Tx, request_id: int) -> RightsRequest | None:
        """A request by id."""
        sql = f"SELECT {_COLUMNS} FROM rights_requests WHERE id = ?"
        async with conn.execute(sql, (request_id,)) as cur:
            row = await cur.fetchone()
        return RightsRequest.from_row(row) if row else None

    async def detail(self, conn: Tx, request_id: int) -> dict[str, Any]:
        """The decrypted detail of a request ({} once answered)."""
        sql = "SELECT case_number, detail_enc FROM rights_requests WHERE id = ?"
        async with conn.execute(sql, (request_id,)) as cur:
            row = await cur.fetchone()
        if row is None or row["detail_enc"] is None:
            return {}
        value = self.cipher.decrypt_json(row["detail_enc"], context=self._ctx(row["case_number"]))
        return value if isinstance(value, dict) else {}

    async def open_of_case(self, conn: Tx, case_id: int, kind: str | None = None) -> list[int]:
        """Ids of a case's open requests (of one kind)."""
        sql = "SELECT id FROM rights_requests WHERE subject_case = ? AND status = 'open'"
        params: tuple[Any, ...] = (case_id,)
        if kind is not None:
            sql, params = sql + " AND kind = ?", (case_id, kind)
        async with conn.execute(sql + " ORDER BY id", params) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def of_case(self, conn: Tx, case_id: int) -> list[RightsRequest]:
        """Every request about a case, oldest first."""
        sql = f"SELECT {_COLUMNS} FROM rights_requests WHERE subject_case = ? ORDER BY id"
        async with conn.execute(sql, (case_id,)) as cur:
            return [RightsRequest.from_row(r) for r in await cur.fetchall()]

    async def answer(
        self, conn: Tx, request_id: int, *, status: str, answer: str, by: str, at: datetime
    ) -> bool:
        """Close an open request and drop its encrypted detail; False if it was not open."""
        cur = await conn.execute(
            "UPDATE rights_requests SET status = ?, answer = ?, answered_by = ?,"
            " answered_at = ?, detail_enc = NULL WHERE id = ? AND status = 'open'",
            (status, answer, by, iso(at), request_id),
        )
        return cur.rowcount == 1

    async def open_due(self, conn: Tx, now: datetime) -> list[RightsRequest]:
        """Open requests of cases that still exist, oldest deadline first (for the sweep)."""
        sql = (
            f"SELECT {', '.join('r.' + c.strip() for c in _COLUMNS.split(','))}"
            " FROM rights_requests r JOIN cases c ON c.id = r.subject_case"
            " WHERE r.status = 'open' AND julianday(r.requested_at) <= julianday(?)"
            " ORDER BY r.due_at, r.id"
        )
        async with conn.execute(sql, (iso(now),)) as cur:
            return [RightsRequest.from_row(r) for r in await cur.fetchall()]

    async def open_step_keys(self, conn: Tx, case_id: int) -> list[str]:
        """Keys of a case's open SOP steps (some are legal holds)."""
        sql = "SELECT step_key FROM steps WHERE case_id = ? AND status = 'open' ORDER BY id"
        async with conn.execute(sql, (case_id,)) as cur:
            return [str(r[0]) for r in await cur.fetchall()]


async def forget_case(conn: Tx, case_id: int, *, by: str, at: datetime) -> int:
    """A case is gone (purged): close its open requests and drop every request's text."""
    cur = await conn.execute(
        "UPDATE rights_requests SET status = 'done', answer = 'purged', answered_by = ?,"
        " answered_at = ? WHERE subject_case = ? AND status = 'open'",
        (by, iso(at), case_id),
    )
    await conn.execute(
        "UPDATE rights_requests SET detail_enc = NULL WHERE subject_case = ?", (case_id,)
    )
    return cur.rowcount
