"""Mediation repository: the parties of a case's mediation and its scheduled sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.crypto import Cipher
from bot.store.db import Row, Tx
from bot.store.rows import fetch_all as _all
from bot.store.rows import insert_returning_id as _insert
from bot.store.rows import iso
from bot.store.rows import step_context as _ctx

__all__ = ["MediationRow", "MediationStore", "Party"]


@dataclass(frozen=True)
class Party:
    """A party to a mediation, with the facts the safeguarding rules need."""

    id: int
    case_id: int
    role: str
    is_child: bool
    has_special_needs: bool
    guardian_present: bool
    special_companion_present: bool
    # the child's parent / guardian / companion at the mediation is the reported party
    guardian_is_terlapor: bool = False


@dataclass(frozen=True)
class MediationRow:
    """A scheduled mediation session (location kept encrypted)."""

    id: int
    case_id: int
    step_id: int
    scheduled_at: datetime
    created_by: int
    created_at: datetime
    status: str


def _mediation(r: Row) -> MediationRow:
    return MediationRow(r["id"], r["case_id"], r["step_id"],
                        datetime.fromisoformat(r["scheduled_at"]), r["created_by"],
                        datetime.fromisoformat(r["created_at"]), r["status"])  # fmt: skip


def _party(r: Row) -> Party:
    return Party(
        id=r["id"], case_id=r["case_id"], role=r["role"], is_child=bool(r["is_child"]),
        has_special_needs=bool(r["has_special_needs"]),
        guardian_present=bool(r["guardian_present"]),
        special_companion_present=bool(r["special_companion_present"]),
        guardian_is_terlapor=bool(r["guardian_is_terlapor"]),
    )  # fmt: skip


class MediationStore:
    """SQL for mediation parties and sessions; writes take the caller's transaction connection."""

    cipher: Cipher

    async def save_party(
        self, conn: Tx, case_id: int, party_id: int | None, role: str, *,
        is_child: bool, has_special_needs: bool, guardian_present: bool,
        special_companion_present: bool, guardian_is_terlapor: bool = False,
    ) -> int | None:  # fmt: skip
        """Insert a party (party_id None) or change one of that case; its id, None if missing."""
        flags = (int(is_child), int(has_special_needs), int(guardian_present),
                 int(special_companion_present), int(guardian_is_terlapor))  # fmt: skip
        if party_id is None:
            return await _insert(
                conn,
                "INSERT INTO mediation_parties (case_id, role, is_child, has_special_needs,"
                " guardian_present, special_companion_present, guardian_is_terlapor)"
                " VALUES (?,?,?,?,?,?,?)",
                (case_id, role, *flags),
            )
        cur = await conn.execute(
            "UPDATE mediation_parties SET role = ?, is_child = ?, has_special_needs = ?,"
            " guardian_present = ?, special_companion_present = ?, guardian_is_terlapor = ?"
            " WHERE id = ? AND case_id = ?",
            (role, *flags, party_id, case_id),
        )
        return party_id if cur.rowcount == 1 else None

    async def delete_party(self, conn: Tx, party_id: int, case_id: int) -> bool:
        """Remove a party of that case."""
        sql = "DELETE FROM mediation_parties WHERE id = ? AND case_id = ?"
        return (await conn.execute(sql, (party_id, case_id))).rowcount == 1

    async def parties(self, conn: Tx, case_id: int) -> list[Party]:
        """A case's parties in recording order."""
        sql = "SELECT * FROM mediation_parties WHERE case_id = ? ORDER BY id"
        return [_party(r) for r in await _all(conn, sql, (case_id,))]

    async def insert_mediation(
        self, conn: Tx, *, case_id: int, step_id: int, scheduled_at: datetime,
        location: str, created_by: int, at: datetime,
    ) -> int:  # fmt: skip
        """Schedule a mediation session (location encrypted); returns its id."""
        location_enc = self.cipher.encrypt_json(location, context=_ctx(step_id, "location"))
        return await _insert(
            conn,
            "INSERT INTO mediations (case_id, step_id, scheduled_at, location_enc, created_by,"
            " created_at) VALUES (?,?,?,?,?,?)",
            (case_id, step_id, iso(scheduled_at), location_enc, created_by, iso(at)),
        )

    async def mediations(self, conn: Tx, case_id: int) -> list[MediationRow]:
        """A case's mediation sessions in scheduling order."""
        rows = await _all(
            conn, "SELECT * FROM mediations WHERE case_id = ? ORDER BY id", (case_id,)
        )
        return [_mediation(r) for r in rows]

    async def get_mediation(self, conn: Tx, mediation_id: int) -> MediationRow | None:
        """A session by id."""
        rows = await _all(conn, "SELECT * FROM mediations WHERE id = ?", (mediation_id,))
        return _mediation(rows[0]) if rows else None

    async def instance_session(self, conn: Tx, instance_id: int) -> MediationRow | None:
        """The latest still scheduled session set by a step of that SOP instance."""
        rows = await _all(
            conn,
            "SELECT m.* FROM mediations m JOIN steps s ON s.id = m.step_id"
            " WHERE s.instance_id = ? AND m.status = 'scheduled' ORDER BY m.id DESC LIMIT 1",
            (instance_id,),
        )
        return _mediation(rows[0]) if rows else None

    async def move_mediation(
        self, conn: Tx, mediation_id: int, scheduled_at: datetime,
        location: str | None,
    ) -> bool:  # fmt: skip
        """Move a scheduled session (and, when given, change its place); False if not scheduled."""
        rows = await _all(conn, "SELECT step_id FROM mediations WHERE id = ?", (mediation_id,))
        if not rows:
            return False
        if location is None:
            cur = await conn.execute(
                "UPDATE mediations SET scheduled_at = ? WHERE id = ? AND status = 'scheduled'",
                (iso(scheduled_at), mediation_id),
            )
        else:
            enc = self.cipher.encrypt_json(location, context=_ctx(rows[0]["step_id"], "location"))
            cur = await conn.execute(
                "UPDATE mediations SET scheduled_at = ?, location_enc = ?"
                " WHERE id = ? AND status = 'scheduled'",
                (iso(scheduled_at), enc, mediation_id),
            )
        return cur.rowcount == 1

    async def mediation_location(self, conn: Tx, mediation_id: int) -> str:
        """The decrypted location of a session."""
        sql = "SELECT step_id, location_enc FROM mediations WHERE id = ?"
        rows = await _all(conn, sql, (mediation_id,))
        if not rows:
            raise LookupError(mediation_id)
        ctx = _ctx(rows[0]["step_id"], "location")
        return str(self.cipher.decrypt_json(rows[0]["location_enc"], context=ctx))
