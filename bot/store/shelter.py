"""Shelter repository: stays in an office's temporary shelter (rumah aman)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.crypto import Cipher
from bot.store.db import Row, Tx
from bot.store.rows import fetch_all, insert_returning_id, iso, parse_dt

__all__ = ["ShelterStay", "ShelterStore"]


@dataclass(frozen=True)
class ShelterStay:
    """One stay (the plans are read separately: they are encrypted)."""

    id: int
    case_id: int
    office_id: str
    status: str
    admitted_at: datetime
    ends_at: datetime
    decided_by: int
    discharged_at: datetime | None


def _stay(r: Row) -> ShelterStay:
    return ShelterStay(
        id=int(r["id"]), case_id=int(r["case_id"]), office_id=str(r["office_id"]),
        status=str(r["status"]), admitted_at=datetime.fromisoformat(r["admitted_at"]),
        ends_at=datetime.fromisoformat(r["ends_at"]), decided_by=int(r["decided_by"]),
        discharged_at=parse_dt(r["discharged_at"]),
    )  # fmt: skip


_COLS = "id, case_id, office_id, status, admitted_at, ends_at, decided_by, discharged_at"


class ShelterStore:
    """SQL of shelter stays; writes take the caller's transaction."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher

    async def occupied(self, conn: Tx, office_id: str) -> int:
        """How many are staying in an office's shelter now."""
        sql = "SELECT COUNT(*) AS n FROM shelter_stays WHERE office_id = ? AND status = 'in'"
        return int((await fetch_all(conn, sql, (office_id,)))[0]["n"])

    async def current(self, conn: Tx, case_id: int) -> ShelterStay | None:
        """The case's stay in progress (None if none)."""
        sql = f"SELECT {_COLS} FROM shelter_stays WHERE case_id = ? AND status = 'in'"
        rows = await fetch_all(conn, sql, (case_id,))
        return _stay(rows[0]) if rows else None

    async def get(self, conn: Tx, stay_id: int) -> ShelterStay | None:
        """One stay."""
        rows = await fetch_all(conn, f"SELECT {_COLS} FROM shelter_stays WHERE id = ?", (stay_id,))
        return _stay(rows[0]) if rows else None

    async def admit(
        self, conn: Tx, *, case_id: int, office_id: str, at: datetime, ends_at: datetime,
        decided_by: int, plan: dict[str, Any],
    ) -> int:  # fmt: skip
        """Record an admission; its id."""
        sid = await insert_returning_id(
            conn,
            "INSERT INTO shelter_stays (case_id, office_id, admitted_at, ends_at, decided_by)"
            " VALUES (?,?,?,?,?)",
            (case_id, office_id, iso(at), iso(ends_at), decided_by),
        )
        blob = self.cipher.encrypt_json(plan, context=f"shelter:{sid}".encode())
        await conn.execute("UPDATE shelter_stays SET plan_enc = ? WHERE id = ?", (blob, sid))
        return sid

    async def plan(self, conn: Tx, stay_id: int) -> dict[str, Any]:
        """The stay's plans (safety, discharge, extensions), decrypted."""
        rows = await fetch_all(conn, "SELECT plan_enc FROM shelter_stays WHERE id = ?", (stay_id,))
        if not rows or not rows[0]["plan_enc"]:
            return {}
        data = self.cipher.decrypt_json(rows[0]["plan_enc"], context=f"shelter:{stay_id}".encode())
        return dict(data) if isinstance(data, dict) else {}

    async def save_plan(self, conn: Tx, stay_id: int, plan: dict[str, Any]) -> None:
        """Replace the stay's plans (encrypted)."""
        blob = self.cipher.encrypt_json(plan, context=f"shelter:{stay_id}".encode())
        await conn.execute("UPDATE shelter_stays SET plan_enc = ? WHERE id = ?", (blob, stay_id))

    async def extend(self, conn: Tx, stay_id: int, ends_at: datetime) -> bool:
        """A stay in progress now ends later (False if it has ended)."""
        cur = await conn.execute(
            "UPDATE shelter_stays SET ends_at = ? WHERE id = ? AND status = 'in'",
            (iso(ends_at), stay_id),
        )
        return cur.rowcount == 1

    async def check_in(self, conn: Tx, stay_id: int, at: datetime) -> bool:
        """Record the daily check-in of a stay in progress."""
        cur = await conn.execute(
            "UPDATE shelter_stays SET checked_in_at = ? WHERE id = ? AND status = 'in'",
            (iso(at), stay_id),
        )
        return cur.rowcount == 1

    async def staying(self, conn: Tx, office_id: str) -> list[ShelterStay]:
        """An office's stays in progress, of cases not closed."""
        sql = (
            f"SELECT {', '.join('s.' + c.strip() for c in _COLS.split(','))}"
            " FROM shelter_stays s JOIN cases c ON c.id = s.case_id"
            " WHERE s.office_id = ? AND s.status = 'in' AND c.status != 'closed' ORDER BY s.id"
        )
        return [_stay(r) for r in await fetch_all(conn, sql, (office_id,))]

    async def of_case(self, conn: Tx, case_id: int) -> list[ShelterStay]:
        """A case's stays, oldest first."""
        sql = f"SELECT {_COLS} FROM shelter_stays WHERE case_id = ? ORDER BY id"
        return [_stay(r) for r in await fetch_all(conn, sql, (case_id,))]

    async def discharge(self, conn: Tx, stay_id: int, at: datetime) -> bool:
        """End a stay (False if it had ended)."""
        cur = await conn.execute(
            "UPDATE shelter_stays SET status = 'discharged', discharged_at = ?"
            " WHERE id = ? AND status = 'in'",
            (iso(at), stay_id),
        )
        return cur.rowcount == 1

    async def ending(self, conn: Tx, office_id: str, until: datetime) -> list[ShelterStay]:
        """An office's stays in progress that end before ``until``, of cases not closed."""
        sql = (
            f"SELECT {', '.join('s.' + c.strip() for c in _COLS.split(','))}"
            " FROM shelter_stays s JOIN cases c ON c.id = s.case_id"
            " WHERE s.office_id = ? AND s.status = 'in' AND c.status != 'closed'"
            " AND julianday(s.ends_at) <= julianday(?) ORDER BY s.ends_at, s.id"
        )
        return [_stay(r) for r in await fetch_all(conn, sql, (office_id, iso(until)))]
