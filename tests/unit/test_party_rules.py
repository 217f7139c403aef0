"""The mediation parties' rules fail closed and read the intake's and assessment's facts."""

from __future__ import annotations

from bot.services.workflow.party_rules import PartyFacts, failed_rules
from bot.store.mediation import Party

BOTH = ("child_party_needs_guardian", "special_needs_party_needs_companion")


def _p(role: str, child: bool = False, special: bool = False, guardian: bool = False,
       companion: bool = False, guardian_is_terlapor: bool = False) -> Party:  # fmt: skip
    return Party(0, 1, role, child, special, guardian, companion, guardian_is_terlapor)


def test_no_parties_fails_closed() -> None:
    assert failed_rules(BOTH, []) == ["parties_not_recorded"]
    assert failed_rules(BOTH, [_p("korban")]) == ["parties_not_recorded"]
    assert failed_rules(BOTH, [_p("korban"), _p("terlapor")]) == []
    assert failed_rules((), []) == []  # a step without rules checks nothing


def test_intake_age_and_disability_count() -> None:
    adults = [_p("korban"), _p("terlapor")]
    child = PartyFacts(child_victim=True)
    assert failed_rules(BOTH, adults, child) == ["child_party_needs_guardian"]
    guarded = [_p("korban", guardian=True), _p("terlapor")]
    assert failed_rules(BOTH, guarded, child) == []
    # a child victim by the intake must have her own party record
    assert "child_party_needs_guardian" in failed_rules(BOTH, [_p("pelapor"), _p("terlapor")],
                                                        child)  # fmt: skip
    assert failed_rules(BOTH, adults, PartyFacts(perpetrator_child=True)) == [
        "child_party_needs_guardian"]  # fmt: skip
    assert failed_rules(BOTH, adults, PartyFacts(victim_special_needs=True)) == [
        "special_needs_party_needs_companion"]  # fmt: skip


def test_guardian_may_not_be_the_reported_party() -> None:
    parties = [_p("korban", child=True, guardian=True, guardian_is_terlapor=True), _p("terlapor")]
    assert failed_rules(BOTH, parties) == ["guardian_is_reported_party"]
