"""Referrals repository: a case's referrals, the facts that came back, their dated events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.crypto import Cipher
from bot.store.db import Row, Tx
from bot.store.rows import fetch_all, insert_returning_id, iso, parse_dt

__all__ = ["ReferralDate", "ReferralRow", "ReferralStore"]


@dataclass(frozen=True)
class ReferralRow:
    """One referral (its facts are read separately: they are encrypted)."""

    id: int
    case_id: int
    kind: str
    companion_id: int | None
    status: str
    created_by: int
    created_at: datetime
    reported_at: datetime | None
    protection_due: datetime | None
    protection_requested_at: datetime | None


@dataclass(frozen=True)
class ReferralDate:
    """A dated event of a referral (a hearing, a BAP, a visum); the place is encrypted."""

    id: int
    referral_id: int
    kind: str
    scheduled_at: datetime
    status: str
    case_id: int
    companion_id: int | None


def _referral(r: Row) -> ReferralRow:
    return ReferralRow(
        id=int(r["id"]), case_id=int(r["case_id"]), kind=str(r["kind"]),
        companion_id=r["companion_id"], status=str(r["status"]), created_by=int(r["created_by"]),
        created_at=datetime.fromisoformat(r["created_at"]), reported_at=parse_dt(r["reported_at"]),
        protection_due=parse_dt(r["protection_due"]),
        protection_requested_at=parse_dt(r["protection_requested_at"]),
    )  # fmt: skip


def _date(r: Row) -> ReferralDate:
    return ReferralDate(
        id=int(r["id"]), referral_id=int(r["referral_id"]), kind=str(r["kind"]),
        scheduled_at=datetime.fromisoformat(r["scheduled_at"]), status=str(r["status"]),
        case_id=int(r["case_id"]), companion_id=r["companion_id"],
    )  # fmt: skip


_REF = (
    "id, case_id, kind, companion_id, status, created_by, created_at, reported_at,"
    " protection_due, protection_requested_at"
)
_DATE = (
    "d.id, d.referral_id, d.kind, d.scheduled_at, d.status, r.case_id, r.companion_id"
    " FROM referral_dates d JOIN referrals r ON r.id = d.referral_id"
)


def _facts_context(referral_id: int) -> bytes:
    return f"referral:{referral_id}".encode()


def _place_context(date_id: int) -> bytes:
    return f"referral_date:{date_id}".encode()


class ReferralStore:
    """SQL of referrals and their dates; writes take the caller's transaction."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher

    async def insert(
        self, conn: Tx, *, case_id: int, kind: str, companion_id: int | None, created_by: int,
        at: datetime, facts: dict[str, Any],
    ) -> int:  # fmt: skip
        """A new referral with its first facts (the institution); its id."""
        rid = await insert_returning_id(
            conn,
            "INSERT INTO referrals (case_id, kind, companion_id, created_by, created_at,"
            " updated_at, facts_enc) VALUES (?,?,?,?,?,?,?)",
            (case_id, kind, companion_id, created_by, iso(at), iso(at), b""),
        )
        await self.save_facts(conn, rid, facts)
        return rid

    async def get(self, conn: Tx, referral_id: int) -> ReferralRow | None:
        """One referral."""
        rows = await fetch_all(conn, f"SELECT {_REF} FROM referrals WHERE id = ?", (referral_id,))
        return _referral(rows[0]) if rows else None

    async def of_case(self, conn: Tx, case_id: int) -> list[ReferralRow]:
        """A case's referrals, oldest first."""
        sql = f"SELECT {_REF} FROM referrals WHERE case_id = ? ORDER BY id"
        return [_referral(r) for r in await fetch_all(conn, sql, (case_id,))]

    async def facts(self, conn: Tx, referral_id: int) -> dict[str, Any]:
        """The facts recorded on a referral."""
        rows = await fetch_all(conn, "SELECT facts_enc FROM referrals WHERE id = ?", (referral_id,))
        if not rows or not rows[0]["facts_enc"]:
            return {}
        value = self.cipher.decrypt_json(
            bytes(rows[0]["facts_enc"]), context=_facts_context(referral_id)
        )
        return dict(value) if isinstance(value, dict) else {}

    async def save_facts(self, conn: Tx, referral_id: int, facts: dict[str, Any]) -> None:
        """Replace a referral's facts (encrypted)."""
        blob = self.cipher.encrypt_json(facts, context=_facts_context(referral_id))
        await conn.execute("UPDATE referrals SET facts_enc = ? WHERE id = ?", (blob, referral_id))

    async def touch(self, conn: Tx, referral_id: int, at: datetime) -> None:
        """News came back on a referral (a fact or a date): its follow-up clock starts again."""
        await conn.execute(
            "UPDATE referrals SET updated_at = ? WHERE id = ?", (iso(at), referral_id)
        )

    async def without_news(self, conn: Tx, office_id: str, since: datetime) -> list[ReferralRow]:
        """An office's open referrals with no news since ``since`` (cases not closed)."""
        sql = (
            f"SELECT {', '.join('r.' + c.strip() for c in _REF.split(','))} FROM referrals r"
            " WHERE r.status = 'open' AND julianday(r.updated_at) <= julianday(?)"
            # the case as a look-up per referral: a join let the planner read every case of
            # the office first, at every sweep
            " AND EXISTS (SELECT 1 FROM cases c WHERE c.id = r.case_id AND c.office_id = ?"
            " AND c.status != 'closed') ORDER BY r.updated_at, r.id"
        )
        return [_referral(r) for r in await fetch_all(conn, sql, (iso(since), office_id))]

    async def updated_at(self, conn: Tx, referral_id: int) -> datetime | None:
        """When the last news came back on a referral."""
        rows = await fetch_all(
            conn, "SELECT updated_at FROM referrals WHERE id = ?", (referral_id,)
        )
        return datetime.fromisoformat(rows[0]["updated_at"]) if rows else None

    async def set_reported(
        self, conn: Tx, referral_id: int, reported_at: datetime, protection_due: datetime | None
    ) -> None:
        """When the report to the police was made, and the protection deadline it starts."""
        await conn.execute(
            "UPDATE referrals SET reported_at = ?, protection_due = ? WHERE id = ?",
            (iso(reported_at), iso(protection_due) if protection_due else None, referral_id),
        )

    async def protection_requested(self, conn: Tx, referral_id: int, at: datetime) -> bool:
        """Record that temporary protection was asked of the police (False if already)."""
        cur = await conn.execute(
            "UPDATE referrals SET protection_requested_at = ? WHERE id = ?"
            " AND protection_requested_at IS NULL",
            (iso(at), referral_id),
        )
        return cur.rowcount == 1

    async def protection_overdue(self, conn: Tx, now: datetime) -> list[ReferralRow]:
        """Referrals whose protection deadline passed with no request recorded (open cases)."""
        sql = (
            f"SELECT {', '.join('r.' + c.strip() for c in _REF.split(','))} FROM referrals r"
            " JOIN cases c ON c.id = r.case_id WHERE r.protection_due IS NOT NULL"
            " AND r.protection_requested_at IS NULL AND c.status != 'closed'"
            " AND julianday(r.protection_due) <= julianday(?) ORDER BY r.protection_due, r.id"
        )
        return [_referral(r) for r in await fetch_all(conn, sql, (iso(now),))]

    async def add_date(
        self, conn: Tx, referral_id: int, kind: str, when: datetime, place: str, at: datetime
    ) -> int:
        """A dated event of a referral; its id."""
        did = await insert_returning_id(
            conn,
            "INSERT INTO referral_dates (referral_id, kind, scheduled_at, place_enc, created_at)"
            " VALUES (?,?,?,?,?)",
            (referral_id, kind, iso(when), b"", iso(at)),
        )
        await self._set_place(conn, did, place)
        return did

    async def _set_place(self, conn: Tx, date_id: int, place: str) -> None:
        blob = self.cipher.encrypt_json(place, context=_place_context(date_id))
        await conn.execute("UPDATE referral_dates SET place_enc = ? WHERE id = ?", (blob, date_id))

    async def move_date(self, conn: Tx, date_id: int, when: datetime, place: str | None) -> bool:
        """Move a scheduled event (and its place when given); False if it is not scheduled."""
        cur = await conn.execute(
            "UPDATE referral_dates SET scheduled_at = ? WHERE id = ? AND status = 'scheduled'",
            (iso(when), date_id),
        )
        if cur.rowcount != 1:
            return False
        if place is not None:
            await self._set_place(conn, date_id, place)
        return True

    async def get_date(self, conn: Tx, date_id: int) -> ReferralDate | None:
        """One dated event."""
        rows = await fetch_all(conn, f"SELECT {_DATE} WHERE d.id = ?", (date_id,))
        return _date(rows[0]) if rows else None

    async def place(self, conn: Tx, date_id: int) -> str:
        """Where a dated event takes place."""
        rows = await fetch_all(
            conn, "SELECT place_enc FROM referral_dates WHERE id = ?", (date_id,)
        )
        if not rows or not rows[0]["place_enc"]:
            return ""
        return str(
            self.cipher.decrypt_json(bytes(rows[0]["place_enc"]), context=_place_context(date_id))
        )

    async def dates_of(self, conn: Tx, referral_id: int) -> list[ReferralDate]:
        """A referral's dated events in time order."""
        sql = f"SELECT {_DATE} WHERE d.referral_id = ? ORDER BY d.scheduled_at, d.id"
        return [_date(r) for r in await fetch_all(conn, sql, (referral_id,))]

    async def upcoming(self, conn: Tx, now: datetime) -> list[ReferralDate]:
        """Scheduled events still to come, of cases not closed."""
        sql = (
            f"SELECT {_DATE} JOIN cases c ON c.id = r.case_id WHERE d.status = 'scheduled'"
            " AND c.status != 'closed' AND julianday(d.scheduled_at) > julianday(?)"
            " ORDER BY d.scheduled_at, d.id"
        )
        return [_date(r) for r in await fetch_all(conn, sql, (iso(now),))]

    async def travelled(self, conn: Tx, before: datetime) -> list[ReferralDate]:
        """Travel dates (a return home) at or before ``before``, of cases not closed."""
        sql = (
            f"SELECT {_DATE} JOIN cases c ON c.id = r.case_id WHERE d.kind = 'travel'"
            " AND d.status != 'cancelled' AND c.status != 'closed'"
            " AND julianday(d.scheduled_at) <= julianday(?) ORDER BY d.scheduled_at, d.id"
        )
        return [_date(r) for r in await fetch_all(conn, sql, (iso(before),))]

    async def upcoming_for(self, conn: Tx, person: int, now: datetime) -> list[ReferralDate]:
        """Scheduled events still to come where a person is the companion."""
        return [d for d in await self.upcoming(conn, now) if d.companion_id == person]
