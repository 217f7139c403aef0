"""The SOP runtime's shared context: results, the transaction context and the engine that
opens, follows and ends SOP instances and steps (used by every use-case module)."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.domain import permissions
from bot.domain.case import Case, RunningStep
from bot.domain.i18n_marker import N_
from bot.domain.identity import actor_for
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Office
from bot.domain.permissions import NEEDS
from bot.domain.sop import END, Sop, Step, handover_target, load_all
from bot.services.context import Services
from bot.services.workflow import returns
from bot.services.workflow.party_rules import RULE_MESSAGES, failed_rules, party_facts
from bot.store import Tx
from bot.store.audit import append_audit
from bot.store.case_plan import CasePlanStore
from bot.store.cases import CaseRow
from bot.store.workflow import (
    InstanceRow,
    StepRow,
    WorkflowStore,
    iso,
)

__all__ = [
    "DONE",
    "MAX_FILE_BYTES",
    "MAX_REPORT_CHARS",
    "NEEDS",
    "PARTY_ROLES",
    "REASON_REQUIRED",
    "RULE_MESSAGES",
    "Engine",
    "InstanceProgress",
    "Outcome",
    "StepView",
    "WorkflowResult",
    "failed_rules",
    "load_sops",
]

DONE = "done"
REASON_REQUIRED = frozenset(
    {"rejected", "not_cooperative", "not_mediable", "not_a_case", "not_achieved"}
)
PARTY_ROLES = frozenset({"pelapor", "pemohon", "korban", "terlapor"})
MAX_REPORT_CHARS = 4000
MAX_FILE_BYTES = 20 * 1024 * 1024


class Outcome(StrEnum):
    """How a workflow action ended."""

    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    INVALID = "invalid"
    RULE_FAILED = "rule_failed"
    NOT_ELIGIBLE = "not_eligible"  # the law does not allow the service (eligibility rules)


@dataclass(frozen=True)
class WorkflowResult:
    """Outcome, a message id for the reader's locale, its params and the steps opened."""

    outcome: Outcome
    message: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    opened: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the action happened."""
        return self.outcome is Outcome.OK


@dataclass(frozen=True)
class InstanceProgress:
    """One SOP instance of a case with its steps, for /kasus."""

    instance: InstanceRow
    steps: tuple[RunningStep, ...]


@dataclass(frozen=True)
class StepView:
    """A step with its SOP definition, case and office (for rendering and buttons)."""

    row: RunningStep
    step: Step
    case: Case
    office: Office


@dataclass
class _Tx:
    conn: Tx
    case: CaseRow
    office: Office
    now: datetime
    actor: str
    opened: list[int] = field(default_factory=list)


def _group(t: _Tx) -> Recipient:
    """The staff group of the case's office."""
    return Recipient.staff_group(t.office.id)


def _r(kind: Outcome, message: str = "", /, **params: Any) -> WorkflowResult:
    return WorkflowResult(kind, message, params)


@functools.cache
def _cached_sops(directory: str) -> Mapping[str, Sop]:
    return load_all(Path(directory))


def load_sops(directory: Path) -> dict[str, Sop]:
    """Every SOP in a directory, loaded and validated once per directory."""
    return dict(_cached_sops(str(directory.resolve())))


_NOT_ALLOWED = N_("You are not allowed to do this for this case.")
_NOT_OPEN = N_("This step is not open.")


