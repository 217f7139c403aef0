"""Who may do what: the access rules of cases and SOP steps, in one place.

Pure functions of an office's roster, an SOP step and the step's assignee: no Telegram, no
store. The workflow use cases check them before acting, and the channels check the same
functions before they offer a button, so what is shown and what is allowed cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.office import Office, Role
from bot.domain.sop_model import DEFAULT_OUTCOME, Step

__all__ = [
    "FIRST_RESPONSE_STEP",
    "NEEDS",
    "TAKE_ROLES",
    "IdentityFacts",
    "assignable_people",
    "is_scheduling_step",
    "may",
    "may_act_on_step",
    "may_be_assigned",
    "may_complete_step",
    "may_decide_as_head",
    "may_decide_step",
    "may_grant_access",
    "may_manage_plan",
    "may_read_case",
    "may_read_identity",
    "may_receive_access",
    "may_record_party",
    "may_record_request",
    "may_reopen_case",
    "may_request_extension",
    "may_schedule_mediation",
    "may_take_case",
]

# roles that may take a new case from the staff group
TAKE_ROLES = (Role.PETUGAS, Role.KETUA, Role.MANAJER_KASUS)

# what a button press needs: any staff of the office, someone who may do the step,
# someone who may choose its outcome, the head, or someone who may schedule its mediation
NEEDS = frozenset({"staff", "act", "decide", "head", "schedule"})


def may_read_case(office: Office, user_id: int) -> bool:
    """Anyone on the office's roster may read its cases (details, progress, letters)."""
    return office.is_staff(user_id)


def may_record_party(office: Office, user_id: int) -> bool:
    """Anyone on the roster of the case's office records its mediation parties."""
    return office.is_staff(user_id)


def may_take_case(office: Office, user_id: int) -> bool:
    """A complaint officer, the head or a case manager of the office may take a new case."""
    return office.has_role(user_id, *TAKE_ROLES)


def may_decide_as_head(office: Office, user_id: int) -> bool:
    """The head (ketua) disposes and hands over steps and grants more time."""
    return office.has_role(user_id, Role.KETUA)


def _mine(office: Office, assignee: int | None, user_id: int) -> bool:
    # a step assigned to someone who is still on the roster
    return assignee == user_id and office.is_staff(user_id)


def may_act_on_step(office: Office, step: Step, assignee: int | None, user_id: int) -> bool:
    """The step's actors and deciders, and its assignee, may do the step."""
    held = office.roles_of(user_id)
    return bool(held & {*step.actors, *step.deciders}) or _mine(office, assignee, user_id)


def may_decide_step(office: Office, step: Step, assignee: int | None, user_id: int) -> bool:
    """The step's deciders choose its outcome (its assignee too, if nobody else decides it)."""
    held = office.roles_of(user_id)
    mine = _mine(office, assignee, user_id)
    return bool(held & set(step.deciders)) or (mine and not step.decided_by)


def may_complete_step(
    office: Office, step: Step, assignee: int | None, user_id: int, outcome: str
) -> bool:
    """The usual outcome ("done") needs someone who may act; any other needs a decider.

    A step with `decided_by` is closed only by its deciders, "done" included: the others
    contribute to it (Pasuruan step 3: the companion reports, the coordinator orders).
    """
    if outcome != DEFAULT_OUTCOME or step.decided_by:
        return may_decide_step(office, step, assignee, user_id)
    return may_act_on_step(office, step, assignee, user_id)


def may_schedule_mediation(office: Office, step: Step, assignee: int | None, user_id: int) -> bool:
    """Whoever may do the step records its mediation parties and schedules its session."""
    return may_act_on_step(office, step, assignee, user_id)


def may_request_extension(office: Office, step: Step, assignee: int | None, user_id: int) -> bool:
    """The step's actors (not its other deciders) and its assignee may ask for more time."""
    held = office.roles_of(user_id)
    return bool(held & set(step.actors)) or _mine(office, assignee, user_id)


def may_be_assigned(office: Office, step: Step, user_id: int) -> bool:
    """A step may be given only to someone holding one of its actor roles."""
    return office.has_role(user_id, *step.actors)


def assignable_people(office: Office, step: Step) -> list[int]:
    """Everyone on the roster a step may be given to, in a stable order."""
    return sorted({u for r in step.actors for u in office.people_with(r)})


def may(need: str, office: Office, step: Step, assignee: int | None, user_id: int) -> bool:
    """Whether a user may do `need` (see NEEDS) on a step."""
    if need not in NEEDS:
        raise ValueError(f"unknown need {need!r}")
    if need == "staff":
        return may_read_case(office, user_id)
    if need == "head":
        return may_decide_as_head(office, user_id)
    if need == "decide":
        return may_decide_step(office, step, assignee, user_id)
    if need == "schedule":
        return may_schedule_mediation(office, step, assignee, user_id)
    return may_act_on_step(office, step, assignee, user_id)


def is_scheduling_step(step: Step) -> bool:
    """Whether a mediation is scheduled at this step (sets_session, its rules or its letter)."""
    return step.schedules_session


# the intake step in which the complaint officers (the whole pool) answer a new case
FIRST_RESPONSE_STEP = "first_response"


@dataclass(frozen=True)
class IdentityFacts:
    """What need-to-know depends on, looked up for one case by the use case.

    taken_by: who took the case from the staff group; step_people: who was assigned or did any
    of the case's steps (past or open); in_first_response: the case is still at its first
    response (or its intake has not started yet); granted: whom the head gave access.
    """

    taken_by: int | None = None
    step_people: frozenset[int] = frozenset()
    in_first_response: bool = False
    granted: frozenset[int] = frozenset()


def may_read_identity(office: Office, facts: IdentityFacts, user_id: int) -> bool:
    """Need-to-know for a case's identity (details, letters): only those handling the case.

    Always someone on the roster of the case's office, and one of: whoever took the case, the
    assignee (or doer) of any of its steps, a case manager or the head, a complaint officer
    while the case is in its first response, or someone the head granted access to.
    """
    if not office.is_staff(user_id):
        return False
    if office.has_role(user_id, Role.KETUA, Role.MANAJER_KASUS):
        return True
    if facts.in_first_response and office.has_role(user_id, Role.PETUGAS):
        return True
    return user_id == facts.taken_by or user_id in facts.step_people or user_id in facts.granted


def may_grant_access(office: Office, user_id: int) -> bool:
    """Only the head (ketua) of the case's office grants access to a case's identity."""
    return office.has_role(user_id, Role.KETUA)


def may_receive_access(office: Office, user_id: int) -> bool:
    """Access to a case's identity is granted only to someone on the office's roster."""
    return office.is_staff(user_id)


def may_manage_plan(office: Office, user_id: int) -> bool:
    """A case manager or the head adds and ends services, reviews and closes a case."""
    return office.has_role(user_id, Role.MANAJER_KASUS, Role.KETUA)


def may_reopen_case(office: Office, user_id: int) -> bool:
    """Only the head (ketua) opens a closed case again."""
    return office.has_role(user_id, Role.KETUA)


def may_record_request(office: Office, first_step: Step, user_id: int) -> bool:
    """Who records an applicant's request: whoever may do the SOP's first step (the
    recording; Pekalongan: the complaint officer), a case manager or the head."""
    return may_act_on_step(office, first_step, None, user_id) or may_manage_plan(office, user_id)
