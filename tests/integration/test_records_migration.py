"""Migration 0010: existing cases get their victim and reported party; KDRT becomes a place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.store import db as db_module
from bot.store.db import Database

__all__: list[str] = []

_COLS = (
    "number, office_id, idempotency_key, tracking_index, channel, urgent, child_victim,"
    " victim_sex, victim_age_group, disability, categories, relation, help_wanted,"
    " reporter_type, received_at, first_response_due, details_enc"
)


async def _old_case(db: Database, n: int, categories: list[str], child: int, relation: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            f"INSERT INTO cases ({_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                f"PPA-TNG-2025-0000{n}", "TNG", f"k{n}", f"t{n}", "telegram", 0, child,
                "female", "13-17" if child else "25-44", n % 2, json.dumps(categories),
                relation, "[]", "victim", "2025-10-01T03:00:00+00:00",
                "2025-10-02T03:00:00+00:00", b"x",
            ),
        )  # fmt: skip


async def test_old_cases_are_carried_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = db_module.migrations()
    # the records migration (whatever its number after a merge) and the ones before it
    idx = next(i for i, m in enumerate(shipped) if m[1].endswith("_records.sql"))
    monkeypatch.setattr(db_module, "migrations", lambda: shipped[:idx])
    db = await Database.open(tmp_path / "old.sqlite3")
    try:
        await _old_case(db, 1, ["physical", "domestic"], 0, "spouse")
        await _old_case(db, 2, ["sexual"], 1, "step_parent")
        await _old_case(db, 3, ["domestic"], 1, "teacher")
        monkeypatch.setattr(db_module, "migrations", lambda: shipped[: idx + 1])
        assert await db.migrate() == [shipped[idx][1]]
        rows = await db.fetchall(
            "SELECT number, categories, place, consent_route FROM cases ORDER BY id"
        )
        got = [(json.loads(r[1]), r[2], r[3]) for r in rows]
        assert got == [
            (["physical"], "rumah_tangga", "reporter"),
            (["sexual"], "unknown", "child_protection"),
            ([], "rumah_tangga", "guardian"),
        ]
        victims = await db.fetchall(
            "SELECT case_id, ord, sex, age_group, disability FROM case_victims"
        )
        assert [tuple(v) for v in victims] == [
            (1, 1, "female", "25-44", "ya"),
            (2, 1, "female", "13-17", "tidak"),
            (3, 1, "female", "13-17", "ya"),
        ]
        parties = await db.fetchall("SELECT case_id, ord, relation FROM case_parties")
        assert [tuple(p) for p in parties] == [(1, 1, "spouse"), (2, 1, "step_parent"),
                                               (3, 1, "teacher")]  # fmt: skip
    finally:
        await db.close()
