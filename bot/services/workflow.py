"""SOP runtime: run SOP instances for a case; open, assign, extend and complete their steps."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain.i18n_marker import N_
from bot.domain.notice import Notice, Recipient
from bot.domain.office import Office, Role
from bot.domain.sop import END, Sop, Step, handover_target, load_all
from bot.services.context import Services
from bot.store.audit import append_audit
from bot.store.cases import CaseRow
from bot.store.workflow import (
    InstanceRow,
    MediationRow,
    Party,
    StepRow,
    WorkflowStore,
    iso,
)

__all__ = [
    "PARTY_ROLES",
    "REASON_REQUIRED",
    "RULE_MESSAGES",
    "InstanceProgress",
    "Outcome",
    "StepView",
    "Workflow",
    "WorkflowResult",
    "failed_rules",
    "load_sops",
]

DONE = "done"
REASON_REQUIRED = frozenset({"rejected", "not_cooperative", "not_mediable", "not_a_case"})
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
    steps: tuple[StepRow, ...]


@dataclass(frozen=True)
class StepView:
    """A step with its SOP definition, case and office (for rendering and buttons)."""

    row: StepRow
    step: Step
    case: CaseRow
    office: Office


# what a button press needs: any staff of the office, someone who may do the step,
# someone who may choose its outcome, the head, or someone who may schedule its mediation
NEEDS = frozenset({"staff", "act", "decide", "head", "schedule"})


@dataclass
class _Tx:
    conn: aiosqlite.Connection
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


def failed_rules(rules: Iterable[str], parties: Iterable[Party]) -> list[str]:
    """The `requires` rules the recorded mediation parties do not meet."""
    ps, failed = list(parties), []
    for rule in rules:
        if rule == "child_party_needs_guardian":
            bad = any(p.is_child and not p.guardian_present for p in ps)
        else:  # special_needs_party_needs_companion
            bad = any(p.has_special_needs and not p.special_companion_present for p in ps)
        failed += [rule] if bad else []
    return failed


RULE_MESSAGES = {
    "child_party_needs_guardian": N_(
        "A child party must come with a parent, family member, guardian or companion."
    ),
    "special_needs_party_needs_companion": N_(
        "A party with special needs needs a special companion."
    ),
}
_NOT_ALLOWED = N_("You are not allowed to do this for this case.")
_NOT_OPEN = N_("This step is not open.")


class Workflow:
    """Use cases of the SOP runtime; each one runs in one transaction."""

    def __init__(self, svc: Services, sops: Mapping[str, Sop]) -> None:
        self.svc = svc
        self.sops = dict(sops)
        self.store = WorkflowStore(svc.cipher)

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

    async def _send(self, t: _Tx, to: Recipient | int, kind: str, key: str, **payload: Any) -> None:
        """Queue a notice to a person (a roster user id) or a place; one per event and recipient."""
        who = to if isinstance(to, Recipient) else Recipient.person(to)
        await self.svc.outbox.add(t.conn, Notice(
            kind=kind, recipient=who, params=payload, case_id=t.case.id,
            language=t.office.language, dedupe_key=f"{kind}:{key}:{who.key()}",
        ), at=t.now)  # fmt: skip

    async def _milestone(self, t: _Tx, milestone: str) -> None:
        reachable = await self.svc.cases.reporter_chat(t.conn, t.case.id) is not None
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

    async def _start(self, t: _Tx, name: str, parent: int | None, parent_step: int | None) -> None:
        key, service = self._resolve(t.office, name)
        iid = await self.store.insert_instance(
            t.conn, case_id=t.case.id, sop_key=key, service=service, at=t.now,
            parent_instance_id=parent, parent_step_id=parent_step,
        )  # fmt: skip
        data = {"instance_id": iid, "sop": key, "service": service}
        await self.svc.cases.add_event(t.conn, t.case.id, t.now, t.actor, "sop_started", data)
        if service is not None and service != "intake":
            await self._milestone(t, f"{service}_started")
        await self._open(t, iid, self.sops[key], self.sops[key].first_step)

    async def _open(self, t: _Tx, instance_id: int, sop: Sop, key: str) -> None:
        step = sop.step(key)
        due = None if step.runs else self._due(t, step, t.now)
        sid = await self.store.insert_step(
            t.conn, instance_id=instance_id, case_id=t.case.id, step_key=key, title=step.title,
            roles=tuple(r.value for r in step.actors), opened_at=t.now, due_at=due,
            urgent=t.case.urgent, status="waiting" if step.runs else "open",
        )  # fmt: skip
        if step.runs:
            await self._event(t, sid, "waiting", runs=step.runs)
            target = handover_target(step.runs)
            assert target is not None
            await self._start(t, target, instance_id, sid)
        else:
            assert due is not None
            await self._announce(t, sid, step, due, "opened")

    async def _announce(self, t: _Tx, sid: int, step: Step, due: datetime, kind: str) -> None:
        eid = await self._event(t, sid, kind, step=step.key, due_at=iso(due))
        people = sorted({u for r in step.actors for u in t.office.people_with(r)})
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
            await self._start(t, name, inst.parent_instance_id, inst.parent_step_id)
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
        elif all(i.status != "open" for i in await self.store.instances(t.conn, t.case.id)):
            await t.conn.execute(
                "UPDATE cases SET status = 'closed', stage = 'closed', closed_at = ? WHERE id = ?",
                (iso(t.now), t.case.id),
            )
            await self.svc.cases.add_event(t.conn, t.case.id, t.now, t.actor, "closed")
            await append_audit(t.conn, at=t.now, actor=t.actor, action="case_closed",
                               case_id=t.case.id)  # fmt: skip
            await self._milestone(t, "case_closed")

    async def _begin(
        self, conn: aiosqlite.Connection, step_id: int, user_id: int, action: str
    ) -> tuple[_Tx, StepRow, Step] | WorkflowResult:
        now, actor = self.svc.clock.now(), f"tg:{user_id}"
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
        failed = failed_rules(step.requires, await self.store.parties(t.conn, t.case.id))
        if failed:
            return _r(Outcome.RULE_FAILED, RULE_MESSAGES[failed[0]], rules=failed)
        return None

    # -- use cases ------------------------------------------------------------

    async def start_intake(self, case_id: int, actor: str = "system") -> WorkflowResult:
        """Start the office's intake SOP for a case (idempotent: once per case)."""
        now = self.svc.clock.now()
        async with self.svc.db.transaction() as conn:
            case = await self.svc.cases.get(conn, case_id)
            office = self.svc.offices.get(case.office_id) if case else None
            if case is None or office is None:
                return _r(Outcome.NOT_FOUND, N_("There is no such case."))
            if await self.store.instances(conn, case_id):
                return _r(Outcome.OK, N_("The case's procedure has already started."))
            if "intake" not in office.sops:
                return _r(Outcome.INVALID, N_("The office has no intake procedure."))
            t = _Tx(conn, case, office, now, actor)
            await self._start(t, "intake", None, None)
            await append_audit(conn, at=now, actor=actor, action="sop_start", case_id=case_id,
                               detail=office.sops["intake"])  # fmt: skip
        return WorkflowResult(Outcome.OK, opened=tuple(t.opened))

    async def complete_step(
        self, step_id: int, user_id: int, outcome: str = DONE, report: str | None = None,
        file: tuple[str, str, bytes] | None = None,
    ) -> WorkflowResult:  # fmt: skip
        """Record a step's outcome and output, then open what the SOP says comes next."""
        return await self._complete(step_id, user_id, outcome, report, file, "complete_step")

    async def decide(
        self, step_id: int, head_user_id: int, outcome: str, reason: str | None = None
    ) -> WorkflowResult:
        """A decider picks a branch (accepted, rejected, terminate); rejections need a reason."""
        return await self._complete(step_id, head_user_id, outcome, reason, None, "decide")

    async def _complete(
        self, step_id: int, user_id: int, outcome: str, report: str | None,
        file: tuple[str, str, bytes] | None, action: str,
    ) -> WorkflowResult:  # fmt: skip
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, user_id, action)
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            held = t.office.roles_of(user_id)
            mine = row.assignee_user_id == user_id and bool(held)
            actor_ok = bool(held & set(step.actors)) or mine
            decider_ok = bool(held & set(step.deciders)) or (mine and not step.decided_by)
            if not (
                decider_ok if action == "decide" or outcome != DONE else actor_ok or decider_ok
            ):
                return await self._deny(t, action, step_id)
            report = report.strip() if report else None
            if row.status != "open":
                return _r(Outcome.INVALID, _NOT_OPEN)
            if outcome not in step.outcomes:
                return _r(Outcome.INVALID, N_("This step has no outcome {outcome}."),
                          outcome=outcome, outcomes=list(step.outcomes))  # fmt: skip
            if outcome in REASON_REQUIRED and not report:
                return _r(Outcome.INVALID, N_("Give the reason for this decision."))
            if report and len(report) > MAX_REPORT_CHARS:
                return _r(Outcome.INVALID, N_("The report is too long."), limit=MAX_REPORT_CHARS)
            if file is not None and len(file[2]) > MAX_FILE_BYTES:
                return _r(Outcome.INVALID, N_("The file is too large."), limit=MAX_FILE_BYTES)
            if (refused := await self._rules(t, step)) is not None:
                return refused
            if not await self.store.complete_step(t.conn, step_id, outcome=outcome,
                                                  user_id=user_id, at=t.now, report=report,
                                                  file=file):  # fmt: skip
                return _r(Outcome.INVALID, _NOT_OPEN)
            await self._event(t, step_id, "completed", outcome=outcome, report=bool(report),
                              file=file is not None)  # fmt: skip
            await append_audit(conn, at=t.now, actor=t.actor, action=action, case_id=t.case.id,
                               detail=f"{row.sop_key}:{row.step_key}:{outcome}")  # fmt: skip
            if action == "decide":
                await self._send(t, _group(t), "step_decided", f"{step_id}",
                                 case_id=t.case.id, step_id=step_id, outcome=outcome)  # fmt: skip
            inst = await self.store.get_instance(conn, row.instance_id)
            assert inst is not None
            await self._follow(t, inst, step, outcome)
        return WorkflowResult(Outcome.OK, opened=tuple(t.opened))

    async def dispose(
        self, case_id: int, head_user_id: int, step_id: int, assignee_user_id: int
    ) -> WorkflowResult:
        """The head gives an unassigned step of the case to a rostered person with its role."""
        return await self._assign(step_id, head_user_id, assignee_user_id, "dispose", case_id)

    async def hand_over(self, step_id: int, head_user_id: int, new_user_id: int) -> WorkflowResult:
        """The head moves a step to another rostered person with its role."""
        return await self._assign(step_id, head_user_id, new_user_id, "hand_over", None)

    async def _assign(
        self, step_id: int, head: int, user: int, action: str, case_id: int | None
    ) -> WorkflowResult:
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, head, action)
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            if case_id is not None and row.case_id != case_id:
                return _r(Outcome.NOT_FOUND, N_("There is no such step."))
            if not t.office.has_role(head, Role.KETUA):
                return await self._deny(t, action, step_id)
            if row.status not in ("open", "waiting"):
                return _r(Outcome.INVALID, _NOT_OPEN)
            if not t.office.has_role(user, *step.actors):
                return _r(Outcome.INVALID, N_("That person does not hold the role for this step."))
            before = row.assignee_user_id
            if action == "dispose" and before is not None:
                return _r(
                    Outcome.INVALID, N_("The step is already assigned; hand it over instead.")
                )
            await self.store.reassign(conn, step_id, user)
            eid = await self._event(t, step_id, "assigned", user_id=user, previous=before)
            await append_audit(conn, at=t.now, actor=t.actor, action=action, case_id=t.case.id,
                               detail=f"step {step_id} -> {user}")  # fmt: skip
            await self._send(t, user, "task_assigned", str(eid), step_id=step_id)
            if before is not None and before != user:
                await self._send(t, before, "task_handed_over", str(eid), step_id=step_id,
                                 to_user_id=user)  # fmt: skip
            await self._send(t, _group(t), "disposition", str(eid),
                             case_id=t.case.id, step_id=step_id, assignee_user_id=user)  # fmt: skip
        return _r(Outcome.OK)

    async def request_extension(self, step_id: int, user_id: int) -> WorkflowResult:
        """Someone doing an extendable step asks the head for more time."""
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, user_id, "request_extension")
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            held = t.office.roles_of(user_id)
            if not (held & set(step.actors) or (row.assignee_user_id == user_id and held)):
                return await self._deny(t, "request_extension", step_id)
            if (refused := await self._extension_check(t, row, step)) is not None:
                return refused
            if await self._pending_extension(t, step_id) is not None:
                return _r(Outcome.INVALID, N_("An extension has already been requested."))
            eid = await self._event(t, step_id, "extension_requested", user_id=user_id)
            await append_audit(conn, at=t.now, actor=t.actor, action="request_extension",
                               case_id=t.case.id, detail=f"step {step_id}")  # fmt: skip
            for head in t.office.people_with(Role.KETUA):
                await self._send(t, head, "extension_requested", str(eid), step_id=step_id,
                                 case_id=t.case.id, user_id=user_id)  # fmt: skip
        return _r(Outcome.OK)

    async def approve_extension(
        self, step_id: int, head_user_id: int, approved: bool
    ) -> WorkflowResult:
        """The head grants (the step's duration again from now) or refuses a requested extension."""
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, head_user_id, "approve_extension")
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            if not t.office.has_role(head_user_id, Role.KETUA):
                return await self._deny(t, "approve_extension", step_id)
            if (refused := await self._extension_check(t, row, step)) is not None:
                return refused
            requester = await self._pending_extension(t, step_id)
            if requester is None:
                return _r(Outcome.INVALID, N_("No extension has been requested."))
            due = self.svc.calendars[t.office.id].add(t.now, step.duration, urgent=row.urgent)
            if approved:
                await self.store.extend_due(conn, step_id, due)
            kind = "extension_approved" if approved else "extension_refused"
            eid = await self._event(t, step_id, kind, due_at=iso(due) if approved else None)
            await append_audit(conn, at=t.now, actor=t.actor, action=kind, case_id=t.case.id,
                               detail=f"step {step_id}")  # fmt: skip
            await self._send(t, requester, "extension_decided", str(eid), step_id=step_id,
                             approved=approved)  # fmt: skip
        return _r(Outcome.OK, due_at=iso(due) if approved else None)

    async def _extension_check(self, t: _Tx, row: StepRow, step: Step) -> WorkflowResult | None:
        if row.status != "open":
            return _r(Outcome.INVALID, _NOT_OPEN)
        if not step.extendable:
            return _r(Outcome.INVALID, N_("The time standard of this step cannot be extended."))
        return None

    async def _pending_extension(self, t: _Tx, step_id: int) -> int | None:
        kinds = ("extension_requested", "extension_approved", "extension_refused")
        last = [e for e in await self.store.events(t.conn, step_id) if e.kind in kinds]
        if last and last[-1].kind == "extension_requested":
            return int(last[-1].data["user_id"])
        return None

    async def record_party(
        self, case_id: int, user_id: int, role: str, is_child: bool, has_special_needs: bool,
        guardian_present: bool, special_companion_present: bool, party_id: int | None = None,
    ) -> WorkflowResult:  # fmt: skip
        """Staff of the case's office record (or, with party_id, correct) a mediation party."""
        now, actor = self.svc.clock.now(), f"tg:{user_id}"
        async with self.svc.db.transaction() as conn:
            case = await self.svc.cases.get(conn, case_id)
            office = self.svc.offices.get(case.office_id) if case else None
            if case is None or office is None:
                return _r(Outcome.NOT_FOUND, N_("There is no such case."))
            t = _Tx(conn, case, office, now, actor)
            if not office.is_staff(user_id):
                return await self._deny(t, "record_party")
            if role not in PARTY_ROLES:
                return _r(Outcome.INVALID, N_("Unknown party role {role}."), role=role)
            pid = await self.store.save_party(
                conn, case_id, party_id, role, is_child=is_child,
                has_special_needs=has_special_needs, guardian_present=guardian_present,
                special_companion_present=special_companion_present,
            )  # fmt: skip
            if pid is None:
                return _r(Outcome.NOT_FOUND, N_("There is no such party."))
            await self.svc.cases.add_event(conn, case_id, now, actor, "party_recorded",
                                           {"party_id": pid})  # fmt: skip
            await append_audit(conn, at=now, actor=actor, action="record_party", case_id=case_id,
                               detail=f"party {pid}")  # fmt: skip
        return _r(Outcome.OK, party_id=pid)

    async def schedule_mediation(
        self, step_id: int, user_id: int, when: datetime, location: str
    ) -> WorkflowResult:
        """Set a step's mediation session: rules met, in office hours, in the future."""
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, user_id, "schedule_mediation")
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            held = t.office.roles_of(user_id)
            if not (
                held & {*step.actors, *step.deciders} or (row.assignee_user_id == user_id and held)
            ):
                return await self._deny(t, "schedule_mediation", step_id)
            if row.status != "open":
                return _r(Outcome.INVALID, _NOT_OPEN)
            if (refused := await self._rules(t, step)) is not None:
                return refused
            calendar = self.svc.calendars[t.office.id]
            if when.tzinfo is None or when <= t.now:
                return _r(Outcome.INVALID, N_("The mediation time must be in the future."))
            if not calendar.is_open(when):
                return _r(Outcome.INVALID, N_("The office is closed at that time."),
                          next_opening=iso(calendar.next_opening(when)))  # fmt: skip
            if not location.strip():
                return _r(Outcome.INVALID, N_("Say where the mediation takes place."))
            mid = await self.store.insert_mediation(
                conn, case_id=t.case.id, step_id=step_id, scheduled_at=when,
                location=location.strip(), created_by=user_id, at=t.now,
            )  # fmt: skip
            eid = await self._event(t, step_id, "mediation_scheduled", mediation_id=mid,
                                    scheduled_at=iso(when))  # fmt: skip
            await append_audit(conn, at=t.now, actor=t.actor, action="schedule_mediation",
                               case_id=t.case.id, detail=f"mediation {mid}")  # fmt: skip
            await self._send(t, _group(t), "mediation_scheduled", str(eid),
                             case_id=t.case.id, step_id=step_id, mediation_id=mid,
                             scheduled_at=iso(when))  # fmt: skip
            await self._milestone(t, "mediation_scheduled")
        return _r(Outcome.OK, mediation_id=mid)

    async def tasks_for(self, user_id: int) -> list[StepRow]:
        """Open steps for a person: assigned to them, or unassigned for a role they hold."""
        found: dict[int, StepRow] = {}
        async with self.svc.db.reading() as conn:
            offices = {o.id for o in self.svc.staff_offices(user_id)}
            for row in await self.store.open_steps_for_assignee(conn, user_id):
                if row.office_id in offices:
                    found[row.id] = row
            for office in self.svc.staff_offices(user_id):
                for role in sorted(office.roles_of(user_id)):
                    for row in await self.store.open_steps_for_role(conn, office.id, role):
                        found[row.id] = row
        return sorted(
            found.values(), key=lambda s: (s.due_at is None, s.due_at or s.opened_at, s.id)
        )

    async def case_progress(self, case_id: int) -> list[InstanceProgress]:
        """A case's SOP instances with their steps (status, due, outcome, who), in order."""
        async with self.svc.db.reading() as conn:
            instances = await self.store.instances(conn, case_id)
            steps = await self.store.steps_of_case(conn, case_id)
        return [
            InstanceProgress(i, tuple(s for s in steps if s.instance_id == i.id)) for i in instances
        ]

    # -- for the Telegram staff side --------------------------------------------

    @staticmethod
    def may(view: StepView, user_id: int, need: str) -> bool:
        """Whether a user may do `need` (see NEEDS) on a step; mirrors the use cases' checks."""
        if need not in NEEDS:
            raise ValueError(f"unknown need {need!r}")
        held = view.office.roles_of(user_id)
        mine = view.row.assignee_user_id == user_id and bool(held)
        actors, deciders = set(view.step.actors), set(view.step.deciders)
        if need == "staff":
            return bool(held)
        if need == "head":
            return Role.KETUA in held
        if need == "decide":
            return bool(held & deciders) or (mine and not view.step.decided_by)
        return bool(held & (actors | deciders)) or mine  # act, schedule

    async def describe(self, step_id: int) -> StepView | None:
        """A step with its SOP step, case and office, without any permission check."""
        async with self.svc.db.reading() as conn:
            row = await self.store.get_step(conn, step_id)
            case = await self.svc.cases.get(conn, row.case_id) if row else None
        office = self.svc.offices.get(case.office_id) if case else None
        if row is None or case is None or office is None or row.sop_key not in self.sops:
            return None
        return StepView(row, self.sops[row.sop_key].step(row.step_key), case, office)

    async def step_view(
        self, step_id: int, user_id: int, need: str, action: str
    ) -> StepView | WorkflowResult:
        """A step for a button press if the user may do `need` on it; denials are audited."""
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, user_id, action)
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            view = StepView(row, step, t.case, t.office)
            if not self.may(view, user_id, need):
                return await self._deny(t, action, step_id)
        return view

    async def add_party(
        self, step_id: int, user_id: int, role: str, is_child: bool, has_special_needs: bool,
        guardian_present: bool, special_companion_present: bool, party_id: int | None = None,
    ) -> WorkflowResult:  # fmt: skip
        """Someone who may schedule an open step's mediation records (or corrects) a party."""
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, user_id, "record_party")
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            if not self.may(StepView(row, step, t.case, t.office), user_id, "schedule"):
                return await self._deny(t, "record_party", step_id)
            if row.status != "open":
                return _r(Outcome.INVALID, _NOT_OPEN)
        return await self.record_party(
            row.case_id, user_id, role, is_child, has_special_needs, guardian_present,
            special_companion_present, party_id,
        )  # fmt: skip

    async def parties(self, case_id: int) -> list[Party]:
        """A case's recorded mediation parties (no personal data)."""
        async with self.svc.db.reading() as conn:
            return await self.store.parties(conn, case_id)

    async def mediations(self, case_id: int) -> list[MediationRow]:
        """A case's scheduled mediation sessions (without the location)."""
        async with self.svc.db.reading() as conn:
            return await self.store.mediations(conn, case_id)
