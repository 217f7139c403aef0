"""Rendering questions as messages with buttons, and reading the answers."""

from __future__ import annotations

from datetime import date
from typing import Any

from telegram import Message

from bot.channels.telegram.botapi import Keyboard, button
from bot.channels.telegram.handlers.common import esc
from bot.domain.i18n_marker import N_
from bot.domain.intake import (
    EVIDENCE_KINDS,
    MAX_EVIDENCE,
    Kind,
    Question,
    child_reporter,
    label_for,
    prompt_for,
    question,
    questions_for,
)
from bot.domain.office import Office
from bot.domain.validation import Invalid, parse_age, parse_date, parse_phone, parse_text
from bot.i18n import Translator

__all__ = [
    "ALLOWED_DOCUMENT_TYPES",
    "answer_label",
    "evidence_from_message",
    "keyboard",
    "parse_typed",
    "prompt",
    "summary",
    "too_many_files",
]

ALLOWED_DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/heic",
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "audio/x-m4a",
        "video/mp4",
        "application/msword",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
)


def _wording(draft: dict[str, Any]) -> dict[str, Any]:
    """The answers that choose the wording: the reporter's own (staff get the usual words)."""
    return draft["answers"] if draft["mode"] == "reporter" else {}


def _btn(text: str, key: str, action: str) -> dict[str, str]:
    return button(text, f"a|{key}|{action}")


def keyboard(
    q: Question, draft: dict[str, Any], t: Translator, offices: dict[str, Office], *, first: bool
) -> Keyboard | None:
    """Buttons for a question: options, skip, done and back (as Telegram's JSON)."""
    rows: list[list[dict[str, str]]] = []
    chosen = draft["answers"].get(q.key) or []
    if q.kind is Kind.OFFICE:
        for i, oid in enumerate(draft["office_choices"]):
            rows.append([_btn(offices[oid].city, q.key, f"o{i}")])
    elif q.kind is Kind.MULTI:
        answers = _wording(draft)
        buttons = [
            _btn(
                ("✅ " if opt.value in chosen else "") + t.translate(label_for(opt, answers)),
                q.key,
                f"o{i}",
            )
            for i, opt in enumerate(q.options)
        ]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        rows.append([_btn(t.gettext("Done ✔"), q.key, "d")])
    elif q.options:
        buttons = [
            _btn(t.translate(label_for(o, _wording(draft))), q.key, f"o{i}")
            for i, o in enumerate(q.options)
        ]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if q.kind is Kind.EVIDENCE:
        rows.append([_btn(t.gettext("Done ✔"), q.key, "d")])
    if q.skip is not None:
        rows.append([_btn(t.translate(q.skip.label), q.key, "s")])
    if not first:
        rows.append([_btn(t.gettext("⬅ Back"), q.key, "b")])
    return {"inline_keyboard": rows} if rows else None


def prompt(q: Question, draft: dict[str, Any], t: Translator) -> str:
    """The question text with its position in the form."""
    keys = [x.key for x in questions_for(draft["mode"])]
    pos = t.gettext("Question {n} of about {total}", n=keys.index(q.key) + 1, total=len(keys))
    text = f"<i>{pos}</i>\n\n{t.translate(prompt_for(q, _wording(draft)))}"
    if q.kind is Kind.EVIDENCE and draft["evidence"]:
        text += "\n\n" + t.gettext("Received so far: {n} file(s).", n=len(draft["evidence"]))
    if q.kind in (Kind.TEXT, Kind.AGE, Kind.DATE, Kind.PHONE) and q.max_len >= 1000:
        text += "\n" + t.gettext("(at most {max} characters)", max=q.max_len)
    return text


def parse_typed(
    q: Question,
    text: str | None,
    t: Translator,
    today: date,
    offices: dict[str, Office],
    draft: dict[str, Any],
) -> Any:
    """Turn a typed answer into a value, or an Invalid with the reason."""
    if q.kind in (Kind.TEXT, Kind.LOCATION):
        return parse_text(text, max_len=q.max_len, min_len=q.min_len)
    if q.kind is Kind.AGE:
        return parse_age(text, today=today)
    if q.kind is Kind.DATE:
        d = parse_date(text, today=today)
        return d.isoformat() if isinstance(d, date) else d
    if q.kind is Kind.PHONE:
        return parse_phone(text)
    typed = (text or "").strip().casefold()
    if q.kind is Kind.OFFICE:
        for oid in draft["office_choices"]:
            if typed in {oid.casefold(), offices[oid].city.casefold()}:
                return oid
    elif q.kind is Kind.CHOICE:
        for i, opt in enumerate(q.options):
            labels = {t.translate(opt.label).casefold()}
            if opt.child_label:
                labels.add(t.translate(opt.child_label).casefold())
            if typed in {str(i + 1), opt.value} | labels:
                return opt.value
    return Invalid(N_("Please choose one of the buttons below."))


