"""Case repository: numbering, insert, look-ups, events, evidence."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.crypto import Cipher
from bot.domain.identity import Handle
from bot.store.db import Row, Tx
from bot.store.route_macs import FailureList, NotifyMacs

__all__ = ["CaseRow", "CaseStore", "NewCase"]


@dataclass(frozen=True)
class NewCase:
    """What a new case is made of (personal data kept apart in ``details``)."""

    office_id: str
    idempotency_key: str
    tracking_code: str
    channel: str
    urgent: bool
    child_victim: bool
    victim_sex: str
    victim_age_group: str
    disability: bool
    categories: tuple[str, ...]
    relation: str
    help_wanted: tuple[str, ...]
    reporter_type: str
    notify_mode: str
    language: str
    received_at: datetime
    first_response_due: datetime
    reporter: Handle | None  # where the reporter wrote from (None: recorded by staff)
    recorded_by: int | None
    details: dict[str, Any]
    consent_version: str | None = None  # the consent text agreed to (bot/domain/consent.py)
    place: str = "unknown"
    reporter_child: bool = False
    consent_route: str = "reporter"  # or "guardian", "child_protection"


@dataclass(frozen=True)
class CaseRow:
    """A stored case without its personal details."""

    id: int
    number: str
    office_id: str
    channel: str
    urgent: bool
    child_victim: bool
    victim_sex: str
    victim_age_group: str
    disability: bool
    categories: tuple[str, ...]
    relation: str
    help_wanted: tuple[str, ...]
    reporter_type: str
    notify_mode: str
    language: str
    status: str
    stage: str
    received_at: datetime
    first_response_due: datetime
    taken_by: int | None
    taken_at: datetime | None
    # assessed by staff (None: not assessed yet); read by the eligibility rules
    perpetrator_child: bool | None = None
    kdrt_severe: bool | None = None
    consent_version: str | None = None
    legal_hold: str | None = None  # why the data must be kept (a court case, a referral)

    @classmethod
    def from_row(cls, r: Row) -> CaseRow:
        """Build from a ``cases`` row."""
        return cls(
            id=r["id"],
            number=r["number"],
            office_id=r["office_id"],
            channel=r["channel"],
            urgent=bool(r["urgent"]),
            child_victim=bool(r["child_victim"]),
            victim_sex=r["victim_sex"],
            victim_age_group=r["victim_age_group"],
            disability=bool(r["disability"]),
            categories=tuple(json.loads(r["categories"])),
            relation=r["relation"],
            help_wanted=tuple(json.loads(r["help_wanted"])),
            reporter_type=r["reporter_type"],
            notify_mode=r["notify_mode"],
            language=r["language"],
            status=r["status"],
            stage=r["stage"],
            received_at=datetime.fromisoformat(r["received_at"]),
            first_response_due=datetime.fromisoformat(r["first_response_due"]),
            taken_by=r["taken_by"],
            taken_at=datetime.fromisoformat(r["taken_at"]) if r["taken_at"] else None,
            perpetrator_child=_tristate(r["perpetrator_child"]),
            kdrt_severe=_tristate(r["kdrt_severe"]),
            consent_version=r["consent_version"],
            legal_hold=r["legal_hold"],
        )


def _tristate(value: object) -> bool | None:
    return None if value is None else bool(value)


_COLUMNS = (
    "id, number, office_id, channel, urgent, child_victim, victim_sex, victim_age_group, "
    "disability, categories, relation, help_wanted, reporter_type, notify_mode, language, "
    "status, stage, received_at, first_response_due, taken_by, taken_at, "
    "perpetrator_child, kdrt_severe, consent_version, legal_hold, notify_mac"
)


def reporter_index(cipher: Cipher, handle: Handle) -> str:
    """The blind index of a reporter's handle (Telegram's keeps its original form)."""
    label = "chat" if handle.channel == "telegram" else f"handle:{handle.channel}"
    return cipher.blind_index(label, handle.address)


class CaseStore(NotifyMacs):
    """Reads and writes cases; writes take the caller's transaction connection."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher
        self.failures = FailureList()  # cases whose contact-mode MAC failed (for the alert)

    def _checked(self, row: Row | None) -> CaseRow | None:
        """A case as read; a contact mode failing its MAC reads as "none" (she is not contacted:
        nothing written without the key decides whether or how a reporter hears from us)."""
        if row is None:
            return None
        case = CaseRow.from_row(row)
        if self._notify_ok(
            case.id, case.number, case.office_id, case.notify_mode, row["notify_mac"]
        ):
            return case
        return dataclasses.replace(case, notify_mode="none")

    def _ctx(self, case_key: str) -> bytes:
        return b"case:" + case_key.encode()

    async def next_number(self, conn: Tx, office_id: str, year: int) -> int:
        """Allocate the next sequence number for an office and year."""
        await conn.execute(
            "INSERT INTO case_counters (office_id, year, last) VALUES (?, ?, 1) "
            "ON CONFLICT (office_id, year) DO UPDATE SET last = case_counters.last + 1",
            (office_id, year),
        )
        async with conn.execute(
            "SELECT last FROM case_counters WHERE office_id = ? AND year = ?", (office_id, year)
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def id_for_key(self, conn: Tx, idempotency_key: str) -> int | None:
        """The case made earlier for the same submission, if any."""
        async with conn.execute(
            "SELECT id FROM cases WHERE idempotency_key = ?", (idempotency_key,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def insert(self, conn: Tx, number: str, case: NewCase) -> int:
        """Insert a case; returns its id."""
        cur = await conn.execute(
            "INSERT INTO cases (number, office_id, idempotency_key, tracking_index, reporter_index,"
            " channel, urgent, child_victim, victim_sex, victim_age_group, disability, categories,"
            " relation, help_wanted, reporter_type, notify_mode, language, received_at,"
            " first_response_due, recorded_by, reporter_chat_enc, details_enc, consent_version,"
            " place, reporter_child, consent_route)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                number,
                case.office_id,
                case.idempotency_key,
                self.cipher.blind_index("tracking", case.tracking_code),
                reporter_index(self.cipher, case.reporter) if case.reporter is not None else None,
                case.channel,
                int(case.urgent),
                int(case.child_victim),
                case.victim_sex,
                case.victim_age_group,
                int(case.disability),
                json.dumps(list(case.categories)),
                case.relation,
                json.dumps(list(case.help_wanted)),
                case.reporter_type,
                case.notify_mode,
                case.language,
                case.received_at.isoformat(),
                case.first_response_due.isoformat(),
                case.recorded_by,
                self.cipher.encrypt_json(
                    case.reporter.to_json(), context=self._ctx(number + ":chat")
                )
                if case.reporter is not None
                else None,
                self.cipher.encrypt_json(
                    {**case.details, "tracking_code": case.tracking_code},
                    context=self._ctx(number),
                ),
                case.consent_version,
                case.place,
                int(case.reporter_child),
                case.consent_route,
            ),
        )
        assert cur.lastrowid is not None
        await self._sign_notify(conn, int(cur.lastrowid), number, case.notify_mode)
        return int(cur.lastrowid)

    async def add_event(
        self,
        conn: Tx,
        case_id: int,
        at: datetime,
        actor: str,
        kind: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Append to the case's history (no personal data in ``data``)."""
        await conn.execute(
            "INSERT INTO case_events (case_id, at, actor, kind, data) VALUES (?,?,?,?,?)",
            (case_id, at.isoformat(), actor, kind, json.dumps(data or {})),
        )

    async def evidence_items(self, conn: Tx, case_id: int) -> set[int]:
        """The item numbers of a case's evidence already attached."""
        async with conn.execute(
            "SELECT item_no FROM evidence WHERE case_id = ? AND item_no IS NOT NULL", (case_id,)
        ) as cur:
            return {int(r[0]) for r in await cur.fetchall()}

    async def get(self, conn: Tx, case_id: int) -> CaseRow | None:
        """A case by id."""
        async with conn.execute(f"SELECT {_COLUMNS} FROM cases WHERE id = ?", (case_id,)) as cur:
            row = await cur.fetchone()
        return self._checked(row)

    async def by_number(self, conn: Tx, number: str) -> CaseRow | None:
        """A case by its number."""
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM cases WHERE number = ?", (number.upper(),)
        ) as cur:
            row = await cur.fetchone()
        return self._checked(row)

    async def by_tracking_code(self, conn: Tx, code: str) -> CaseRow | None:
        """A case by its (normalised) tracking code, through the blind index."""
        async with conn.execute(
            f"SELECT {_COLUMNS} FROM cases WHERE tracking_index = ?",
            (self.cipher.blind_index("tracking", code),),
        ) as cur:
            row = await cur.fetchone()
        return self._checked(row)

    async def details(self, conn: Tx, case_id: int) -> dict[str, Any]:
        """Decrypted personal details of a case."""
        async with conn.execute(
            "SELECT number, details_enc FROM cases WHERE id = ?", (case_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            raise LookupError(case_id)
        value = self.cipher.decrypt_json(row["details_enc"], context=self._ctx(row["number"]))
        assert isinstance(value, dict)
        return value

    async def replace_details(self, conn: Tx, case_id: int, details: dict[str, Any]) -> None:
        """Store corrected personal details (the tracking code must stay in them)."""
        row = await self.get(conn, case_id)
        if row is None:
            raise LookupError(case_id)
        if "tracking_code" not in details:
            raise ValueError("the details must keep the tracking code")
        await conn.execute(
            "UPDATE cases SET details_enc = ? WHERE id = ?",
            (self.cipher.encrypt_json(details, context=self._ctx(row.number)), case_id),
        )

    async def reporter(self, conn: Tx, case_id: int) -> Handle | None:
        """Where the reporter wrote from (None for cases recorded by staff)."""
        async with conn.execute(
            "SELECT number, reporter_chat_enc FROM cases WHERE id = ?", (case_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None or row["reporter_chat_enc"] is None:
            return None
        value = self.cipher.decrypt_json(
            row["reporter_chat_enc"], context=self._ctx(row["number"] + ":chat")
        )
        return Handle.from_json(value)

    async def set_assessment(
        self, conn: Tx, case_id: int, perpetrator_child: bool | None, kdrt_severe: bool | None
    ) -> None:
        """Record what staff assessed (None leaves a fact unknown)."""
        await conn.execute(
            "UPDATE cases SET perpetrator_child = ?, kdrt_severe = ? WHERE id = ?",
            (perpetrator_child, kdrt_severe, case_id),
        )

    async def set_legal_hold(self, conn: Tx, case_id: int, reason: str | None) -> None:
        """Flag (or with None, lift) a legal hold: the data must be kept (no personal data)."""
        await conn.execute("UPDATE cases SET legal_hold = ? WHERE id = ?", (reason, case_id))

    async def evidence_count(self, conn: Tx, case_id: int) -> int:
        """How many evidence files a case has."""
        async with conn.execute("SELECT COUNT(*) FROM evidence WHERE case_id = ?", (case_id,)) as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    async def take(self, conn: Tx, case_id: int, user_id: int, at: datetime) -> bool:
        """Mark a new case as taken by a complaint officer; False if someone already has it."""
        cur = await conn.execute(
            "UPDATE cases SET taken_by = ?, taken_at = ?, status = 'in_progress', stage = 'taken'"
            " WHERE id = ? AND taken_by IS NULL",
            (user_id, at.isoformat(), case_id),
        )
        return cur.rowcount == 1

    async def events(self, conn: Tx, case_id: int) -> list[tuple[datetime, str, dict[str, Any]]]:
        """The case's history, oldest first: (when, kind, data)."""
        async with conn.execute(
            "SELECT at, kind, data FROM case_events WHERE case_id = ? ORDER BY id", (case_id,)
        ) as cur:
            rows = await cur.fetchall()
        return [
            (datetime.fromisoformat(r["at"]), r["kind"], json.loads(r["data"] or "{}"))
            for r in rows
        ]

    async def notify_mode_for_key(self, conn: Tx, idempotency_key: str) -> str | None:
        """How the reporter of the case made for a submission wants to be told (None: no case)."""
        async with conn.execute(
            "SELECT id, number, office_id, notify_mode, notify_mac FROM cases"
            " WHERE idempotency_key = ?",
            (idempotency_key,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        mode = str(row[3])
        return (
            mode if self._notify_ok(int(row[0]), str(row[1]), str(row[2]), mode, row[4]) else "none"
        )
