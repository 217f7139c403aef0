"""The SOP model: steps, time standards, transitions and the names they may use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.domain.duration import Duration, Unit
from bot.domain.office import Role

__all__ = [
    "ADDRESSEES",
    "DEFAULT_OUTCOME",
    "DOCUMENTS",
    "DURATION_SOURCES",
    "END",
    "RULES",
    "SERVICES",
    "SESSION_SOURCE",
    "SOP_PREFIX",
    "Deadline",
    "Sop",
    "SopError",
    "Step",
    "handover_target",
]

END = "end"
SOP_PREFIX = "sop:"
DEFAULT_OUTCOME = "done"
# Service names an office maps to SOP keys in its `sops` table.
SERVICES = frozenset({"intake", "case_management", "mediation", "accompaniment"})
# Letter / record templates a step can produce.
DOCUMENTS = frozenset(
    {
        "surat_undangan_mediasi",
        "surat_pemberitahuan",
        "surat_tugas",
        "surat_rujukan",
        "berita_acara_mediasi",
        "rekam_kasus",
        "lembar_disposisi",
        "surat_pernyataan_persetujuan",
        "laporan",
    }
)
# To whom a step's letter is addressed (the seed's words): the reported party, the applicant,
# or both parties with their companions and the mediator.
ADDRESSEES = frozenset({"terlapor", "pemohon", "para_pihak"})
# Conditions a step checks before it can start.
RULES = frozenset({"child_party_needs_guardian", "special_needs_party_needs_companion"})
# Where a step's time standard may come from instead of the SOP file.
DURATION_SOURCES = frozenset({"office.first_response", "mediation.session"})
# The step's work happens at the mediation session scheduled earlier in its SOP instance.
SESSION_SOURCE = "mediation.session"


class SopError(Exception):
    """An SOP file is wrong; the message names the file, step and field."""


@dataclass(frozen=True)
class Step:
    """One step of an SOP: who does what, with which inputs, how fast, and what next."""

    key: str
    title: str
    actors: tuple[Role, ...]
    duration: Duration
    output: str
    transitions: Mapping[str, str] = field(hash=False, default_factory=dict)
    inputs: tuple[str, ...] = ()
    extendable: bool = False
    output_document: str | None = None
    requires: tuple[str, ...] = ()
    # roles that may choose the outcome (defaults to the actors)
    decided_by: tuple[Role, ...] = ()
    # e.g. "office.first_response": the office's standard replaces `duration`
    duration_from: str | None = None
    # a second time standard printed in the seed, kept for reference
    alt_duration: Duration | None = None
    # extra time an approved extension grants (default: the step's own duration)
    extension: Duration | None = None
    # "sop:<key or service>" carried out as part of this step, before it completes
    runs: str | None = None
    # the step's output (a report, a file or one of its letters) is needed to finish it;
    # without it only the head closes the step, with a reason (audited)
    output_required: bool = False
    # further letters the step can make (Surat Tugas "dan atau" Surat Rujukan)
    extra_documents: tuple[str, ...] = ()
    # to whom the step's letter is addressed (ADDRESSEES), when the seed says
    output_to: str | None = None
    # the mediation session is set at this step (besides a step with rules or the invitation)
    sets_session: bool = False
    # the step's result names who does the next step (Tangerang: the disposition to an expert)
    names_next: bool = False
    # roles told when the step is done (Tangerang: the mediator receives the Ketua's order)
    informs: tuple[Role, ...] = ()
    note: str = ""

    @property
    def outcomes(self) -> tuple[str, ...]:
        """Possible outcomes, in file order (the first is the usual path)."""
        return tuple(self.transitions)

    @property
    def extra_time(self) -> Duration:
        """What one approved extension adds: `extension`, else the step's duration."""
        return self.extension or self.duration

    @property
    def from_session(self) -> bool:
        """Whether the due time counts from the instance's scheduled mediation session."""
        return self.duration_from == SESSION_SOURCE

    @property
    def documents(self) -> tuple[str, ...]:
        """Every document the step can produce, its `output_document` first."""
        return ((self.output_document,) if self.output_document else ()) + self.extra_documents

    @property
    def schedules_session(self) -> bool:
        """Whether a mediation session is set at this step: `sets_session`, its party rules
        (`requires`) or its invitation letter."""
        return (
            self.sets_session
            or bool(self.requires)
            or self.output_document == "surat_undangan_mediasi"
        )

    @property
    def deciders(self) -> tuple[Role, ...]:
        """Roles allowed to choose this step's outcome."""
        return self.decided_by or self.actors

    def next(self, outcome: str = DEFAULT_OUTCOME) -> str:
        """Target of an outcome: a step key, "end" or "sop:<name>"."""
        try:
            return self.transitions[outcome]
        except KeyError:
            raise KeyError(f"step {self.key!r} has no outcome {outcome!r}") from None


@dataclass(frozen=True)
class Deadline:
    """An SOP-level time standard: from the instance's start until one of `until` opens
    (a step key) or the instance ends ("end")."""

    key: str
    within: Duration
    until: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Sop:
    """A standard operating procedure, independent of any office."""

    key: str
    title: str
    steps: tuple[Step, ...]
    first_step: str
    seed: str = ""
    source: str = ""
    total: Duration | None = None
    total_note: str = ""
    # SOP-level time standards tracked as deadlines (Pekalongan 5 and 14 working days)
    deadlines: tuple[Deadline, ...] = ()
    # the procedure starts at the applicant's request (Pekalongan): staff record it on a case
    # (Workflow.record_request) and its first step is the recording
    starts_at_request: bool = False

    def step(self, key: str) -> Step:
        """The step with that key (KeyError if there is none)."""
        for s in self.steps:
            if s.key == key:
                return s
        raise KeyError(f"SOP {self.key!r} has no step {key!r}")

    def roles(self) -> frozenset[Role]:
        """Every role that acts or decides in this SOP."""
        return frozenset(r for s in self.steps for r in (*s.actors, *s.decided_by))

    def handovers(self) -> frozenset[str]:
        """Names after "sop:" this SOP hands over to or runs (SOP keys or services)."""
        targets = [t for s in self.steps for t in s.transitions.values()]
        targets += [s.runs for s in self.steps if s.runs]
        return frozenset(n for t in targets if (n := handover_target(t)) is not None)

    def main_path(self) -> tuple[Step, ...]:
        """Steps from the first step, always taking the first-listed outcome."""
        path: list[Step] = []
        key: str | None = self.first_step
        while key is not None and all(s.key != key for s in path):
            s = self.step(key)
            path.append(s)
            target = s.transitions[s.outcomes[0]]
            key = target if target != END and handover_target(target) is None else None
        return tuple(path)

    def nominal_total(self) -> tuple[Duration, ...]:
        """Sum of the time standards along the main path, one Duration per kind of unit."""
        office_minutes = 0
        days: dict[Unit, int] = {}
        for s in self.main_path():
            if s.duration.unit in (Unit.MINUTES, Unit.HOURS):
                office_minutes += s.duration.minutes
            else:
                days[s.duration.unit] = days.get(s.duration.unit, 0) + s.duration.value
        out = [Duration(v, u) for u, v in sorted(days.items()) if v]
        if office_minutes % 60 == 0 and office_minutes:
            out.append(Duration(office_minutes // 60, Unit.HOURS))
        elif office_minutes:
            out.append(Duration(office_minutes, Unit.MINUTES))
        return tuple(out)


def handover_target(target: str) -> str | None:
    """The name after "sop:" in a transition target, or None for a step key / "end"."""
    return target[len(SOP_PREFIX) :] if target.startswith(SOP_PREFIX) else None