def evidence_from_message(message: Message, max_bytes: int) -> dict[str, Any] | Invalid:
    """A file reference for a photo/document/voice/audio/video message, or why it is refused."""
    item: dict[str, Any]
    if message.photo:
        f = message.photo[-1]
        item = {
            "kind": "photo",
            "file_id": f.file_id,
            "mime": "image/jpeg",
            "size": f.file_size or 0,
        }
    elif message.document:
        d = message.document
        mime = d.mime_type or "application/octet-stream"
        if mime not in ALLOWED_DOCUMENT_TYPES:
            return Invalid(
                N_(
                    "This type of file cannot be accepted. Please send photos, PDF or "
                    "Word documents, voice notes or videos."
                )
            )
        item = {"kind": "document", "file_id": d.file_id, "mime": mime, "size": d.file_size or 0}
    elif message.voice:
        v = message.voice
        item = {
            "kind": "voice",
            "file_id": v.file_id,
            "mime": v.mime_type or "audio/ogg",
            "size": v.file_size or 0,
        }
    elif message.audio:
        a = message.audio
        item = {
            "kind": "audio",
            "file_id": a.file_id,
            "mime": a.mime_type or "audio/mpeg",
            "size": a.file_size or 0,
        }
    elif message.video:
        vd = message.video
        item = {
            "kind": "video",
            "file_id": vd.file_id,
            "mime": vd.mime_type or "video/mp4",
            "size": vd.file_size or 0,
        }
    else:
        return Invalid(N_("Please send a photo, a document or a voice note, or press Done."))
    assert item["kind"] in EVIDENCE_KINDS
    if int(item["size"]) > max_bytes:
        return Invalid(
            N_("That file is too large (over {mb} MB). Please send a smaller one."),
            {"mb": max_bytes // (1024 * 1024)},
        )
    return item


def too_many_files(draft: dict[str, Any]) -> bool:
    """Whether the evidence limit is reached."""
    return len(draft["evidence"]) >= MAX_EVIDENCE


def answer_label(key: str, value: Any, t: Translator, offices: dict[str, Office]) -> str:
    """An answer as shown back to the user (escaped)."""
    q = question(key)
    if q.skip is not None and value == q.skip.value and value:
        return esc(t.translate(q.skip.label))
    if value in (None, "", []):
        if q.skip is not None and q.skip.label != "Skip":
            return esc(t.translate(q.skip.label))
        return "–"
    if q.kind is Kind.OFFICE:
        office = offices.get(str(value))
        return esc(office.city if office else value)
    labels = {o.value: t.translate(o.label) for o in q.options}
    if isinstance(value, list):
        return esc(", ".join(labels.get(str(v), str(v)) for v in value))
    if q.kind is Kind.AGE:
        return esc(t.gettext("{age} years", age=value))
    if q.kind is Kind.DATE and isinstance(value, str) and value not in labels:
        return esc(t.day_of(value))
    if isinstance(value, dict):  # a shared location
        return esc(t.gettext("📍 location shared"))
    return esc(labels.get(value, value))


def summary(draft: dict[str, Any], t: Translator, offices: dict[str, Office]) -> str:
    """All answers for a last look before sending."""
    if child_reporter(_wording(draft)):
        lines = [t.gettext("<b>Check your report before you send it:</b>"), ""]
    else:
        lines = [t.gettext("<b>Please check your report before sending:</b>"), ""]
    for q in questions_for(draft["mode"]):
        if (q.key not in draft["answers"] and q.kind is not Kind.EVIDENCE) or q.key == "child_ok":
            continue
        if q.kind is Kind.EVIDENCE:
            value = t.gettext("{n} file(s)", n=len(draft["evidence"]))
            notes = draft["answers"].get("notes") or []
            if notes:
                value += " + " + t.gettext("{n} extra note(s)", n=len(notes))
            lines.append(f"<b>{esc(t.translate(q.summary_label))}</b>: {esc(value)}")
            continue
        value = draft["answers"][q.key]
        if q.key == "story" and isinstance(value, str) and len(value) > 600:
            shown = esc(value[:600]) + "…"
        else:
            shown = answer_label(q.key, value, t, offices)
        lines.append(f"<b>{esc(t.translate(q.summary_label))}</b>: {shown}")
    others = draft["answers"].get("other_victims")
    if isinstance(others, int) and others > 0:
        label = t.gettext("Others hurt too")
        lines.append(f"<b>{esc(label)}</b>: {others}")
    return "\n".join(lines)
