"""The parts of the complaint form: question kinds, options, questions, and their wording.

A question can be worded for the reporter: as a child (short, informal "kamu"), to the
victim herself (first person), or both; an option can carry a plain example for a child.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "Kind",
    "Option",
    "Question",
    "child_reporter",
    "kid_opts",
    "label_for",
    "opts",
    "prompt_for",
    "reporter_is_victim",
    "victim_age_of",
]


class Kind(StrEnum):
    """How a question is answered."""

    CHOICE = "choice"  # one button
    MULTI = "multi"  # several buttons, then "done"
    TEXT = "text"
    AGE = "age"
    DATE = "date"
    PHONE = "phone"
    EVIDENCE = "evidence"  # files, then "done"
    OFFICE = "office"  # one button per office profile
    LOCATION = "location"  # a shared location, or words


@dataclass(frozen=True)
class Option:
    """A button: stored value and its label (a message id)."""

    value: str
    label: str
    child_label: str | None = None  # the label with a plain example, for a child


@dataclass(frozen=True)
class Question:
    """One question of the complaint form."""

    key: str
    prompt: str
    kind: Kind
    summary_label: str
    options: tuple[Option, ...] = ()
    skip: Option | None = None  # a button that answers without typing
    max_len: int = 300
    min_len: int = 1
    modes: frozenset[str] = frozenset({"reporter", "staff"})
    asked_if: Callable[[Mapping[str, Any]], bool] | None = None
    # the same question in the reporter's own words: as a child (short, informal "kamu"),
    # asked of the victim herself (first person), or both
    child_prompt: str | None = None
    self_prompt: str | None = None
    child_self_prompt: str | None = None


def opts(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    """Options from (value, label) pairs."""
    return tuple(Option(v, label) for v, label in pairs)


def kid_opts(*triples: tuple[str, str, str]) -> tuple[Option, ...]:
    """Options from (value, label, label with a plain example for a child)."""
    return tuple(Option(v, label, kid) for v, label, kid in triples)


def child_reporter(answers: Mapping[str, Any]) -> bool:
    """Whether the person filling the form is a child (her own age, or she is the victim)."""
    age = answers.get("reporter_age")
    if isinstance(age, int):
        return age < 18
    victim_age = answers.get("victim_age")
    return answers.get("reporter") == "victim" and isinstance(victim_age, int) and victim_age < 18


def reporter_is_victim(answers: Mapping[str, Any]) -> bool:
    """Whether the reporter said she is the victim."""
    return answers.get("reporter") == "victim"


def victim_age_of(answers: Mapping[str, Any]) -> int | None:
    """The victim's age: asked, or the reporter's own when she is the victim."""
    age = answers.get("victim_age")
    if isinstance(age, int):
        return age
    own = answers.get("reporter_age")
    return own if reporter_is_victim(answers) and isinstance(own, int) else None


def prompt_for(q: Question, answers: Mapping[str, Any]) -> str:
    """The prompt's message id in the words that fit the reporter."""
    child, own = child_reporter(answers), reporter_is_victim(answers)
    if child and own and q.child_self_prompt:
        return q.child_self_prompt
    if child and q.child_prompt:
        return q.child_prompt
    if own and q.self_prompt:
        return q.self_prompt
    return q.prompt


def label_for(option: Option, answers: Mapping[str, Any]) -> str:
    """An option's label (with its plain example for a child)."""
    if option.child_label and child_reporter(answers):
        return option.child_label
    return option.label