class Engine:
    """The SOP runtime's shared state and helpers; each use case runs in one transaction."""

    def __init__(self, svc: Services, sops: Mapping[str, Sop]) -> None:
        self.svc = svc
        self.sops = dict(sops)
        self.store = WorkflowStore(svc.cipher)
        self.plan = CasePlanStore()

    # -- engine ---------------------------------------------------------------

    def _resolve(self, office: Office, name: str) -> tuple[str, str | None]:
        if name in office.sops:
            return office.sops[name], name
        if name not in self.sops:
            raise LookupError(f"office {office.id} has no SOP or service {name!r}")
        return name, next((s for s, k in office.sops.items() if k == name), None)

    def _due(self, t: _Tx, step: Step, start: datetime) -> datetime:
        if step.duration_from == "office.first_response":
            if t.case.urgent:
                return start + timedelta(minutes=t.office.urgent_response_minutes)
            return self.svc.calendars[t.office.id].add(start, t.office.first_response)
        return self.svc.calendars[t.office.id].add(start, step.duration, urgent=t.case.urgent)

    def _session_due(self, t: _Tx, step: Step, session_at: datetime) -> datetime:
        """The step's duration from the session start, never before the session day's close."""
        calendar = self.svc.calendars[t.office.id]
        due = calendar.add(session_at, step.duration, urgent=t.case.urgent)
        periods = calendar.periods_on(calendar.local(session_at).date())
        return max(due, periods[-1][1]) if periods else due

    async def _step_due(
        self, t: _Tx, step: Step, start: datetime, instance_id: int
    ) -> tuple[datetime, datetime | None]:
        """Due time of a step opened at `start`, and the session it counts from (if any)."""
        if step.from_session:
            session = await self.store.instance_session(t.conn, instance_id)
            if session is not None:
                return self._session_due(t, step, session.scheduled_at), session.scheduled_at
        return self._due(t, step, start), None

    async def _follow_session(self, t: _Tx, instance_id: int) -> None:
        """Open steps of the instance timed from its session take the session's due time."""
        for row in await self.store.open_steps_for_case(t.conn, t.case.id):
            if row.instance_id != instance_id or row.status != "open":
                continue
            step = self.sops[row.sop_key].step(row.step_key)
            due, session_at = await self._step_due(t, step, row.opened_at, instance_id)
            if session_at is None or due == row.due_at:
                continue
            await self.store.move_due(t.conn, row.id, due)
            await self._event(t, row.id, "due_moved", due_at=iso(due),
                              session_at=iso(session_at))  # fmt: skip

    async def _send(self, t: _Tx, to: Recipient | int, kind: str, key: str, **payload: Any) -> None:
        """Queue a notice to a person (a roster user id) or a place; one per event and recipient."""
        who = to if isinstance(to, Recipient) else Recipient.person(to)
        await self.svc.outbox.add(t.conn, Notice(
            kind=kind, recipient=who, params=payload, case_id=t.case.id,
            language=t.office.language, dedupe_key=f"{kind}:{key}:{who.key()}",
        ), at=t.now)  # fmt: skip

    async def _milestone(self, t: _Tx, milestone: str) -> None:
        reachable = await self.svc.cases.reporter(t.conn, t.case.id) is not None
        if t.case.notify_mode == "none" or not reachable:
            return
        await self.svc.outbox.add(t.conn, Notice(
            kind="reporter_milestone", recipient=Recipient.reporter(t.case.id), case_id=t.case.id,
            language=t.case.language, dedupe_key=f"milestone:{t.case.id}:{milestone}:{iso(t.now)}",
            params={"case_id": t.case.id, "milestone": milestone, "mode": t.case.notify_mode},
        ), at=t.now)  # fmt: skip

    async def _event(self, t: _Tx, step_id: int, kind: str, **data: Any) -> int:
        await self.svc.cases.add_event(t.conn, t.case.id, t.now, t.actor, f"step_{kind}",
                                       {"step_id": step_id, **data})  # fmt: skip
        return await self.store.add_event(t.conn, step_id, t.now, t.actor, kind, data)

    async def _start(
        self, t: _Tx, name: str, parent: int | None, parent_step: int | None,
        assignee: int | None = None,
    ) -> int:  # fmt: skip
        key, service = self._resolve(t.office, name)
        iid = await self.store.insert_instance(
            t.conn, case_id=t.case.id, sop_key=key, service=service, at=t.now,
            parent_instance_id=parent, parent_step_id=parent_step,
        )  # fmt: skip
        data = {"instance_id": iid, "sop": key, "service": service}
        await self.svc.cases.add_event(t.conn, t.case.id, t.now, t.actor, "sop_started", data)
        if service is not None and service != "intake":
            await self._milestone(t, f"{service}_started")
        await self._open(t, iid, self.sops[key], self.sops[key].first_step, assignee)
        return iid

    async def _open(
        self, t: _Tx, instance_id: int, sop: Sop, key: str, assignee: int | None = None
    ) -> None:
        step = sop.step(key)
        due, session_at = None, None
        if not step.runs:
            due, session_at = await self._step_due(t, step, t.now, instance_id)
        sid = await self.store.insert_step(
            t.conn, instance_id=instance_id, case_id=t.case.id, step_key=key, title=step.title,
            roles=tuple(r.value for r in step.actors), opened_at=t.now, due_at=due,
            urgent=t.case.urgent, status="waiting" if step.runs else "open",
        )  # fmt: skip
        if assignee is not None:
            await self.store.reassign(t.conn, sid, assignee)
        if step.runs:
            await self._event(t, sid, "waiting", runs=step.runs)
            target = handover_target(step.runs)
            assert target is not None
            await self._start(t, target, instance_id, sid)
        else:
            assert due is not None
            await self._announce(t, sid, step, due, "opened", session_at, assignee)

    async def _announce(
        self, t: _Tx, sid: int, step: Step, due: datetime, kind: str,
        session_at: datetime | None = None, assignee: int | None = None,
    ) -> None:  # fmt: skip
        extra = {"session_at": iso(session_at)} if session_at is not None else {}
        eid = await self._event(t, sid, kind, step=step.key, due_at=iso(due), **extra)
        people = [assignee] if assignee is not None else sorted(
            {u for r in step.actors for u in t.office.people_with(r)}
        )  # fmt: skip
        for uid in people:
            await self._send(t, uid, "task_assigned", str(eid), step_id=sid)
        await self._send(t, _group(t), "step_opened", str(eid),
                         case_id=t.case.id, step_id=sid)  # fmt: skip
        t.opened.append(sid)

    async def _follow(self, t: _Tx, inst: InstanceRow, step: Step, outcome: str) -> None:
        target = step.next(outcome)
        name = handover_target(target)
        if target == END:
            await self._end(t, inst)
        elif name is not None:
            await self.store.end_instance(t.conn, inst.id, t.now)
            await self.svc.cases.add_event(t.conn, t.case.id, t.now, t.actor, "sop_ended",
                                           {"instance_id": inst.id, "handover": name})  # fmt: skip
            iid = await self._start(t, name, inst.parent_instance_id, inst.parent_step_id)
            if inst.parent_step_id is None:  # a service chosen (or carried on): on the plan
                await returns.handed_over(self, t, inst, name, iid)
        else:
            await self._open(t, inst.id, self.sops[inst.sop_key], target)

    async def _end(self, t: _Tx, inst: InstanceRow) -> None:
        await self.store.end_instance(t.conn, inst.id, t.now)
        await self.svc.cases.add_event(t.conn, t.case.id, t.now, t.actor, "sop_ended",
                                       {"instance_id": inst.id})  # fmt: skip
        if inst.parent_step_id is not None:
            parent = await self.store.get_step(t.conn, inst.parent_step_id)
            assert parent is not None
            pstep = self.sops[parent.sop_key].step(parent.step_key)
            due = self._due(t, pstep, t.now)
            await self.store.resume_step(t.conn, parent.id, t.now, due)
            await self._announce(t, parent.id, pstep, due, "resumed")
        else:  # never closes the case: the outcome goes back to the case manager
            await self._returned(t, inst)

    async def _plan_service(self, t: _Tx, kind: str, iid: int, assignee: int | None) -> int:
        """Put a started service on the case's plan (bot/services/workflow/returns.py)."""
        return await returns.plan_service(self, t, kind, iid, assignee)

    async def _running_kinds(self, conn: Tx, case_id: int) -> set[str]:
        """The service kinds running on a case's plan."""
        return {s.kind for s in await self.plan.services(conn, case_id) if s.status == "running"}

    async def _returned(self, t: _Tx, inst: InstanceRow) -> None:
        """A top-level instance ended: back to the case manager (returns.py), never closing."""
        await returns.returned(self, t, inst)

    async def _begin(
        self, conn: Tx, step_id: int, user_id: int, action: str
    ) -> tuple[_Tx, StepRow, Step] | WorkflowResult:
        now, actor = self.svc.clock.now(), actor_for(user_id)
        row = await self.store.get_step(conn, step_id)
        case = await self.svc.cases.get(conn, row.case_id) if row else None
        office = self.svc.offices.get(case.office_id) if case else None
        if row is None or case is None or office is None:
            await append_audit(conn, at=now, actor=actor, action=f"denied:{action}",
                               detail=f"no step {step_id}")  # fmt: skip
            return _r(Outcome.NOT_FOUND, N_("There is no such step."))
        return _Tx(conn, case, office, now, actor), row, self.sops[row.sop_key].step(row.step_key)

    async def _deny(self, t: _Tx, action: str, step_id: int | None = None) -> WorkflowResult:
        detail = f"step {step_id}" if step_id is not None else ""
        await append_audit(t.conn, at=t.now, actor=t.actor, action=f"denied:{action}",
                           case_id=t.case.id, detail=detail)  # fmt: skip
        return _r(Outcome.NOT_ALLOWED, _NOT_ALLOWED)

    async def _rules(self, t: _Tx, step: Step) -> WorkflowResult | None:
        parties = await self.store.parties(t.conn, t.case.id)
        failed = failed_rules(step.requires, parties, party_facts(t.case))
        if failed:
            return _r(Outcome.RULE_FAILED, RULE_MESSAGES[failed[0]], rules=failed)
        return None

    # -- for the Telegram staff side --------------------------------------------

    @staticmethod
    def may(view: StepView, user_id: int, need: str) -> bool:
        """Whether a user may do `need` (see NEEDS) on a step; the use cases check the same."""
        return permissions.may(need, view.office, view.step, view.row.assignee_user_id, user_id)
