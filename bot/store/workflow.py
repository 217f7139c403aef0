"""Workflow repository: SOP instances, steps and step events (mediation: bot/store/mediation.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.crypto import Cipher
from bot.store.db import Row, Tx
from bot.store.mediation import MediationRow, MediationStore, Party
from bot.store.rows import fetch_all as _all
from bot.store.rows import insert_returning_id as _insert
from bot.store.rows import iso
from bot.store.rows import parse_dt as _dt
from bot.store.rows import step_context as _ctx

__all__ = [
    "InstanceRow",
    "MediationRow",
    "Party",
    "StepEvent",
    "StepOutput",
    "StepRow",
    "WorkflowStore",
    "instance_row",
    "iso",
]


@dataclass(frozen=True)
class InstanceRow:
    """One run of an SOP for a case."""

    id: int
    case_id: int
    sop_key: str
    service: str | None
    status: str
    started_at: datetime
    ended_at: datetime | None
    parent_instance_id: int | None
    parent_step_id: int | None


@dataclass(frozen=True)
class StepRow:
    """One step of an SOP instance (no personal data: the output stays encrypted)."""

    id: int
    instance_id: int
    case_id: int
    office_id: str
    sop_key: str
    step_key: str
    title: str
    roles: tuple[str, ...]
    assignee_user_id: int | None
    status: str
    opened_at: datetime
    due_at: datetime | None
    urgent: bool
    outcome: str | None
    completed_by: int | None
    completed_at: datetime | None
    extended_count: int
    has_report: bool
    has_file: bool


@dataclass(frozen=True)
class StepOutput:
    """A completed step's decrypted output."""

    report: str | None
    file_name: str | None
    file_mime: str | None
    file: bytes | None


@dataclass(frozen=True)
class StepEvent:
    """One change of a step: who, when, what."""

    id: int
    step_id: int
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]


_STEP_SQL = (
    "SELECT s.*, i.sop_key, c.office_id FROM steps s"
    " JOIN sop_instances i ON i.id = s.instance_id JOIN cases c ON c.id = s.case_id"
)
_OPEN = "s.status = 'open' ORDER BY s.due_at, s.id"
# remind_at (migration 0022): when the sweep next looks at a step or an instance. Every
# change that may bring a reminder nearer sets it to "now" (the step's opening time, never
# later than any of its reminders); the sweep then sets the exact next time (or NULL).
_LOOK_AGAIN = "remind_at = CASE WHEN status = 'open' THEN opened_at END"


def _step(r: Row) -> StepRow:
    return StepRow(
        id=r["id"], instance_id=r["instance_id"], case_id=r["case_id"], office_id=r["office_id"],
        sop_key=r["sop_key"], step_key=r["step_key"], title=r["title"],
        roles=tuple(x for x in r["role"].split(",") if x),
        assignee_user_id=r["assignee_user_id"], status=r["status"],
        opened_at=datetime.fromisoformat(r["opened_at"]), due_at=_dt(r["due_at"]),
        urgent=bool(r["urgent"]), outcome=r["outcome"], completed_by=r["completed_by"],
        completed_at=_dt(r["completed_at"]), extended_count=r["extended_count"],
        has_report=r["report_enc"] is not None, has_file=r["file_enc"] is not None,
    )  # fmt: skip


def instance_row(r: Row) -> InstanceRow:
    return InstanceRow(
        id=r["id"], case_id=r["case_id"], sop_key=r["sop_key"], service=r["service"],
        status=r["status"], started_at=datetime.fromisoformat(r["started_at"]),
        ended_at=_dt(r["ended_at"]), parent_instance_id=r["parent_instance_id"],
        parent_step_id=r["parent_step_id"],
    )  # fmt: skip


async def _steps(conn: Tx, where: str, params: tuple[Any, ...]) -> list[StepRow]:
    return [_step(r) for r in await _all(conn, f"{_STEP_SQL} WHERE {where}", params)]


