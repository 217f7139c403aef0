"""Eligibility rules: the law's red lines as data, evaluated in the domain."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.eligibility import CaseFacts, EligibilityError, load_rules

RULES = load_rules()


def facts(*violence: str, **kw: object) -> CaseFacts:
    return CaseFacts(violence=frozenset(violence), **kw)  # type: ignore[arg-type]


def test_sexual_violence_is_never_mediated_and_names_pasal_23() -> None:
    d = RULES.decide("mediation", facts("sexual", "physical"))
    assert not d.allowed
    assert "UU 12/2022 (TPKS) Pasal 23" in d.articles
    assert d.referrals == ()


def test_sexual_violence_by_a_child_goes_to_diversion() -> None:
    d = RULES.decide("mediation", facts("sexual", perpetrator_child=True))
    assert not d.allowed
    assert d.referrals == ("diversion_referral",)
    assert any("SPPA" in a for a in d.articles)


def test_civil_mediation_beside_a_sexual_violence_case_is_allowed() -> None:
    assert RULES.decide("mediation_civil", facts("sexual", child_victim=True)).allowed


@pytest.mark.parametrize(
    ("case", "article"),
    [
        (facts("physical", child_victim=True), "UU 35/2014"),
        (facts("trafficking"), "UU 21/2007"),
        (facts("physical", "domestic", kdrt_severe=True), "UU 23/2004"),
        (facts("psychological", perpetrator_child=True), "UU 11/2012"),
    ],
)
def test_other_red_lines(case: CaseFacts, article: str) -> None:
    d = RULES.decide("mediation", case)
    assert not d.allowed
    assert any(article in a for a in d.articles)


def test_an_adult_complaint_offence_may_be_mediated() -> None:
    d = RULES.decide("mediation", facts("psychological", "domestic", relation="spouse"))
    assert d.allowed and d.articles == ()


def test_unassessed_facts_never_match_a_true_condition() -> None:
    assert RULES.decide("mediation", facts("physical", "domestic")).allowed
    assert not RULES.decide("mediation", facts("physical", "domestic", kdrt_severe=True)).allowed


def test_other_services_are_not_limited() -> None:
    for service in RULES.services:
        if service != "mediation":
            assert RULES.decide(service, facts("sexual", "trafficking", child_victim=True)).allowed


def test_unknown_service_is_an_error() -> None:
    with pytest.raises(KeyError):
        RULES.decide("karaoke", facts())


BAD = [
    ('services = ["mediation"]\n[[rule]]\nservices = ["mediation"]', "needs a key"),
    ('services = ["mediation"]\n[[rule]]\nkey = "x"\nservices = ["nope"]', "unknown service"),
    (
        'services = ["mediation"]\n[[rule]]\nkey = "x"\nservices = ["mediation"]\n'
        'when = { moon = true }\neffect = "refuse"\narticle = "a"\nreason = "r"',
        "unknown condition",
    ),
    (
        'services = ["mediation"]\n[[rule]]\nkey = "x"\nservices = ["mediation"]\n'
        'when = { child_victim = "yes" }\neffect = "refuse"\narticle = "a"\nreason = "r"',
        "true or false",
    ),
    (
        'services = ["mediation"]\n[[rule]]\nkey = "x"\nservices = ["mediation"]\n'
        'when = { child_victim = true }\neffect = "refer"\narticle = "a"\nreason = "r"',
        "refer_to",
    ),
    (
        'services = ["mediation"]\n[[rule]]\nkey = "x"\nservices = ["mediation"]\n'
        'when = { child_victim = true }\neffect = "refuse"\nreason = "r"',
        "'article' is required",
    ),
    ("services = [", "eligibility.toml"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_malformed_rules_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "eligibility.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EligibilityError, match=message.replace("(", r"\(")):
        load_rules(path)


def test_sops_check_reports_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.config import Settings
    from bot.sops_cli import SOPS_DIR, sops_check

    offices = Settings.model_fields["ppa_offices"].default
    assert sops_check(SOPS_DIR, offices) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "eligibility: 6 rules limiting mediation"


def test_sops_check_fails_on_broken_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.config import Settings
    from bot.sops_cli import SOPS_DIR, sops_check

    bad = tmp_path / "eligibility.toml"
    bad.write_text(BAD[1][0], encoding="utf-8")
    offices = Settings.model_fields["ppa_offices"].default
    assert sops_check(SOPS_DIR, offices, bad) == 2
    assert "unknown service" in capsys.readouterr().err
