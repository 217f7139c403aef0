"""The complaint over WhatsApp: one incoming message in, the replies out (a form driver).

The state (the draft, its stage) is the reporter's session, kept encrypted by the runner. The
questions, their order and validation are the channel-neutral ones (bot/domain/intake.py);
the submission is the one use case of every channel (bot/services/submit.py).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from bot.channels.whatsapp import questions as qs
from bot.channels.whatsapp import urgent
from bot.channels.whatsapp.commands import Commands, how_to_delete
from bot.channels.whatsapp.messages import Choice, choice_messages, text, wa_format
from bot.channels.whatsapp.receipt import Submitter
from bot.domain.consent import CONSENT_VERSION
from bot.domain.intake import (
    EVIDENCE_KINDS,
    MAX_EVIDENCE,
    Kind,
    child_reporter,
    first_question,
    next_question,
    question,
    questions_for,
)
from bot.domain.validation import Invalid, parse_text
from bot.i18n import I18n, Translator
from bot.presentation.texts import child_welcome_text, emergency_text, welcome_text
from bot.services.context import Services
from bot.services.workflow import Workflow

__all__ = ["Conversation", "Turn"]

log = logging.getLogger(__name__)

Out = list[dict[str, Any]]
_START_WORDS = frozenset({"lapor", "/lapor", "mulai", "/start", "start", "report"})
_MEDIA_KIND = {"image": "photo", "document": "document", "audio": "voice", "video": "video"}
_MAX_NOTES = 100


@dataclass(frozen=True)
class Turn:
    """An incoming message as the form sees it (no WhatsApp id: the person is known)."""

    person_id: int
    kind: str  # text | choice | media | location | other
    text: str | None = None
    choice: str | None = None
    media: dict[str, str] | None = None
    location: dict[str, float] | None = None
    via: str | None = None  # the unit's number she wrote to (its phone number ID)
    paused: bool = False  # her previous message was long ago: offer to continue or restart


class Conversation:
    """Drives the form for one reporter's message; ``state`` is changed in place."""

    def __init__(self, svc: Services, workflow: Workflow, i18n: I18n, submitter: Submitter) -> None:
        self.svc = svc
        self.workflow = workflow
        self.i18n = i18n
        self.submitter = submitter
        self.commands = Commands(svc, workflow, i18n, self._where_she_was)

    def _t(self, state: dict[str, Any]) -> Translator:
        return self.i18n.get(state.get("lang") or "id")

    async def handle(self, state: dict[str, Any], turn: Turn) -> Out:
        """The replies to one message."""
        if turn.via:
            state["via"] = turn.via  # the answers go out from the number she wrote to
        low = (turn.text or "").strip().casefold()
        answered = await self.commands.handle(state, turn)  # status, rights, language, hapus
        if answered is not None:
            return answered
        notice: Out = []
        if state.pop("expired", None):  # told once, then as usual
            notice = [text(self._t(state).gettext(
                "Welcome back. For your safety, a report that is not finished is deleted after "
                "some days without messages, so the one you started earlier is no longer kept. "
                "You can start again at any time with /lapor; we are here to help."
            ))]  # fmt: skip
        d = state.get("draft")
        if not isinstance(d, dict):
            if low in _START_WORDS or turn.choice == "start":
                return [*notice, *self._start(state)]
            return [*notice, *self._welcome(state)]
        if low in qs.CANCEL_WORDS or turn.choice == "s|cancel":
            return self._cancel(state)
        if state.get("stage") == "resume" or turn.paused:
            return self._resume(state, d, turn, low)
        if state.get("stage") in ("summary", "edit"):
            return await self._on_summary(state, d, turn, low)
        if low in qs.BACK_WORDS or (turn.choice or "").endswith("|b"):
            if d["history"]:
                d["current"] = d["history"].pop()
            return self._ask(state, d)
        return await self._on_answer(state, d, turn)

    # -- starting, asking, ending ---------------------------------------------------------------

    def _welcome(self, state: dict[str, Any]) -> Out:
        t = self._t(state)
        body = "\n\n".join(
            [
                wa_format(welcome_text(t)),
                t.gettext(
                    "To report, reply *lapor*. To check a report, send *status* and your tracking "
                    "code. For English, reply *english*."
                ),
            ]
        )
        start = [Choice("start", t.gettext("Report"))]
        return choice_messages(body, start, pick=t.gettext("Choose"))

    def _start(self, state: dict[str, Any]) -> Out:
        offices = sorted(self.svc.offices)
        via = state.get("via")
        routed = [o for o in offices if via and self.svc.offices[o].whatsapp_number_id == via]
        offices = routed or offices  # a unit's own number: its office, no question
        d: dict[str, Any] = {
            "id": secrets.token_hex(8),
            "mode": "reporter",
            "answers": {},
            "history": [],
            "editing": False,
            "evidence": [],
            "office_choices": offices,
        }
        if len(offices) == 1:
            d["answers"]["office"] = offices[0]
        d["current"] = first_question("reporter", d["answers"], skip_office=len(offices) == 1)
        state["draft"], state["stage"] = d, "ask"
        return self._ask(state, d)

    def _ask(self, state: dict[str, Any], d: dict[str, Any]) -> Out:
        state["stage"] = "ask"
        return qs.ask(d, self._t(state), self.svc.offices)

    def _invalid(self, state: dict[str, Any], d: dict[str, Any], err: Invalid) -> Out:
        t = self._t(state)
        return [text("⚠ " + t.translate(err.message, **err.params)), *self._ask(state, d)]

    def _cancel(self, state: dict[str, Any]) -> Out:
        t = self._t(state)
        state.pop("draft", None)
        state["stage"] = None
        return [
            text(
                t.gettext(
                    "The report has been cancelled and what you wrote was deleted. You can start "
                    "again at any time with /lapor."
                )
            ),
            text(how_to_delete(t)),
        ]

    def _where_she_was(self, state: dict[str, Any]) -> Out:
        """Her current question, summary or choice again (after a language change)."""
        d = state.get("draft")
        if not isinstance(d, dict):
            return self._welcome(state)
        if state.get("stage") == "resume":
            return self._resume_prompt(state)
        if state.get("stage") in ("summary", "edit"):
            return self._summary(state, d)
        return self._ask(state, d)

    # -- answers --------------------------------------------------------------------------------

    async def _on_answer(self, state: dict[str, Any], d: dict[str, Any], turn: Turn) -> Out:
        q = question(d["current"])
        t = self._t(state)
        choice = turn.choice
        if choice is None and turn.kind == "text" and turn.text is not None:
            choice = qs.picked_option(q, d, turn.text, t, self.svc.offices)
        if choice is not None:
            key, _, action = choice.removeprefix("a|").partition("|")
            if key != q.key:
                return self._ask(state, d)  # a button of an earlier question
            return await self._on_choice(state, d, action)
        if q.kind is Kind.EVIDENCE:
            return self._on_evidence(state, d, turn)
        if q.kind is Kind.LOCATION and turn.location is not None:
            point = {"lat": turn.location["latitude"], "lon": turn.location["longitude"]}
            return await self._record(state, d, q.key, point)
        if turn.kind != "text" or turn.text is None:
            return self._invalid(state, d, Invalid(qs.TEXT_ONLY))
        value = qs.parse_typed(q, turn.text, self._today(d))
        if isinstance(value, Invalid):
            return self._invalid(state, d, value)
        return await self._record(state, d, q.key, value)

    async def _on_choice(self, state: dict[str, Any], d: dict[str, Any], action: str) -> Out:
        q = question(d["current"])
        if action == "s" and q.skip is not None:
            return await self._record(state, d, q.key, q.skip.value)
        if action == "d" and q.kind is Kind.MULTI:
            if not d["answers"].get(q.key):
                return self._invalid(state, d, Invalid(qs.CHOOSE_ONE))
            return await self._advance(state, d)
        if action == "d" and q.kind is Kind.EVIDENCE:
            return await self._record(state, d, q.key, len(d["evidence"]))
        if action.startswith("o") and action[1:].isdigit():
            idx = int(action[1:])
            if q.kind is Kind.OFFICE and idx < len(d["office_choices"]):
                return await self._record(state, d, q.key, d["office_choices"][idx])
            if idx < len(q.options):
                value = q.options[idx].value
                if q.kind is Kind.MULTI:
                    chosen: list[str] = d["answers"].setdefault(q.key, [])
                    chosen.remove(value) if value in chosen else chosen.append(value)
                    return self._ask(state, d)
                return await self._record(state, d, q.key, value)
        return self._ask(state, d)

    def _on_evidence(self, state: dict[str, Any], d: dict[str, Any], turn: Turn) -> Out:
        t = self._t(state)
        if turn.kind == "media" and turn.media is not None:
            kind = _MEDIA_KIND.get(turn.media.get("kind", ""))
            if kind is None or kind not in EVIDENCE_KINDS:
                return self._invalid(state, d, Invalid(qs.SEND_FILE))
            if len(d["evidence"]) >= MAX_EVIDENCE:
                return self._invalid(state, d, Invalid(qs.TOO_MANY_FILES))
            mime = turn.media.get("mime") or "application/octet-stream"
            d["evidence"].append({"kind": kind, "media_id": turn.media["id"], "mime": mime})
            n = len(d["evidence"])
            return [text(t.gettext("Received ({n} file(s)). Send more, or press Done.", n=n))]
        if turn.kind == "text" and turn.text:
            note = parse_text(turn.text, max_len=question("story").max_len)
            if isinstance(note, Invalid):
                return self._invalid(state, d, note)
            notes: list[str] = d["answers"].setdefault("notes", [])
            if len(notes) < _MAX_NOTES:
                notes.append(note)
            return [text(t.gettext("Added to your story. Send more, or press Done."))]
        return self._invalid(state, d, Invalid(qs.SEND_FILE))

    def _today(self, d: dict[str, Any]) -> Any:
        office_id = d["answers"].get("office") or d["office_choices"][0]
        return self.svc.clock.now().astimezone(self.svc.office(office_id).tz).date()

    async def _record(self, state: dict[str, Any], d: dict[str, Any], key: str, value: Any) -> Out:
        t = self._t(state)
        out: Out = []
        d["answers"][key] = value
        if key == "consent" and value == "yes":
            d["answers"]["consent_version"] = CONSENT_VERSION
        if key == "danger" and value == "yes":
            out.append(text(wa_format(emergency_text(t))))
        if key in ("reporter_age", "victim_age") and child_reporter(d["answers"]):
            if not d.get("child_welcomed"):
                d["child_welcomed"] = True
                out.append(text(wa_format(child_welcome_text(t))))
        if key == "consent" and value == "no":
            state.pop("draft", None)
            state["stage"] = None
            refusal = t.gettext(
                "We respect your choice. Without your consent we cannot keep or process this "
                "report, so everything you wrote here has been deleted. You can still get help "
                "by phone:"
            )
            return [*out, text(refusal + "\n\n" + wa_format(emergency_text(t)))]
        out += await urgent.on_answer(self.svc, state, d, key, value, t)
        return [*out, *await self._advance(state, d)]

    async def _advance(self, state: dict[str, Any], d: dict[str, Any]) -> Out:
        skip = len(d["office_choices"]) == 1
        if d["editing"]:
            nxt = None  # one answer changed: back to the summary
        else:
            nxt = next_question(d["current"], d["mode"], d["answers"], skip_office=skip)
        if nxt is None:
            d["editing"] = False
            return self._summary(state, d)
        d["history"].append(d["current"])
        d["current"] = nxt
        return self._ask(state, d)

    def _resume(self, state: dict[str, Any], d: dict[str, Any], turn: Turn, low: str) -> Out:
        """After a pause: continue the report where it was, or start again."""
        if state.get("stage") != "resume":
            state["resumes"], state["stage"] = state.get("stage") or "ask", "resume"
            return self._resume_prompt(state)
        choice = turn.choice or {"1": "r|go", "lanjut": "r|go", "2": "r|new"}.get(low)
        if choice == "r|new":
            return self._start(state)
        if choice == "r|go":
            if state.pop("resumes", "ask") in ("summary", "edit"):
                return self._summary(state, d)
            return self._ask(state, d)
        state["stage"] = state.get("resumes") or "ask"
        return self._resume(state, d, turn, low)

    def _resume_prompt(self, state: dict[str, Any]) -> Out:
        t = self._t(state)
        body = t.gettext(
            "You have a report that is not finished yet. Do you want to continue it or start again?"
        )
        choices = [Choice("r|go", t.gettext("Continue my report")),
                   Choice("r|new", t.gettext("Start again"))]  # fmt: skip
        body += "\n\n" + "\n".join(f"{i}. {c.label}" for i, c in enumerate(choices, 1))
        return choice_messages(body, choices, pick=t.gettext("Choose"))

    # -- the summary ----------------------------------------------------------------------------

    def _summary(self, state: dict[str, Any], d: dict[str, Any]) -> Out:
        t = self._t(state)
        state["stage"] = "summary"
        body = qs.summary_text(d, t, self.svc.offices)
        choices = [
            Choice("s|send", t.gettext("✅ Send report")),
            Choice("s|edit", t.gettext("✏ Change an answer")),
            Choice("s|cancel", t.gettext("✖ Cancel")),
            Choice("s|more", t.gettext("➕ Someone else was hurt too")),
        ]
        body += "\n\n" + "\n".join(f"{i}. {c.label}" for i, c in enumerate(choices, 1))
        return choice_messages(body, choices, pick=t.gettext("Choose"))

    def _editable(self, d: dict[str, Any]) -> list[str]:
        skip = len(d["office_choices"]) == 1
        return [
            q.key
            for q in questions_for(d["mode"])
            if q.key in d["answers"]
            and not (q.kind is Kind.OFFICE and skip)
            and q.key not in ("consent", "danger", "child_ok")
        ]

    async def _on_summary(self, state: dict[str, Any], d: dict[str, Any], turn: Turn,
                          low: str) -> Out:  # fmt: skip
        t = self._t(state)
        keys = self._editable(d)
        if state.get("stage") == "edit" and turn.choice is None:
            if low in qs.BACK_WORDS:
                return self._summary(state, d)
            if low.isdigit() and 1 <= int(low) <= len(keys):  # the number of a listed answer
                return self._edit(state, d, keys[int(low) - 1])
            return self._edit_list(state, d, keys)
        typed = {"1": "s|send", "kirim": "s|send", "2": "s|edit", "ubah": "s|edit",
                 "3": "s|cancel", "4": "s|more"}  # fmt: skip
        choice = turn.choice or typed.get(low)
        if choice == "s|cancel":
            return self._cancel(state)
        if choice == "s|more":  # another victim: counted now, the staff ask about them later
            answers = d["answers"]
            answers["other_victims"] = min(int(answers.get("other_victims") or 0) + 1, 20)
            return self._summary(state, d)
        if choice == "s|send":
            out = await self.submitter.submit(state, d, turn.person_id, t)
            state.pop("draft", None)
            state["stage"] = None
            return out
        if choice == "s|edit":
            return self._edit_list(state, d, keys)
        if choice is not None and choice.startswith("e|") and choice[2:] in keys:
            return self._edit(state, d, choice[2:])
        return self._summary(state, d)

    def _edit_list(self, state: dict[str, Any], d: dict[str, Any], keys: list[str]) -> Out:
        t = self._t(state)
        state["stage"] = "edit"
        choices = [Choice(f"e|{k}", t.translate(question(k).summary_label)) for k in keys]
        lines = [t.gettext("Which answer do you want to change?"), ""]
        lines += [f"{i}. {c.label}" for i, c in enumerate(choices, 1)]
        return choice_messages("\n".join(lines), choices, pick=t.gettext("Choose"))

    def _edit(self, state: dict[str, Any], d: dict[str, Any], key: str) -> Out:
        d["editing"] = True
        d["current"] = key
        return self._ask(state, d)
