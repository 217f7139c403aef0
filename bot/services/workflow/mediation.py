"""Use cases of mediation: record its parties, schedule and move its sessions, list both."""

from __future__ import annotations

from datetime import datetime

from bot.domain.i18n_marker import N_
from bot.domain.identity import actor_for
from bot.domain.office import Office
from bot.domain.permissions import (
    is_scheduling_step,
    may_act_on_step,
    may_decide_as_head,
    may_record_party,
    may_schedule_mediation,
)
from bot.domain.sop import Step
from bot.domain.validation import clean_text
from bot.services.workflow.engine import (
    _NOT_OPEN,
    PARTY_ROLES,
    Engine,
    Outcome,
    WorkflowResult,
    _group,
    _r,
    _Tx,
)
from bot.services.workflow.party_rules import failed_rules, party_facts
from bot.store.audit import append_audit
from bot.store.workflow import MediationRow, Party, StepRow, iso

__all__ = ["MediationUseCases"]


class MediationUseCases(Engine):
    """Mediation parties and sessions of a case."""

    async def record_party(
        self, case_id: int, user_id: int, role: str, is_child: bool, has_special_needs: bool,
        guardian_present: bool, special_companion_present: bool, party_id: int | None = None,
        guardian_is_terlapor: bool = False,
    ) -> WorkflowResult:  # fmt: skip
        """Staff of the case's office record (or, with party_id, correct) a mediation party.

        ``guardian_is_terlapor``: the child's parent / guardian / companion who comes is the
        reported party (the rule then refuses the session)."""
        now, actor = self.svc.clock.now(), actor_for(user_id)
        async with self.svc.db.transaction() as conn:
            case = await self.svc.cases.get(conn, case_id)
            office = self.svc.offices.get(case.office_id) if case else None
            if case is None or office is None:
                return _r(Outcome.NOT_FOUND, N_("There is no such case."))
            t = _Tx(conn, case, office, now, actor)
            if not may_record_party(office, user_id):
                return await self._deny(t, "record_party")
            if role not in PARTY_ROLES:
                return _r(Outcome.INVALID, N_("Unknown party role {role}."), role=role)
            pid = await self.store.save_party(
                conn, case_id, party_id, role, is_child=is_child,
                has_special_needs=has_special_needs, guardian_present=guardian_present,
                special_companion_present=special_companion_present,
                guardian_is_terlapor=guardian_is_terlapor and guardian_present,
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
            if not may_schedule_mediation(t.office, step, row.assignee_user_id, user_id):
                return await self._deny(t, "schedule_mediation", step_id)
            if row.status != "open":
                return _r(Outcome.INVALID, _NOT_OPEN)
            if (refused := await self._rules(t, step)) is not None:
                return refused
            if (bad := self._check_session(t, when, location)) is not None:
                return bad
            earlier = await self.store.instance_session(conn, row.instance_id)
            if earlier is not None:  # set at an earlier step (the order): this moves it
                return await self._move(t, step_id, earlier, when, clean_text(location))
            mid = await self.store.insert_mediation(
                conn, case_id=t.case.id, step_id=step_id, scheduled_at=when,
                location=clean_text(location), created_by=user_id, at=t.now,
            )  # fmt: skip
            eid = await self._event(t, step_id, "mediation_scheduled", mediation_id=mid,
                                    scheduled_at=iso(when))  # fmt: skip
            await append_audit(conn, at=t.now, actor=t.actor, action="schedule_mediation",
                               case_id=t.case.id, detail=f"mediation {mid}")  # fmt: skip
            await self._send(t, _group(t), "mediation_scheduled", str(eid),
                             case_id=t.case.id, step_id=step_id, mediation_id=mid,
                             scheduled_at=iso(when))  # fmt: skip
            await self._milestone(t, "mediation_scheduled")
            await self._follow_session(t, row.instance_id)
        return _r(Outcome.OK, mediation_id=mid)

    async def reschedule_mediation(
        self, mediation_id: int, user_id: int, when: datetime, location: str | None = None
    ) -> WorkflowResult:
        """Move a scheduled session (and, when given, its place).

        Allowed to whoever may schedule it at its step, whoever may do the open step held at
        the session, and the head. The session reminders follow the new time (the sweep keys
        them by it); the step timed from the session gets its due time from the new time.
        """
        async with self.svc.db.transaction() as conn:
            m = await self.store.get_mediation(conn, mediation_id)
            if m is None:
                return _r(Outcome.NOT_FOUND, N_("There is no such mediation session."))
            begun = await self._begin(conn, m.step_id, user_id, "reschedule_mediation")
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            allowed, movable = await self._move_rights(t, row, step, user_id)
            if not allowed:
                return await self._deny(t, "reschedule_mediation", m.step_id)
            if m.status != "scheduled" or not movable:
                return _r(Outcome.INVALID, N_("This mediation session can no longer be moved."))
            if (bad := self._check_session(t, when, location)) is not None:
                return bad
            place = clean_text(location) if location is not None else None
            return await self._move(t, m.step_id, m, when, place)

    async def _move_rights(
        self, t: _Tx, row: StepRow, step: Step, user_id: int
    ) -> tuple[bool, bool]:
        """(may the user move the session set at ``row``, is a step held at it still open).

        Whoever may schedule it at its step, the head, or whoever may do an open step of the
        same instance held at the session (the scheduling step or the session step)."""
        opened = [
            (r, self.sops[r.sop_key].step(r.step_key))
            for r in await self.store.open_steps_for_case(t.conn, t.case.id)
            if r.instance_id == row.instance_id
        ]
        held_at = [
            (r, s) for r, s in opened if r.id == row.id or s.from_session or is_scheduling_step(s)
        ]
        allowed = (
            may_schedule_mediation(t.office, step, row.assignee_user_id, user_id)
            or may_decide_as_head(t.office, user_id)
            or any(
                may_act_on_step(t.office, s, r.assignee_user_id, user_id)
                for r, s in held_at
                if r.id != row.id
            )
        )
        return allowed, bool(held_at)

    async def movable_sessions(self, case_id: int, user_id: int) -> list[MediationRow]:
        """The case's scheduled sessions this user may move now (for the buttons; the use
        case checks the same again)."""
        out: list[MediationRow] = []
        async with self.svc.db.reading() as conn:
            case = await self.svc.cases.get(conn, case_id)
            office = self.svc.offices.get(case.office_id) if case else None
            if case is None or office is None:
                return out
            t = _Tx(conn, case, office, self.svc.clock.now(), actor_for(user_id))
            for m in await self.store.mediations(conn, case_id):
                row = await self.store.get_step(conn, m.step_id)
                if m.status != "scheduled" or row is None:
                    continue
                step = self.sops[row.sop_key].step(row.step_key)
                if all(await self._move_rights(t, row, step, user_id)):
                    out.append(m)
        return out

    async def session_to_move(
        self, mediation_id: int, user_id: int
    ) -> tuple[MediationRow, Office] | None:
        """A session this user may move now, with its office (None: not, or not any more)."""
        async with self.svc.db.reading() as conn:
            m = await self.store.get_mediation(conn, mediation_id)
            case = await self.svc.cases.get(conn, m.case_id) if m else None
        office = self.svc.offices.get(case.office_id) if case else None
        if m is None or office is None:
            return None
        movable = await self.movable_sessions(m.case_id, user_id)
        return (m, office) if any(s.id == m.id for s in movable) else None

    async def _move(
        self, t: _Tx, step_id: int, m: MediationRow, when: datetime, place: str | None
    ) -> WorkflowResult:
        """Give a scheduled session a new time (and place); the session step follows it."""
        if not await self.store.move_mediation(t.conn, m.id, when, place):
            return _r(Outcome.INVALID, N_("This mediation session can no longer be moved."))
        eid = await self._event(t, step_id, "mediation_rescheduled", mediation_id=m.id,
                                scheduled_at=iso(when), previous_at=iso(m.scheduled_at),
                                place_changed=place is not None)  # fmt: skip
        moved = f"mediation {m.id}: {iso(m.scheduled_at)} -> {iso(when)}"
        await append_audit(t.conn, at=t.now, actor=t.actor, action="reschedule_mediation",
                           case_id=t.case.id, detail=moved)  # fmt: skip
        await self._send(t, _group(t), "mediation_scheduled", str(eid),
                         case_id=t.case.id, step_id=step_id, mediation_id=m.id,
                         scheduled_at=iso(when), previous_at=iso(m.scheduled_at),
                         rescheduled=True)  # fmt: skip
        await self._milestone(t, "mediation_scheduled")
        held_by = await self.store.get_step(t.conn, m.step_id)
        assert held_by is not None
        await self._follow_session(t, held_by.instance_id)
        return _r(Outcome.OK, mediation_id=m.id, scheduled_at=iso(when))

    def _check_session(self, t: _Tx, when: datetime, location: str | None) -> WorkflowResult | None:
        """A session time in the future and in office hours, and a place (when one is given)."""
        calendar = self.svc.calendars[t.office.id]
        if when.tzinfo is None or when <= t.now:
            return _r(Outcome.INVALID, N_("The mediation time must be in the future."))
        if not calendar.is_open(when):
            return _r(Outcome.INVALID, N_("The office is closed at that time."),
                      next_opening=iso(calendar.next_opening(when)))  # fmt: skip
        if location is not None and not clean_text(location):
            return _r(Outcome.INVALID, N_("Say where the mediation takes place."))
        return None

    async def add_party(
        self, step_id: int, user_id: int, role: str, is_child: bool, has_special_needs: bool,
        guardian_present: bool, special_companion_present: bool, party_id: int | None = None,
        guardian_is_terlapor: bool = False,
    ) -> WorkflowResult:  # fmt: skip
        """Someone who may schedule an open step's mediation records (or corrects) a party."""
        async with self.svc.db.transaction() as conn:
            begun = await self._begin(conn, step_id, user_id, "record_party")
            if isinstance(begun, WorkflowResult):
                return begun
            t, row, step = begun
            if not may_schedule_mediation(t.office, step, row.assignee_user_id, user_id):
                return await self._deny(t, "record_party", step_id)
            if row.status != "open":
                return _r(Outcome.INVALID, _NOT_OPEN)
        return await self.record_party(
            row.case_id, user_id, role, is_child, has_special_needs, guardian_present,
            special_companion_present, party_id, guardian_is_terlapor,
        )  # fmt: skip

    async def unmet_rules(self, case_id: int, rules: tuple[str, ...]) -> list[str]:
        """The party rules a case does not meet yet (the intake's facts included)."""
        async with self.svc.db.reading() as conn:
            case = await self.svc.cases.get(conn, case_id)
            parties = await self.store.parties(conn, case_id)
        return failed_rules(rules, parties, party_facts(case) if case else None)

    async def parties(self, case_id: int) -> list[Party]:
        """A case's recorded mediation parties (no personal data)."""
        async with self.svc.db.reading() as conn:
            return await self.store.parties(conn, case_id)

    async def mediations(self, case_id: int) -> list[MediationRow]:
        """A case's scheduled mediation sessions (without the location)."""
        async with self.svc.db.reading() as conn:
            return await self.store.mediations(conn, case_id)
