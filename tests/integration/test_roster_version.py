"""The roster is read again only when its change counter moved (migration 0020)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.office import Role
from bot.store.roster import RosterStore
from tests.integration.reminders_support import Env, env

__all__ = ["env"]  # the fixture, re-used


async def test_the_roster_is_read_again_only_after_a_change(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = env.svc
    loads: list[int] = []
    real = RosterStore.load

    async def counted(self: RosterStore, *a: Any, **kw: Any) -> Any:
        loads.append(1)
        return await real(self, *a, **kw)

    monkeypatch.setattr(RosterStore, "load", counted)
    await svc.refresh_roster()
    await svc.refresh_roster()
    assert loads == []  # nothing changed since it was seeded

    newcomer = 990001
    async with svc.db.transaction() as conn:  # as another process would (signed rows)
        await svc.roster.grant(conn, "TNG", newcomer, Role.PETUGAS)
    await svc.refresh_roster()
    assert loads == [1] and svc.offices["TNG"].roster[newcomer] == frozenset({Role.PETUGAS})
    await svc.refresh_roster()
    assert loads == [1]

    async with svc.db.transaction() as conn:
        await svc.roster.revoke(conn, "TNG", newcomer, Role.PETUGAS)
    await svc.refresh_roster()
    assert loads == [1, 1] and newcomer not in svc.offices["TNG"].roster
