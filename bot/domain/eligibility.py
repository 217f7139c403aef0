"""Which services the law lets the unit give a case: rules as data, evaluated here."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.domain.intake import victim_age_of

__all__ = [
    "RULES_FILE",
    "CaseFacts",
    "Decision",
    "Effect",
    "EligibilityError",
    "Rule",
    "Rules",
    "facts_from_answers",
    "load_rules",
]

RULES_FILE = Path(__file__).resolve().parent.parent / "sops" / "rules" / "eligibility.toml"

_BOOL_FACTS = ("child_victim", "perpetrator_child", "kdrt_severe")
_LIST_FACTS = ("violence_any", "relation_any")


class EligibilityError(ValueError):
    """The rules file is malformed (message names the file and the rule)."""


class Effect(StrEnum):
    """What a matching rule does to a service."""

    REFUSE = "refuse"
    REFER = "refer"


@dataclass(frozen=True)
class CaseFacts:
    """What the rules look at; ``None`` means not (yet) assessed."""

    violence: frozenset[str] = frozenset()
    child_victim: bool = False
    relation: str | None = None
    perpetrator_child: bool | None = None
    kdrt_severe: bool | None = None


@dataclass(frozen=True)
class Rule:
    """One legal limit on one or more services."""

    key: str
    services: frozenset[str]
    when: Mapping[str, Any]
    effect: Effect
    article: str
    reason: str
    refer_to: str | None = None

    def matches(self, facts: CaseFacts) -> bool:
        """Whether every condition holds (an unassessed fact never matches ``true``)."""
        for name, wanted in self.when.items():
            if name == "violence_any":
                if not facts.violence & set(wanted):
                    return False
            elif name == "relation_any":
                if facts.relation not in set(wanted):
                    return False
            elif getattr(facts, name) is not wanted:
                return False
        return True


@dataclass(frozen=True)
class Decision:
    """The rules that limit one service for one case, most specific first."""

    service: str
    refusals: tuple[Rule, ...] = ()

    @property
    def allowed(self) -> bool:
        """True when no rule refuses the service."""
        return not self.refusals

    @property
    def referrals(self) -> tuple[str, ...]:
        """Services the case goes to instead (each once, in rule order)."""
        out: list[str] = []
        for r in self.refusals:
            if r.refer_to and r.refer_to not in out:
                out.append(r.refer_to)
        return tuple(out)

    @property
    def articles(self) -> tuple[str, ...]:
        """The articles that ground the refusal."""
        return tuple(dict.fromkeys(r.article for r in self.refusals))


@dataclass(frozen=True)
class Rules:
    """The services the unit knows and the rules that limit them."""

    services: tuple[str, ...]
    rules: tuple[Rule, ...]

    def decide(self, service: str, facts: CaseFacts) -> Decision:
        """Which rules refuse ``service`` for a case with these facts."""
        if service not in self.services:
            raise KeyError(f"unknown service {service!r}")
        hits = tuple(r for r in self.rules if service in r.services and r.matches(facts))
        return Decision(service, hits)

    def reasons(self) -> Iterable[str]:
        """Every rule's reason (message ids for the catalogs)."""
        return (r.reason for r in self.rules)


def facts_from_answers(answers: Mapping[str, Any]) -> CaseFacts:
    """What a complaint form's answers tell the rules (the same reading as the intake)."""
    age = victim_age_of(answers)
    violence = answers.get("violence") or []
    relation = answers.get("relation")
    return CaseFacts(
        violence=frozenset(str(v) for v in violence),
        child_victim=age is not None and age < 18,
        relation=str(relation) if relation else None,
    )


def _rule(raw: Mapping[str, Any], services: tuple[str, ...], where: str) -> Rule:
    key = raw.get("key")
    if not isinstance(key, str) or not key:
        raise EligibilityError(f"{where}: every rule needs a key")
    where = f"{where}: rule {key!r}"
    named = raw.get("services")
    if not isinstance(named, list) or not named:
        raise EligibilityError(f"{where}: 'services' must list at least one service")
    unknown = sorted(set(named) - set(services))
    if unknown:
        raise EligibilityError(f"{where}: unknown service(s) {unknown}")
    when = raw.get("when")
    if not isinstance(when, dict) or not when:
        raise EligibilityError(f"{where}: 'when' needs at least one condition")
    for name, value in when.items():
        if name in _BOOL_FACTS:
            if value is not True and value is not False:
                raise EligibilityError(f"{where}: when.{name} must be true or false")
        elif name in _LIST_FACTS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise EligibilityError(f"{where}: when.{name} must be a list of strings")
        else:
            raise EligibilityError(f"{where}: unknown condition when.{name}")
    try:
        effect = Effect(str(raw.get("effect")))
    except ValueError:
        raise EligibilityError(f"{where}: effect must be 'refuse' or 'refer'") from None
    refer_to = raw.get("refer_to")
    if effect is Effect.REFER and refer_to not in services:
        raise EligibilityError(f"{where}: effect 'refer' needs refer_to naming a known service")
    if effect is Effect.REFUSE and refer_to is not None:
        raise EligibilityError(f"{where}: refer_to only goes with effect 'refer'")
    for name in ("article", "reason"):
        if not isinstance(raw.get(name), str) or not raw[name].strip():
            raise EligibilityError(f"{where}: '{name}' is required")
    return Rule(key, frozenset(named), dict(when), effect, raw["article"], raw["reason"], refer_to)


def load_rules(path: Path = RULES_FILE) -> Rules:
    """Read and check the rules file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EligibilityError(f"{path}: {exc}") from exc
    services = data.get("services")
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise EligibilityError(f"{path}: 'services' must be a list of service names")
    known = tuple(services)
    rules = tuple(_rule(r, known, str(path)) for r in data.get("rule", []))
    keys = [r.key for r in rules]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise EligibilityError(f"{path}: duplicate rule key(s) {dupes}")
    return Rules(known, rules)
