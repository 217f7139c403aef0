"""The sweep reads a page at a time and the digest names a few and counts the rest, so the
memory it needs does not grow with the number of cases."""

from __future__ import annotations

import pytest

from bot.scheduler import digest as digest_module
from bot.scheduler import sweep as sweep_module
from bot.scheduler.sweep import DIGEST_LISTED, STEP_OVERDUE
from bot.store.reminders import ReminderStore
from tests.integration.reminders_support import (
    GROUP,
    PETUGAS,
    Env,
    env,
    first_step,
    items,
    new_case,
    render,
    wib,
)

__all__ = ["env"]  # the fixture, re-used

CASES = DIGEST_LISTED + 3


async def _cases(e: Env, n: int) -> list[int]:
    return [await new_case(e, key=f"k{i}") for i in range(n)]


async def test_a_sweep_in_small_pages_reaches_every_step_once(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep_module, "PAGE", 2)  # 7 steps: pages of 2, 2, 2, 1
    cases = await _cases(env, 7)
    read: list[int] = []
    real = ReminderStore.due_step_ids

    async def counted(self: ReminderStore, *a: object, **kw: object) -> list[tuple[str, int]]:
        page = await real(self, *a, **kw)  # type: ignore[arg-type]
        read.append(len(page))
        return page

    monkeypatch.setattr(ReminderStore, "due_step_ids", counted)
    env.at(wib(3, 10))  # Tuesday 10:00: every first response (due 09:00) is overdue
    report = await env.sweep()
    assert read == [2, 2, 2, 1]
    assert report.reminders[STEP_OVERDUE] == 7
    steps = {(await first_step(env, c)).id for c in cases}
    overdue = {int(i.payload["step_id"]) for i in await items(env, STEP_OVERDUE)}
    assert overdue == steps
    assert (await env.sweep()).reminders[STEP_OVERDUE] == 0  # each once


@pytest.mark.parametrize("window", [None, 3])
async def test_a_busy_office_digest_names_the_first_few_and_counts_all(
    env: Env, monkeypatch: pytest.MonkeyPatch, window: int | None
) -> None:
    if window is not None:  # counts read a few ids at a time, lists a few steps at a time
        monkeypatch.setattr(digest_module, "WINDOW", window)
        monkeypatch.setattr(digest_module, "PAGE", window + 1)
    await _cases(env, CASES)  # Monday 09:00, each first response due Tuesday 09:00
    env.at(wib(3, 8))  # Tuesday's digest: all new, all due today
    await env.sweep()
    (group,) = [i for i in await items(env, "daily_digest", chat=GROUP) if i.payload["new"]]
    p = group.payload
    assert len(p["new"]) == len(p["due_today"]) == DIGEST_LISTED
    assert p["new_count"] == p["due_today_count"] == CASES and p["overdue_count"] == 0
    assert p["new"][0] == "PPA-TNG-2026-00001"  # in the order received
    text = (await render(env, group) or ("", None))[0]
    assert f"{CASES} new cases since the last summary" in text and "(+3)" in text
    assert f"{CASES} cases with a step due today" in text

    (mine,) = await items(env, "daily_digest", chat=PETUGAS)
    assert len(mine.payload["step_ids"]) == DIGEST_LISTED
    assert mine.payload["open_count"] == CASES
    text = (await render(env, mine) or ("", None))[0]
    assert f"Your open tasks</b> ({CASES})" in text or f"Your open tasks ({CASES})" in text
    assert "… and 3 more" in text

    env.at(wib(4, 8))  # Wednesday: all overdue, none new
    await env.sweep()
    p = (await items(env, "daily_digest", chat=GROUP))[-1].payload
    assert p["overdue_count"] == CASES and len(p["overdue"]) == DIGEST_LISTED
    assert p["new_count"] == 0 and p["due_today_count"] == 0