class WorkflowStore(MediationStore):
    """SQL for the SOP runtime; writes take the caller's transaction connection."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher

    # -- instances ------------------------------------------------------------

    async def insert_instance(
        self, conn: Tx, *, case_id: int, sop_key: str, service: str | None,
        at: datetime, parent_instance_id: int | None = None, parent_step_id: int | None = None,
    ) -> int:  # fmt: skip
        """Start an SOP instance; returns its id."""
        return await _insert(
            conn,
            "INSERT INTO sop_instances (case_id, sop_key, service, started_at,"
            " parent_instance_id, parent_step_id, remind_at) VALUES (?,?,?,?,?,?,?)",
            (case_id, sop_key, service, iso(at), parent_instance_id, parent_step_id, iso(at)),
        )

    async def get_instance(self, conn: Tx, id_: int) -> InstanceRow | None:
        """An instance by id."""
        rows = await _all(conn, "SELECT * FROM sop_instances WHERE id = ?", (id_,))
        return instance_row(rows[0]) if rows else None

    async def instances(self, conn: Tx, case_id: int) -> list[InstanceRow]:
        """A case's instances in start order."""
        sql = "SELECT * FROM sop_instances WHERE case_id = ? ORDER BY id"
        return [instance_row(r) for r in await _all(conn, sql, (case_id,))]

    async def end_instance(
        self, conn: Tx, instance_id: int, at: datetime, status: str = "done"
    ) -> None:
        """Mark an open instance done (or cancelled)."""
        await conn.execute(
            "UPDATE sop_instances SET status = ?, ended_at = ?, remind_at = NULL"
            " WHERE id = ? AND status = 'open'",
            (status, iso(at), instance_id),
        )

    # -- steps ----------------------------------------------------------------

    async def insert_step(
        self, conn: Tx, *, instance_id: int, case_id: int, step_key: str,
        title: str, roles: tuple[str, ...], opened_at: datetime, due_at: datetime | None,
        urgent: bool, status: str = "open",
    ) -> int:  # fmt: skip
        """Open a step (or make it wait for its sub-SOP); returns its id. An open step with a
        due time is for the next sweep to look at (``remind_at``: its opening)."""
        look = iso(opened_at) if status == "open" and due_at is not None else None
        return await _insert(
            conn,
            "INSERT INTO steps (instance_id, case_id, step_key, title, role, status, opened_at,"
            " due_at, urgent, remind_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (instance_id, case_id, step_key, title, ",".join(roles), status, iso(opened_at),
             iso(due_at) if due_at else None, int(urgent), look),
        )  # fmt: skip

    async def get_step(self, conn: Tx, step_id: int) -> StepRow | None:
        """A step by id."""
        rows = await _steps(conn, "s.id = ?", (step_id,))
        return rows[0] if rows else None

    async def steps_of_case(self, conn: Tx, case_id: int) -> list[StepRow]:
        """Every step of a case, in opening order."""
        return await _steps(conn, "s.case_id = ? ORDER BY s.id", (case_id,))

    async def open_steps_for_case(self, conn: Tx, case_id: int) -> list[StepRow]:
        """Open steps of a case, most urgent first."""
        return await _steps(conn, f"s.case_id = ? AND {_OPEN}", (case_id,))

    async def open_steps_for_assignee(self, conn: Tx, user: int) -> list[StepRow]:
        """Open steps assigned to a person, most urgent first."""
        return await _steps(conn, f"s.assignee_user_id = ? AND {_OPEN}", (user,))

    async def open_steps_for_role(self, conn: Tx, office_id: str, role: str) -> list[StepRow]:
        """Open, unassigned steps of an office's cases that a role may act on."""
        where = (
            "c.office_id = ? AND s.assignee_user_id IS NULL"
            f" AND instr(',' || s.role || ',', ',' || ? || ',') > 0 AND {_OPEN}"
        )
        return await _steps(conn, where, (office_id, role))

    async def open_steps_due(self, conn: Tx, now: datetime) -> list[StepRow]:
        """Open steps whose due time has passed (for the scheduler's sweep)."""
        return await _steps(conn, f"s.due_at <= ? AND {_OPEN}", (iso(now),))

    async def complete_step(
        self, conn: Tx, step_id: int, *, outcome: str, user_id: int,
        at: datetime, report: str | None, file: tuple[str, str, bytes] | None,
    ) -> bool:  # fmt: skip
        """Record an open step's outcome and encrypted output; False if it was not open."""
        report_enc = file_enc = None
        if report is not None or file is not None:
            value = {"text": report, "file_name": file[0] if file else None}
            report_enc = self.cipher.encrypt_json(value, context=_ctx(step_id, "report"))
        if file is not None:
            file_enc = self.cipher.encrypt(file[2], context=_ctx(step_id, "file"))
        cur = await conn.execute(
            "UPDATE steps SET status = 'done', outcome = ?, completed_by = ?, completed_at = ?,"
            " report_enc = ?, file_enc = ?, file_mime = ?, file_size = ?, remind_at = NULL"
            " WHERE id = ? AND status = 'open'",
            (outcome, user_id, iso(at), report_enc, file_enc, file[1] if file else None,
             len(file[2]) if file else None, step_id),
        )  # fmt: skip
        return cur.rowcount == 1

    async def step_output(self, conn: Tx, step_id: int) -> StepOutput:
        """Decrypted report text and file of a step (all None when it has none)."""
        sql = "SELECT report_enc, file_enc, file_mime FROM steps WHERE id = ?"
        rows = await _all(conn, sql, (step_id,))
        if not rows or rows[0]["report_enc"] is None:
            return StepOutput(None, None, None, None)
        r = rows[0]
        value = self.cipher.decrypt_json(r["report_enc"], context=_ctx(step_id, "report"))
        content = None
        if r["file_enc"] is not None:
            content = self.cipher.decrypt(r["file_enc"], context=_ctx(step_id, "file"))
        return StepOutput(value["text"], value["file_name"], r["file_mime"], content)

    async def resume_step(self, conn: Tx, step_id: int, at: datetime, due_at: datetime) -> None:
        """A step whose sub-SOP ended becomes open with a due time counted from now."""
        await conn.execute(
            "UPDATE steps SET status = 'open', opened_at = ?, due_at = ?, remind_at = ?"
            " WHERE id = ? AND status = 'waiting'",
            (iso(at), iso(due_at), iso(at), step_id),
        )

    async def release_steps(self, conn: Tx, office_id: str, user_id: int) -> int:
        """Unassign a person's open and waiting steps in an office; returns how many."""
        cur = await conn.execute(
            "UPDATE steps SET assignee_user_id = NULL WHERE assignee_user_id = ?"
            " AND status IN ('open', 'waiting')"
            " AND case_id IN (SELECT id FROM cases WHERE office_id = ?)",
            (user_id, office_id),
        )
        return cur.rowcount

    async def reassign(self, conn: Tx, step_id: int, user_id: int) -> None:
        """Give a step to a named person."""
        await conn.execute("UPDATE steps SET assignee_user_id = ? WHERE id = ?", (user_id, step_id))

    async def extend_due(self, conn: Tx, step_id: int, due_at: datetime) -> None:
        """Move a step's due time and count the extension (a new round: the sweep looks again)."""
        await conn.execute(
            "UPDATE steps SET due_at = ?, extended_count = extended_count + 1,"
            f" {_LOOK_AGAIN} WHERE id = ?",
            (iso(due_at), step_id),
        )

    async def move_due(self, conn: Tx, step_id: int, due_at: datetime) -> None:
        """Move an open step's due time (its session moved): a new round of reminders.

        `extended_count` is the reminder round; it counts every move of the due time.
        """
        await self.extend_due(conn, step_id, due_at)

    async def cancel_open_steps(self, conn: Tx, case_id: int, at: datetime) -> int:
        """Cancel a case's open / waiting steps and open instances; returns steps cancelled."""
        cur = await conn.execute(
            "UPDATE steps SET status = 'cancelled', completed_at = ?, remind_at = NULL"
            " WHERE case_id = ? AND status IN ('open', 'waiting')",
            (iso(at), case_id),
        )
        await conn.execute(
            "UPDATE sop_instances SET status = 'cancelled', ended_at = ?, remind_at = NULL"
            " WHERE case_id = ? AND status = 'open'",
            (iso(at), case_id),
        )
        return cur.rowcount

    # -- events ---------------------------------------------------------------

    async def add_event(
        self, conn: Tx, step_id: int, at: datetime, actor: str, kind: str,
        data: dict[str, Any] | None = None,
    ) -> int:  # fmt: skip
        """Append to a step's history (no personal data in ``data``); returns the event id."""
        return await _insert(
            conn,
            "INSERT INTO step_events (step_id, at, actor, kind, data) VALUES (?,?,?,?,?)",
            (step_id, iso(at), actor, kind, json.dumps(data or {})),
        )

    async def events(self, conn: Tx, step_id: int) -> list[StepEvent]:
        """A step's history, oldest first."""
        rows = await _all(
            conn, "SELECT * FROM step_events WHERE step_id = ? ORDER BY id", (step_id,)
        )
        return [StepEvent(r["id"], r["step_id"], datetime.fromisoformat(r["at"]), r["actor"],
                          r["kind"], json.loads(r["data"])) for r in rows]  # fmt: skip
