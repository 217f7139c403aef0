"""A case's SIMFONI record: its victims, its reported parties and case-level categories."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.store.db import Row, Tx

__all__ = [
    "PARTY_FIELDS",
    "VICTIM_FIELDS",
    "CaseRecord",
    "PartyRow",
    "RecordStore",
    "VictimRow",
]

# the columns staff may set (the names are the vocabularies of bot/domain/simfoni.py)
VICTIM_FIELDS = ("sex", "age_group", "education", "marital", "occupation", "disability")
PARTY_FIELDS = ("relation", "sex", "age_group")
_CHILD_GROUPS = ("0-5", "6-12", "13-17")


@dataclass(frozen=True)
class VictimRow:
    """One victim's statistics (no name, no exact age)."""

    ord: int
    sex: str = "unknown"
    age_group: str = "unknown"
    education: str = "unknown"
    marital: str = "unknown"
    occupation: str = "unknown"
    disability: str = "unknown"

    @classmethod
    def from_row(cls, r: Row) -> VictimRow:
        """Build from a ``case_victims`` row."""
        return cls(r["ord"], *(r[f] for f in VICTIM_FIELDS))


@dataclass(frozen=True)
class PartyRow:
    """One reported party's statistics."""

    ord: int
    relation: str = "unknown"
    sex: str = "unknown"
    age_group: str = "unknown"

    @classmethod
    def from_row(cls, r: Row) -> PartyRow:
        """Build from a ``case_parties`` row."""
        return cls(r["ord"], *(r[f] for f in PARTY_FIELDS))


@dataclass(frozen=True)
class CaseRecord:
    """What the national recording needs of a case beyond its own statistics."""

    place: str = "unknown"
    region: str = ""
    services_given: tuple[str, ...] = ()
    reporter_child: bool = False
    consent_route: str = "reporter"
    victims: tuple[VictimRow, ...] = field(default_factory=tuple)
    parties: tuple[PartyRow, ...] = field(default_factory=tuple)


class RecordStore:
    """Reads and writes the record; writes take the caller's transaction."""

    async def add_victim(self, tx: Tx, case_id: int, victim: VictimRow | None = None) -> int:
        """Append a victim (numbered after the last one); returns its number."""
        ord_ = await self._next(tx, "case_victims", case_id)
        v = victim or VictimRow(ord_)
        await tx.execute(
            "INSERT INTO case_victims (case_id, ord, sex, age_group, education, marital,"
            " occupation, disability) VALUES (?,?,?,?,?,?,?,?)",
            (case_id, ord_, *(getattr(v, f) for f in VICTIM_FIELDS)),
        )
        await self._sync_case(tx, case_id)
        return ord_

    async def add_party(self, tx: Tx, case_id: int, party: PartyRow | None = None) -> int:
        """Append a reported party; returns its number."""
        ord_ = await self._next(tx, "case_parties", case_id)
        p = party or PartyRow(ord_)
        await tx.execute(
            "INSERT INTO case_parties (case_id, ord, relation, sex, age_group) VALUES (?,?,?,?,?)",
            (case_id, ord_, *(getattr(p, f) for f in PARTY_FIELDS)),
        )
        await self._sync_case(tx, case_id)
        return ord_

    async def set_victim(self, tx: Tx, case_id: int, ord_: int, values: dict[str, str]) -> bool:
        """Set fields of a victim (False: no such victim)."""
        return await self._set(tx, "case_victims", VICTIM_FIELDS, case_id, ord_, values)

    async def set_party(self, tx: Tx, case_id: int, ord_: int, values: dict[str, str]) -> bool:
        """Set fields of a reported party (False: no such party)."""
        return await self._set(tx, "case_parties", PARTY_FIELDS, case_id, ord_, values)

    async def set_case(
        self,
        tx: Tx,
        case_id: int,
        *,
        place: str | None = None,
        region: str | None = None,
        services_given: tuple[str, ...] | None = None,
    ) -> None:
        """Set case-level categories (None leaves one as it is)."""
        if place is not None:
            await tx.execute("UPDATE cases SET place = ? WHERE id = ?", (place, case_id))
        if region is not None:
            await tx.execute("UPDATE cases SET region = ? WHERE id = ?", (region, case_id))
        if services_given is not None:
            await tx.execute(
                "UPDATE cases SET services_given = ? WHERE id = ?",
                (json.dumps(list(services_given)), case_id),
            )

    async def record(self, tx: Tx, case_id: int) -> CaseRecord:
        """The case's record, victims and parties in order."""
        async with tx.execute(
            "SELECT place, region, services_given, reporter_child, consent_route"
            " FROM cases WHERE id = ?",
            (case_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            raise LookupError(case_id)
        async with tx.execute(
            "SELECT * FROM case_victims WHERE case_id = ? ORDER BY ord", (case_id,)
        ) as cur:
            victims = tuple(VictimRow.from_row(r) for r in await cur.fetchall())
        async with tx.execute(
            "SELECT * FROM case_parties WHERE case_id = ? ORDER BY ord", (case_id,)
        ) as cur:
            parties = tuple(PartyRow.from_row(r) for r in await cur.fetchall())
        return CaseRecord(
            place=row["place"],
            region=row["region"],
            services_given=tuple(json.loads(row["services_given"])),
            reporter_child=bool(row["reporter_child"]),
            consent_route=row["consent_route"],
            victims=victims,
            parties=parties,
        )

    async def _next(self, tx: Tx, table: str, case_id: int) -> int:
        async with tx.execute(
            f"SELECT COALESCE(MAX(ord), 0) + 1 FROM {table} WHERE case_id = ?", (case_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 1

    async def _set(
        self,
        tx: Tx,
        table: str,
        allowed: tuple[str, ...],
        case_id: int,
        ord_: int,
        values: dict[str, str],
    ) -> bool:
        names = [k for k in values if k in allowed]
        if not names:
            return True
        sets = ", ".join(f"{k} = ?" for k in names)
        cur = await tx.execute(
            f"UPDATE {table} SET {sets} WHERE case_id = ? AND ord = ?",
            (*(values[k] for k in names), case_id, ord_),
        )
        if cur.rowcount != 1:
            return False
        await self._sync_case(tx, case_id)
        return True

    async def _sync_case(self, tx: Tx, case_id: int) -> None:
        """Keep the case's own statistics (read by /rekap and the law's rules) in step.

        The case's victim columns mirror the first victim and its relation the first party;
        ``child_victim`` holds when any victim is in a child's age group.
        """
        groups = ",".join(f"'{g}'" for g in _CHILD_GROUPS)
        await tx.execute(
            "UPDATE cases SET"
            " victim_sex = COALESCE((SELECT sex FROM case_victims v"
            "   WHERE v.case_id = cases.id AND v.ord = 1), victim_sex),"
            " victim_age_group = COALESCE((SELECT age_group FROM case_victims v"
            "   WHERE v.case_id = cases.id AND v.ord = 1), victim_age_group),"
            " disability = COALESCE((SELECT CASE WHEN disability IN ('tidak', 'unknown')"
            "   THEN 0 ELSE 1 END FROM case_victims v WHERE v.case_id = cases.id AND v.ord = 1),"
            "   disability),"
            " relation = COALESCE((SELECT relation FROM case_parties p"
            "   WHERE p.case_id = cases.id AND p.ord = 1), relation),"
            f" child_victim = CASE WHEN child_victim = 1 OR EXISTS (SELECT 1 FROM case_victims v"
            f"   WHERE v.case_id = cases.id AND v.age_group IN ({groups})) THEN 1 ELSE 0 END"
            " WHERE id = ?",
            (case_id,),
        )
