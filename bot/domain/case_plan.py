"""The case plan: the services a case receives, how each ends, the review and the closing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.i18n_marker import N_
from bot.domain.office import Office, Role

__all__ = [
    "CLOSE_REASONS",
    "DEFAULT_REVIEW_DAYS",
    "END_OUTCOMES",
    "GENERIC_SOP",
    "REOPEN_REASONS",
    "SERVICE_KINDS",
    "ServiceKind",
    "case_managers",
    "closure_blockers",
    "next_review",
    "service_kind",
    "service_outcome",
    "sop_for",
    "split_key",
]

# the SOP a service without an SOP of its own runs: one task for the assigned staff member
GENERIC_SOP = "layanan_umum"
DEFAULT_REVIEW_DAYS = 30


@dataclass(frozen=True)
class ServiceKind:
    """A service the case manager can add to a case's plan.

    ``sop_service``: the office's `sops` entry it runs (e.g. "mediation"); without one (or
    when the office has none) it runs the generic SOP, given to a person holding ``roles``.
    ``record``: instead of an SOP, the use case it starts (an outreach, a referral, a shelter
    admission request; bot/services/plan_records.py); the person named follows it.
    ``many``: several may run at once (referrals to different institutions).
    """

    key: str
    label: str
    roles: tuple[Role, ...]
    sop_service: str | None = None
    record: bool = False
    many: bool = False


# the keys are the service names of bot/sops/rules/eligibility.toml (checked by a test)
SERVICE_KINDS: tuple[ServiceKind, ...] = (
    ServiceKind("legal_aid", N_("Legal aid"), (Role.KONSELOR_HUKUM, Role.PENDAMPING)),
    ServiceKind("health", N_("Health care / visum"), (Role.PENDAMPING,)),
    ServiceKind(
        "psychosocial", N_("Psychological / psychosocial support"), (Role.PSIKOLOG, Role.PENDAMPING)
    ),
    ServiceKind("shelter", N_("Safe house"), (Role.PENDAMPING, Role.MANAJER_KASUS), record=True),
    ServiceKind("accompaniment", N_("Accompaniment"), (Role.PENDAMPING,), "accompaniment"),
    ServiceKind("mediation", N_("Mediation"), (Role.MEDIATOR,), "mediation"),
    ServiceKind(
        "mediation_civil",
        N_("Mediation of civil matters (maintenance, custody)"),
        (Role.MEDIATOR,),
        "mediation",
    ),
    ServiceKind(
        "reintegration",
        N_("Return and reintegration"),
        (Role.PENDAMPING, Role.MANAJER_KASUS),
        record=True,
    ),
    ServiceKind(
        "diversion_referral",
        N_("Referral for diversion (police, Bapas)"),
        (Role.MANAJER_KASUS, Role.PENDAMPING),
    ),
    ServiceKind(
        "outreach",
        N_("Outreach (penjangkauan)"),
        (Role.PENDAMPING, Role.MANAJER_KASUS),
        record=True,
    ),
    ServiceKind(
        "referral",
        N_("Referral (rujukan)"),
        (Role.PENDAMPING, Role.MANAJER_KASUS, Role.KONSELOR_HUKUM),
        record=True,
        many=True,
    ),
    ServiceKind(
        "protection",
        N_("Protection order (PKDRT Pasal 28-29)"),
        (Role.PENDAMPING, Role.KONSELOR_HUKUM),
        record=True,
    ),
)
_KINDS = {k.key: k for k in SERVICE_KINDS}

# how a case manager may end a running service by hand
END_OUTCOMES = {
    "completed": N_("Completed"),
    "failed": N_("Did not succeed"),
    "withdrawn": N_("Withdrawn by the client"),
}
# why a case is closed (the decision's reason codes)
CLOSE_REASONS = {
    "completed": N_("The plan is completed"),
    "referred": N_("Referred to another agency"),
    "withdrawn": N_("The client withdrew"),
    "unreachable": N_("The client cannot be reached"),
    "not_a_case": N_("Not a case for the unit"),
    "duplicate": N_("A duplicate of another case"),
}
# why the head opens a closed case again
REOPEN_REASONS = {
    "new_information": N_("New information"),
    "new_incident": N_("A new incident"),
    "closed_in_error": N_("Closed in error"),
    "client_request": N_("The client asks for more help"),
}
# step outcomes that say nothing about how the service went
_NEUTRAL = frozenset({"done", "repeat", "accepted", "continue", "continue_monitoring", "terminate"})


def service_kind(key: str) -> ServiceKind | None:
    """A service kind by key (None if unknown); "referral.police" is the kind "referral"."""
    return _KINDS.get(split_key(key)[0])


def split_key(key: str) -> tuple[str, str]:
    """A service key and its option: "referral.police" -> ("referral", "police")."""
    base, _, option = key.partition(".")
    return base, option


def sop_for(kind: ServiceKind, office: Office) -> str | None:
    """The office service name a kind runs through, or None: the generic SOP with a person."""
    if kind.record:
        return None
    if kind.sop_service is not None and kind.sop_service in office.sops:
        return kind.sop_service
    return None


def service_outcome(step_outcomes: Iterable[str | None]) -> str:
    """How an SOP instance ended for the plan: its last telling outcome, else "completed"."""
    telling = [o for o in step_outcomes if o and o not in _NEUTRAL]
    return telling[-1] if telling else "completed"


def case_managers(office: Office) -> list[int]:
    """Who the plan goes back to: the office's case managers (its heads when it has none)."""
    return office.people_with(Role.MANAJER_KASUS) or office.people_with(Role.KETUA)


def closure_blockers(reason: str, running: int, services: int) -> list[str]:
    """Why a case cannot be closed for ``reason`` (empty: it can).

    Criteria: a reason from the list; no service still running; "completed" needs a plan
    with at least one service.
    """
    out = []
    if reason not in CLOSE_REASONS:
        out.append("unknown_reason")
    if running:
        out.append("services_running")
    if reason == "completed" and not services:
        out.append("no_services")
    return out


def next_review(due: datetime, now: datetime, days: int) -> datetime:
    """The next review after ``due`` that lies after ``now`` (every ``days`` days)."""
    step = timedelta(days=max(1, days))
    nxt = due + step
    while nxt <= now:
        nxt += step
    return nxt
