"""The access rules of cases and steps (bot.domain.permissions), without a database."""

from __future__ import annotations

import pytest

from bot.domain.duration import Duration, Unit
from bot.domain.office import Office, Role
from bot.domain.permissions import (
    NEEDS,
    assignable_people,
    is_scheduling_step,
    may,
    may_act_on_step,
    may_be_assigned,
    may_complete_step,
    may_decide_as_head,
    may_decide_step,
    may_read_case,
    may_record_party,
    may_request_extension,
    may_schedule_mediation,
    may_take_case,
)
from bot.domain.sop import Step

HEAD, OFFICER, MEDIATOR, PSY, STRANGER = 1, 2, 3, 4, 99
OFFICE = Office(
    id="x",
    name="X",
    city="X",
    timezone="Asia/Jakarta",
    channels={"telegram": "-1"},
    hours={},
    roster={
        HEAD: frozenset({Role.KETUA}),
        OFFICER: frozenset({Role.PETUGAS}),
        MEDIATOR: frozenset({Role.MEDIATOR}),
        PSY: frozenset({Role.PSIKOLOG}),
    },
)
DAY = Duration(1, Unit.WORKING_DAYS)
# the mediator does it, the head decides its branch
DECIDED = Step("s", "S", (Role.MEDIATOR,), DAY, "out", {"done": "end", "rejected": "end"},
               decided_by=(Role.KETUA,))  # fmt: skip
PLAIN = Step("p", "P", (Role.PETUGAS,), DAY, "out", {"done": "end", "not_a_case": "end"})


def test_case_rules() -> None:
    assert may_read_case(OFFICE, PSY) and not may_read_case(OFFICE, STRANGER)
    assert may_record_party(OFFICE, PSY) and not may_record_party(OFFICE, STRANGER)
    assert [u for u in (HEAD, OFFICER, MEDIATOR, STRANGER) if may_take_case(OFFICE, u)] == [
        HEAD,
        OFFICER,
    ]
    assert may_decide_as_head(OFFICE, HEAD) and not may_decide_as_head(OFFICE, OFFICER)


def test_actors_deciders_and_assignee() -> None:
    assert may_act_on_step(OFFICE, DECIDED, None, MEDIATOR)
    assert may_act_on_step(OFFICE, DECIDED, None, HEAD)  # a decider may do it too
    assert not may_act_on_step(OFFICE, DECIDED, None, PSY)
    assert may_act_on_step(OFFICE, DECIDED, PSY, PSY)  # assigned to them
    assert not may_act_on_step(OFFICE, DECIDED, STRANGER, STRANGER)  # not on the roster
    assert may_decide_step(OFFICE, DECIDED, None, HEAD)
    assert not may_decide_step(OFFICE, DECIDED, MEDIATOR, MEDIATOR)  # decided_by is set
    assert may_decide_step(OFFICE, PLAIN, PSY, PSY)  # assignee decides when nobody else does
    assert not may_complete_step(OFFICE, DECIDED, None, MEDIATOR, "done")  # decided_by gates
    assert may_complete_step(OFFICE, DECIDED, None, HEAD, "done")
    assert may_complete_step(OFFICE, PLAIN, None, OFFICER, "done")
    assert not may_complete_step(OFFICE, DECIDED, None, MEDIATOR, "rejected")
    assert may_complete_step(OFFICE, DECIDED, None, HEAD, "rejected")
    assert may_schedule_mediation(OFFICE, DECIDED, None, HEAD)
    assert may_request_extension(OFFICE, DECIDED, None, MEDIATOR)
    assert not may_request_extension(OFFICE, DECIDED, None, HEAD)  # deciders do not ask
    assert may_request_extension(OFFICE, DECIDED, PSY, PSY)


def test_assignment() -> None:
    assert assignable_people(OFFICE, DECIDED) == [MEDIATOR]
    assert may_be_assigned(OFFICE, DECIDED, MEDIATOR) and not may_be_assigned(OFFICE, DECIDED, HEAD)


def test_needs() -> None:
    assert NEEDS == {"staff", "act", "decide", "head", "schedule"}
    assert may("staff", OFFICE, DECIDED, None, PSY)
    assert may("head", OFFICE, DECIDED, None, HEAD) and not may("head", OFFICE, DECIDED, None, PSY)
    assert may("decide", OFFICE, DECIDED, None, HEAD)
    assert not may("decide", OFFICE, DECIDED, None, MEDIATOR)
    assert may("act", OFFICE, DECIDED, None, MEDIATOR)
    assert may("schedule", OFFICE, DECIDED, None, MEDIATOR)
    with pytest.raises(ValueError, match="unknown need"):
        may("fly", OFFICE, DECIDED, None, HEAD)


def test_scheduling_step() -> None:
    assert not is_scheduling_step(PLAIN)
    assert is_scheduling_step(Step("m", "M", (Role.MEDIATOR,), DAY, "out", {"done": "end"},
                                   requires=("child_party_needs_guardian",)))  # fmt: skip
    assert is_scheduling_step(Step("m", "M", (Role.MEDIATOR,), DAY, "out", {"done": "end"},
                                   output_document="surat_undangan_mediasi"))  # fmt: skip
