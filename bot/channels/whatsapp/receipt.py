"""Sending the complaint from WhatsApp: evidence fetched, the case made, the receipt written."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from bot.channels.whatsapp import WHATSAPP
from bot.channels.whatsapp.messages import text, wa_format
from bot.domain.identity import Handle, actor_for
from bot.domain.intake import child_reporter
from bot.i18n import Translator
from bot.presentation.preview import for_reporter
from bot.presentation.receipt import receipt_text
from bot.services.intake import Evidence
from bot.services.outreach import link_case
from bot.services.persons import handle_of
from bot.services.submit import submit_and_start
from bot.services.workflow import Workflow

__all__ = ["MediaSource", "Submitter"]

log = logging.getLogger(__name__)


class MediaSource(Protocol):
    """Where her files are fetched from (the Graph API client)."""

    async def media(self, media_id: str) -> tuple[bytes, str]: ...


class Submitter:
    """Submits a finished draft through the channel-neutral use case."""

    def __init__(self, workflow: Workflow, media: MediaSource, kick: Any = None) -> None:
        self.workflow = workflow
        self.media = media
        self.kick = kick

    async def _download(self, d: dict[str, Any]) -> tuple[list[Evidence], int]:
        files: list[Evidence] = []
        failed = 0
        for item in d["evidence"]:
            try:
                data, mime = await self.media.media(str(item["media_id"]))
            except Exception as exc:  # the reporter is told how many could not be kept
                log.warning("whatsapp evidence download failed: %s", type(exc).__name__)
                failed += 1
                continue
            files.append(Evidence(str(item["kind"]), mime or str(item["mime"]), data))
        return files, failed

    async def submit(
        self, state: dict[str, Any], d: dict[str, Any], person_id: int, t: Translator
    ) -> list[dict[str, Any]]:
        """The case (the same draft twice gives the same case), then the receipt messages."""
        svc = self.workflow.svc
        handle = await handle_of(svc, person_id, WHATSAPP)
        if handle is None:
            raise LookupError("no WhatsApp handle for this person")
        evidence, failed = await self._download(d)
        answers = {**d["answers"], "channel": WHATSAPP}
        result, _ = await submit_and_start(
            self.workflow,
            answers=answers,
            evidence=evidence,
            # the reporter's key form (the purge finds her by it): reporter:<person>:<draft>
            idempotency_key=f"reporter:{person_id}:wa-{d['id']}",
            mode="reporter",
            reporter=Handle(WHATSAPP, handle.address),
            recorded_by=None,
            language=t.language,
            actor=actor_for(person_id),
        )
        if isinstance(d.get("outreach_key"), str):  # the urgent report's outreach joins it
            await link_case(svc, draft_key=d["outreach_key"], case_id=result.case_id)
        if self.kick is not None:
            self.kick()
        office = svc.office(result.office_id)
        body = receipt_text(t, result, office, child=child_reporter(d["answers"]), failed=failed)
        return [text(wa_format(for_reporter(t, body)))]
