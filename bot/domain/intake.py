"""The complaint questionnaire as data: questions, options, order and the draft."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.domain.i18n_marker import N_

__all__ = [
    "EVIDENCE_KINDS",
    "MAX_EVIDENCE",
    "PARENT_RELATIONS",
    "QUESTIONS",
    "Kind",
    "Option",
    "Question",
    "first_question",
    "next_question",
    "question",
    "questions_for",
]

MAX_EVIDENCE = 10
EVIDENCE_KINDS = ("photo", "document", "voice", "audio", "video")


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


def _opts(*pairs: tuple[str, str]) -> tuple[Option, ...]:
    return tuple(Option(v, label) for v, label in pairs)


# Relations in which the reported party is the victim's parent or guardian: consent for a
# child victim must then not go through that person (see docs/SECURITY.md).
PARENT_RELATIONS = frozenset({"parent", "step_parent", "guardian"})

QUESTIONS: tuple[Question, ...] = (
    Question(
        "danger",
        N_("First, is anyone in immediate danger right now?"),
        Kind.CHOICE,
        N_("Immediate danger"),
        _opts(("yes", N_("Yes, in danger now")), ("no", N_("No"))),
    ),
    Question(
        "channel",
        N_("How did this complaint reach you?"),
        Kind.CHOICE,
        N_("Channel"),
        _opts(
            ("phone", N_("Phone call")),
            ("whatsapp", N_("WhatsApp")),
            ("walk_in", N_("In person (walk-in)")),
        ),
        modes=frozenset({"staff"}),
    ),
    Question(
        "office",
        N_("Where did it happen? Choose the city or regency of the unit that should help."),
        Kind.OFFICE,
        N_("Unit"),
    ),
    # the urgent path: asked at once when someone is in danger now, sent to the on-call staff
    Question(
        "urgent_where",
        N_(
            "Where is the person in danger now? Share the location (📎 then Location), or write "
            "the address or a landmark."
        ),
        Kind.LOCATION,
        N_("Where she is now"),
        skip=Option("", N_("I can't say")),
        asked_if=lambda a: a.get("danger") == "yes",
    ),
    Question(
        "urgent_contact",
        N_(
            "How can the unit reach her safely? A phone number, who to ask for, or when it "
            "is safe to call."
        ),
        Kind.TEXT,
        N_("How to reach her safely"),
        skip=Option("", N_("Only through this chat")),
        asked_if=lambda a: a.get("danger") == "yes",
    ),
    Question(
        "reporter",
        N_("Who is reporting?"),
        Kind.CHOICE,
        N_("Reporter"),
        _opts(
            ("victim", N_("I am the victim")),
            ("family", N_("Family of the victim")),
            ("other", N_("Someone else (neighbour, teacher, friend)")),
        ),
    ),
    Question(
        "victim_name",
        N_("What is the victim's name? Initials are fine, or press Anonymous."),
        Kind.TEXT,
        N_("Victim's name"),
        skip=Option("", N_("Anonymous")),
        max_len=100,
    ),
    Question(
        "victim_age",
        N_(
            "How old is the victim? Write the age (for example 14) or the date of birth "
            "(for example 17-08-2010)."
        ),
        Kind.AGE,
        N_("Victim's age"),
        skip=Option("", N_("I don't know")),
    ),
    Question(
        "victim_sex",
        N_("The victim is:"),
        Kind.CHOICE,
        N_("Sex"),
        _opts(("female", N_("Female")), ("male", N_("Male")), ("unknown", N_("Rather not say"))),
    ),
    Question(
        "disability",
        N_("Does the victim have a disability or special needs?"),
        Kind.CHOICE,
        N_("Disability / special needs"),
        _opts(("no", N_("No")), ("yes", N_("Yes")), ("unknown", N_("I don't know"))),
    ),
    Question(
        "violence",
        N_("What kind of violence happened? Choose all that apply, then press Done."),
        Kind.MULTI,
        N_("Type of violence"),
        _opts(
            ("physical", N_("Physical")),
            ("psychological", N_("Psychological")),
            ("sexual", N_("Sexual")),
            ("neglect", N_("Neglect")),
            ("exploitation", N_("Exploitation")),
            ("trafficking", N_("Trafficking")),
            ("domestic", N_("Domestic violence")),
            ("other", N_("Other")),
        ),
    ),
    Question(
        "relation",
        N_("Who did it? Choose their relation to the victim."),
        Kind.CHOICE,
        N_("Relation of the reported party"),
        _opts(
            ("parent", N_("Parent")),
            ("step_parent", N_("Step-parent")),
            ("guardian", N_("Guardian")),
            ("spouse", N_("Husband / wife")),
            ("partner", N_("Boyfriend / girlfriend / ex")),
            ("relative", N_("Other family member")),
            ("neighbour", N_("Neighbour")),
            ("teacher", N_("Teacher / caregiver")),
            ("employer", N_("Employer / co-worker")),
            ("stranger", N_("Stranger")),
            ("other", N_("Someone else")),
            ("unknown", N_("I don't know")),
        ),
    ),
    Question(
        "perpetrator",
        N_("The name or a description of the reported party (optional)."),
        Kind.TEXT,
        N_("Reported party"),
        skip=Option("", N_("Skip")),
        max_len=200,
    ),
    Question(
        "when",
        N_("When did it happen? Write the date (for example 17-08-2025) or press a button."),
        Kind.DATE,
        N_("When"),
        _opts(
            ("today", N_("Today")),
            ("yesterday", N_("Yesterday")),
            ("ongoing", N_("It keeps happening")),
        ),
        skip=Option("", N_("I don't remember")),
    ),
    Question(
        "where",
        N_("Where did it happen? (for example: at home, school, the village or street name)"),
        Kind.TEXT,
        N_("Where"),
        skip=Option("", N_("Skip")),
        max_len=300,
    ),
    Question(
        "story",
        N_("Please tell what happened, in your own words. Take your time."),
        Kind.TEXT,
        N_("What happened"),
        max_len=3500,
        min_len=10,
    ),
    Question(
        "evidence",
        N_(
            "If you have evidence (photos, documents, voice notes), send it now. "
            "When finished, or if there is none, press Done."
        ),
        Kind.EVIDENCE,
        N_("Evidence"),
    ),
    Question(
        "phone",
        N_("A phone number where the unit can reach you (for example 0812-3456-7890)."),
        Kind.PHONE,
        N_("Contact phone"),
        skip=Option("", N_("I'd rather not give one")),
    ),
    Question(
        "call_time",
        N_("Is it safe to call you? When?"),
        Kind.CHOICE,
        N_("Safe to call"),
        _opts(
            ("anytime", N_("Yes, any time")),
            ("office_hours", N_("Yes, during office hours")),
            ("evening", N_("Only in the evening")),
            ("chat_only", N_("No calls, chat only")),
        ),
        asked_if=lambda a: bool(a.get("phone")),
    ),
    Question(
        "help",
        N_("What help is wanted? Choose all that apply, then press Done."),
        Kind.MULTI,
        N_("Help wanted"),
        _opts(
            ("counselling", N_("Counselling")),
            ("legal", N_("Legal help")),
            ("psychological", N_("Psychological help")),
            ("medical", N_("Medical help")),
            ("mediation", N_("Mediation")),
            ("accompaniment", N_("Accompaniment (police, hospital, court)")),
            ("shelter", N_("Safe house / shelter")),
            ("unsure", N_("Not sure yet")),
        ),
    ),
    Question(
        "notify",
        N_("Someone else may see this phone. How should we message you later about this report?"),
        Kind.CHOICE,
        N_("Later messages"),
        _opts(
            ("normal", N_("Normal messages")),
            ("neutral", N_("Neutral wording only (no mention of violence)")),
            ("none", N_("Do not message me; I will check with /status")),
        ),
        modes=frozenset({"reporter"}),
    ),
    Question(
        "consent",
        N_(
            "Consent. The unit will keep what you told us safely and use it only to help "
            "the victim. Only staff of the unit who handle the case can read it. It is not "
            "shared with anyone else without your agreement, except where the law requires "
            "it to protect a child. Do you agree?"
        ),
        Kind.CHOICE,
        N_("Consent"),
        _opts(("yes", N_("I agree")), ("no", N_("I do not agree"))),
    ),
)

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
