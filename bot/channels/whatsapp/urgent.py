"""The urgent path on WhatsApp: someone is in danger now, so the unit is alerted at once.

The same channel-neutral use cases as on Telegram (bot/services/outreach.py): the staff group
is alerted and the person on call paged as soon as the office is known, where she is and how
to reach her are passed on as she answers, and the outreach joins the case on submission.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.channels.whatsapp.messages import text
from bot.i18n import Translator
from bot.services.context import Services
from bot.services.outreach import add_detail, open_outreach

__all__ = ["ALERT_EVERY", "DETAIL_QUESTIONS", "on_answer"]

DETAIL_QUESTIONS = {"urgent_where": "where", "urgent_contact": "contact"}
# a new draft within this time of an alert does not alert the staff group again
ALERT_EVERY = timedelta(hours=12)
_ALERT_AT, _OUTREACH = "urgent_alert_at", "urgent_outreach"


def _recent(state: dict[str, Any], now: datetime) -> bool:
    at = state.get(_ALERT_AT)
    try:
        return isinstance(at, str) and now - datetime.fromisoformat(at) < ALERT_EVERY
    except ValueError:
        return False


async def on_answer(
    svc: Services, state: dict[str, Any], d: dict[str, Any], key: str, value: Any, t: Translator
) -> list[dict[str, Any]]:
    """What the urgent path does after an answer (alert, pass a detail on), and what she is told."""
    answers = d["answers"]
    if answers.get("danger") != "yes":
        return []
    office_id = answers.get("office")
    now = svc.clock.now()
    if office_id and not d.get("urgent_alerted"):
        d["urgent_alerted"] = True
        if _recent(state, now) and isinstance(state.get(_OUTREACH), str):
            d["outreach_key"] = state[_OUTREACH]
            return [
                text(
                    t.gettext(
                        "The unit's staff were already alerted a short while ago. Let us "
                        "continue with a few questions so they can help."
                    )
                )
            ]
        await open_outreach(svc, office_id=str(office_id), draft_key=d["id"])
        d["outreach_key"] = state[_OUTREACH] = d["id"]
        state[_ALERT_AT] = now.isoformat()
        return [
            text(
                t.gettext(
                    "The unit's staff have been alerted now. Let us continue with a few "
                    "questions so they can help."
                )
            )
        ]
    outreach = d.get("outreach_key")
    if key in DETAIL_QUESTIONS and isinstance(outreach, str):
        given = await add_detail(svc, draft_key=outreach, key=DETAIL_QUESTIONS[key], value=value)
        if given:
            return [text(t.gettext("✅ Passed on to the staff on call."))]
    return []
