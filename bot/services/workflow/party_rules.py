"""The mediation parties' safeguarding rules (a step's `requires`), failing closed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.i18n_marker import N_
from bot.store.cases import CaseRow
from bot.store.mediation import Party

__all__ = ["RULE_MESSAGES", "VICTIM_SIDE", "PartyFacts", "failed_rules", "party_facts"]

# roles on the victim's side of a mediation
VICTIM_SIDE = frozenset({"korban", "pelapor", "pemohon"})

RULE_MESSAGES = {
    "child_party_needs_guardian": N_(
        "A child party must come with a parent, family member, guardian or companion."
    ),
    "special_needs_party_needs_companion": N_(
        "A party with special needs needs a special companion."
    ),
    "parties_not_recorded": N_(
        "Record both parties first: the victim's side and the reported party."
    ),
    "guardian_is_reported_party": N_(
        "The reported party cannot be a child's parent, guardian or companion at the mediation."
    ),
}


@dataclass(frozen=True)
class PartyFacts:
    """What the intake and the assessment know about the parties (None: not known)."""

    child_victim: bool = False
    perpetrator_child: bool | None = None
    victim_special_needs: bool = False


def party_facts(case: CaseRow) -> PartyFacts:
    """The intake's victim age and disability and the assessed perpetrator age of a case."""
    return PartyFacts(case.child_victim, case.perpetrator_child, case.disability)


def _child(p: Party, facts: PartyFacts) -> bool:
    if p.role == "korban" and facts.child_victim:
        return True  # the intake's age counts even if the party was recorded as an adult
    return p.is_child or (p.role == "terlapor" and facts.perpetrator_child is True)


def _special(p: Party, facts: PartyFacts) -> bool:
    return p.has_special_needs or (p.role == "korban" and facts.victim_special_needs)


def failed_rules(
    rules: Iterable[str], parties: Iterable[Party], facts: PartyFacts | None = None
) -> list[str]:
    """The `requires` rules the recorded mediation parties do not meet.

    Fails closed: with any rule to check, both sides must be recorded (and a child victim by
    the intake's age needs her own party record); a child's guardian may not be the reported
    party.
    """
    ps, failed, f = list(parties), [], facts or PartyFacts()
    rules = list(rules)
    for rule in rules:
        if rule == "child_party_needs_guardian":
            bad = any(_child(p, f) and not p.guardian_present for p in ps)
            bad = bad or (f.child_victim and not any(p.role == "korban" for p in ps))
            if any(_child(p, f) and p.guardian_is_terlapor for p in ps):
                failed.append("guardian_is_reported_party")
        else:  # special_needs_party_needs_companion
            bad = any(_special(p, f) and not p.special_companion_present for p in ps)
        failed += [rule] if bad else []
    both = any(p.role in VICTIM_SIDE for p in ps) and any(p.role == "terlapor" for p in ps)
    if rules and not both:
        failed.append("parties_not_recorded")
    return failed
