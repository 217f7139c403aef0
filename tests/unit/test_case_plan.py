"""The case plan's rules: service kinds, outcomes, closing criteria, reviews, who may act."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import load_offices
from bot.domain.case_plan import (
    CLOSE_REASONS,
    GENERIC_SOP,
    SERVICE_KINDS,
    case_managers,
    closure_blockers,
    next_review,
    service_kind,
    service_outcome,
    sop_for,
)
from bot.domain.eligibility import load_rules
from bot.domain.office import Role
from bot.domain.permissions import may_manage_plan, may_reopen_case
from bot.domain.sop import load_all

ROOT = Path(__file__).resolve().parents[2]
TNG = next(o for o in load_offices(ROOT / "config" / "offices.example.toml") if o.id == "TNG")
KETUA, PETUGAS, MK, PENDAMPING = 100000001, 100000002, 100000003, 100000004


def test_every_service_kind_is_a_service_of_the_eligibility_rules() -> None:
    assert {k.key for k in SERVICE_KINDS} <= set(load_rules().services)
    assert service_kind("mediation") is not None and service_kind("nonsense") is None


def test_the_generic_sop_is_shipped_and_its_task_fits_every_generic_kind() -> None:
    sop = load_all(ROOT / "bot" / "sops")[GENERIC_SOP]
    step = sop.step(sop.first_step)
    for kind in SERVICE_KINDS:
        if sop_for(kind, TNG) is None:
            assert set(kind.roles) <= set(step.actors), kind.key
    assert set(step.outcomes) == {"done", "not_achieved"}


def test_a_kind_runs_the_office_sop_or_the_generic_one() -> None:
    mediation, legal = service_kind("mediation"), service_kind("legal_aid")
    civil = service_kind("mediation_civil")
    assert mediation is not None and legal is not None and civil is not None
    assert sop_for(mediation, TNG) == "mediation" and sop_for(civil, TNG) == "mediation"
    assert sop_for(legal, TNG) is None
    assert sop_for(mediation, replace(TNG, sops={})) is None  # no SOP: the generic one


def test_the_outcome_of_a_service_is_its_last_telling_step_outcome() -> None:
    assert service_outcome(["done", "accepted", "done"]) == "completed"
    assert service_outcome(["done", "rejected", "done"]) == "rejected"
    assert service_outcome(["done", "not_mediable"]) == "not_mediable"
    assert service_outcome(["repeat", "continue_monitoring", "terminate", "done"]) == "completed"
    assert service_outcome([None, "not_cooperative", None, "done"]) == "not_cooperative"
    assert service_outcome([]) == "completed"


def test_closing_needs_a_listed_reason_and_no_running_service() -> None:
    assert closure_blockers("completed", running=0, services=2) == []
    assert closure_blockers("withdrawn", running=0, services=0) == []
    assert closure_blockers("completed", running=1, services=2) == ["services_running"]
    assert closure_blockers("completed", running=0, services=0) == ["no_services"]
    assert closure_blockers("because", running=0, services=1) == ["unknown_reason"]
    assert "not_a_case" in CLOSE_REASONS


def test_the_next_review_lies_after_now_in_steps_of_the_interval() -> None:
    due = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    assert next_review(due, due, 30) == due + timedelta(days=30)
    assert next_review(due, due + timedelta(days=95), 30) == due + timedelta(days=120)
    assert next_review(due, due, 0) == due + timedelta(days=1)  # never a zero interval


def test_the_plan_goes_back_to_case_managers_or_the_head() -> None:
    assert case_managers(TNG) == [MK]
    only_head = replace(TNG, roster={KETUA: frozenset({Role.KETUA})})
    assert case_managers(only_head) == [KETUA]


def test_who_manages_the_plan_and_who_reopens() -> None:
    assert may_manage_plan(TNG, MK) and may_manage_plan(TNG, KETUA)
    assert not may_manage_plan(TNG, PETUGAS) and not may_manage_plan(TNG, PENDAMPING)
    assert may_reopen_case(TNG, KETUA) and not may_reopen_case(TNG, MK)
    assert TNG.review_days == 30
