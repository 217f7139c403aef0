"""The form's questions on WhatsApp: a question as messages, typed words as answers."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.channels.whatsapp.messages import Choice, choice_messages, wa_format
from bot.domain.consent import RETENTION_NOTE
from bot.domain.i18n_marker import N_
from bot.domain.intake import Kind, Question, label_for, prompt_for, question, questions_for
from bot.domain.office import DEFAULT_DRAFT_RETENTION_DAYS, Office
from bot.domain.validation import Invalid, parse_age, parse_date, parse_phone, parse_text
from bot.i18n import Translator
from bot.security.retention import retention_days

__all__ = [
    "BACK_WORDS",
    "CANCEL_WORDS",
    "CHOOSE_ONE",
    "DONE_WORDS",
    "SEND_FILE",
    "TEXT_ONLY",
    "TOO_MANY_FILES",
    "answer_label",
    "ask",
    "parse_typed",
    "picked_option",
    "summary_text",
]

BACK_WORDS = frozenset({"kembali", "/kembali", "back", "/back"})
CANCEL_WORDS = frozenset({"batal", "/batal", "cancel", "/cancel"})
DONE_WORDS = frozenset({"selesai", "done", "sudah", "ok"})
_SKIP_WORDS = frozenset({"lewati", "skip", "lewat"})
TEXT_ONLY = N_(
    "I can only read text for this question. Please write your answer, or use the buttons."
)
CHOOSE_ONE = N_("Choose at least one, then press Done.")
SEND_FILE = N_("Please send a photo, a document or a voice note, or press Done.")
TOO_MANY_FILES = N_(
    "That is the most files we can take here. Press Done; the unit can collect more later."
)
# typed words for a yes/no option, in both languages
_SYNONYMS = {
    "yes": frozenset({"ya", "iya", "y", "yes", "setuju", "ok"}),
    "no": frozenset({"tidak", "tdk", "nggak", "gak", "no", "n", "tidak setuju"}),
}


def _wording(d: dict[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = d["answers"]
    return answers


def _choices(
    q: Question, d: dict[str, Any], t: Translator, offices: dict[str, Office]
) -> list[Choice]:
    """Every answer to pick for a question, numbered from 1 in this order."""
    chosen = d["answers"].get(q.key) or []
    out: list[Choice] = []
    if q.kind is Kind.OFFICE:
        out = [
            Choice(f"a|{q.key}|o{i}", offices[o].city) for i, o in enumerate(d["office_choices"])
        ]
    else:
        for i, opt in enumerate(q.options):
            mark = "✅ " if q.kind is Kind.MULTI and opt.value in chosen else ""
            out.append(Choice(f"a|{q.key}|o{i}", mark + t.translate(label_for(opt, _wording(d)))))
    if q.kind in (Kind.MULTI, Kind.EVIDENCE):
        out.append(Choice(f"a|{q.key}|d", t.gettext("Done ✔")))
    if q.skip is not None:
        out.append(Choice(f"a|{q.key}|s", t.translate(q.skip.label)))
    return out


def _retention(d: dict[str, Any], offices: dict[str, Office], t: Translator) -> str:
    office_id = d["answers"].get("office") or (d.get("office_choices") or [None])[0]
    office = offices.get(office_id) if isinstance(office_id, str) else None
    draft_days = office.draft_retention_days if office else DEFAULT_DRAFT_RETENTION_DAYS
    return t.translate(RETENTION_NOTE, days=retention_days(office), draft_days=draft_days)


def ask(d: dict[str, Any], t: Translator, offices: dict[str, Office]) -> list[dict[str, Any]]:
    """The current question: its text with numbered choices, and buttons or lists."""
    q = question(d["current"])
    keys = [x.key for x in questions_for(d["mode"])]
    pos = t.gettext("Question {n} of about {total}", n=keys.index(q.key) + 1, total=len(keys))
    lines = [f"_{pos}_", "", wa_format(t.translate(prompt_for(q, _wording(d))))]
    if q.key == "consent":
        lines.append(_retention(d, offices, t))
    if q.kind is Kind.EVIDENCE and d["evidence"]:
        lines.append(t.gettext("Received so far: {n} file(s).", n=len(d["evidence"])))
    choices = _choices(q, d, t, offices)
    if choices:
        lines.append("")
        lines += [f"{i}. {c.label}" for i, c in enumerate(choices, 1)]
    lines += [
        "",
        t.gettext(
            "Reply with a number or the words of an answer. Type *kembali* to go back, "
            "*batal* to cancel."
        ),
    ]
    return choice_messages("\n".join(lines), choices, pick=t.gettext("Choose"))


def picked_option(q: Question, d: dict[str, Any], typed: str, t: Translator,
                  offices: dict[str, Office]) -> str | None:  # fmt: skip
    """The choice id a typed word stands for ("1", "ya", an option's words), or None."""
    word = re.sub(r"\s+", " ", typed.strip().casefold().rstrip("."))
    choices = _choices(q, d, t, offices)
    if word.isdigit() and 1 <= int(word) <= len(choices):
        return choices[int(word) - 1].id
    for i, opt in enumerate(q.options):
        labels = {t.translate(opt.label).casefold(), opt.value.casefold()}
        if opt.child_label:
            labels.add(t.translate(opt.child_label).casefold())
        if word in labels or word in _SYNONYMS.get(opt.value, ()):
            return f"a|{q.key}|o{i}"
    if q.kind is Kind.OFFICE:
        for i, oid in enumerate(d["office_choices"]):
            if word in {oid.casefold(), offices[oid].city.casefold()}:
                return f"a|{q.key}|o{i}"
    if q.skip is not None and (word in _SKIP_WORDS or word == t.translate(q.skip.label).casefold()):
        return f"a|{q.key}|s"
    if q.kind in (Kind.MULTI, Kind.EVIDENCE) and word in DONE_WORDS:
        return f"a|{q.key}|d"
    return None


def parse_typed(q: Question, typed: str, today: date) -> Any:
    """A typed answer to a question that takes words, or an Invalid with the reason."""
    if q.kind in (Kind.TEXT, Kind.LOCATION):
        return parse_text(typed, max_len=q.max_len, min_len=q.min_len)
    if q.kind is Kind.AGE:
        return parse_age(typed, today=today)
    if q.kind is Kind.DATE:
        found = parse_date(typed, today=today)
        return found.isoformat() if isinstance(found, date) else found
    if q.kind is Kind.PHONE:
        return parse_phone(typed)
    if q.kind is Kind.MULTI:
        return Invalid(N_("Please choose with the buttons, then press Done."))
    return Invalid(N_("Please choose one of the buttons below."))


def answer_label(key: str, value: Any, t: Translator, offices: dict[str, Office]) -> str:
    """An answer as shown back to her."""
    q = question(key)
    if q.skip is not None and value == q.skip.value:
        return t.translate(q.skip.label)
    if value in (None, "", []):
        return "–"
    if q.kind is Kind.OFFICE:
        office = offices.get(str(value))
        return office.city if office else str(value)
    labels = {o.value: t.translate(o.label) for o in q.options}
    if isinstance(value, list):
        return ", ".join(labels.get(str(v), str(v)) for v in value)
    if q.kind is Kind.AGE:
        return t.gettext("{age} years", age=value)
    if q.kind is Kind.DATE and isinstance(value, str) and value not in labels:
        return t.day_of(value)
    if isinstance(value, dict):
        return t.gettext("📍 location shared")
    return str(labels.get(value, value))


def summary_text(d: dict[str, Any], t: Translator, offices: dict[str, Office]) -> str:
    """All answers for a last look before sending."""
    lines = [wa_format(t.gettext("<b>Please check your report before sending:</b>")), ""]
    for q in questions_for(d["mode"]):
        if q.key == "child_ok" or (q.key not in d["answers"] and q.kind is not Kind.EVIDENCE):
            continue
        label = wa_format(t.translate(q.summary_label))
        if q.kind is Kind.EVIDENCE:
            value = t.gettext("{n} file(s)", n=len(d["evidence"]))
            notes = d["answers"].get("notes") or []
            if notes:
                value += " + " + t.gettext("{n} extra note(s)", n=len(notes))
        else:
            raw = d["answers"][q.key]
            long = q.key == "story" and isinstance(raw, str) and len(raw) > 600
            value = raw[:600] + "…" if long else answer_label(q.key, raw, t, offices)
        lines.append(f"*{label}*: {value}")
    others = d["answers"].get("other_victims")
    if isinstance(others, int) and others > 0:
        lines.append(f"*{t.gettext('Others hurt too')}*: {others}")
    return "\n".join(lines)
