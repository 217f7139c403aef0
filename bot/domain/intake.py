"""The complaint questionnaire as data: questions, options, order and the draft."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.form import (
    Kind,
    Option,
    Question,
    child_reporter,
    label_for,
    prompt_for,
    reporter_is_victim,
    victim_age_of,
)
from bot.domain.intake_questions import PARENT_RELATIONS, QUESTIONS

__all__ = [
    "EVIDENCE_KINDS",
    "MAX_EVIDENCE",
    "PARENT_RELATIONS",
    "QUESTIONS",
    "Kind",
    "Option",
    "Question",
    "child_reporter",
    "first_question",
    "label_for",
    "next_question",
    "prompt_for",
    "question",
    "questions_for",
    "reporter_is_victim",
    "victim_age_of",
]

MAX_EVIDENCE = 10
EVIDENCE_KINDS = ("photo", "document", "voice", "audio", "video")


_BY_KEY = {q.key: q for q in QUESTIONS}


def question(key: str) -> Question:
    """The question with a key (KeyError if unknown)."""
    return _BY_KEY[key]


def questions_for(mode: str) -> list[Question]:
    """Questions asked in a mode ("reporter" or "staff"), in order."""
    return [q for q in QUESTIONS if mode in q.modes]


def _asked(q: Question, mode: str, answers: Mapping[str, Any], skip_office: bool) -> bool:
    if mode not in q.modes:
        return False
    if q.kind is Kind.OFFICE and skip_office:
        return False
    return q.asked_if is None or q.asked_if(answers)


def first_question(mode: str, answers: Mapping[str, Any], *, skip_office: bool) -> str:
    """Key of the first question to ask."""
    return next_question(None, mode, answers, skip_office=skip_office) or "consent"


def next_question(
    current: str | None, mode: str, answers: Mapping[str, Any], *, skip_office: bool
) -> str | None:
    """Key of the question after ``current`` (None when the form is complete)."""
    keys = [q.key for q in QUESTIONS]
    start = 0 if current is None else keys.index(current) + 1
    for q in QUESTIONS[start:]:
        if _asked(q, mode, answers, skip_office):
            return q.key
    return None
