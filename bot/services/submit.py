"""One use case for every channel: submit a complaint and start its office's intake SOP."""

from __future__ import annotations

from typing import Any

from bot.domain.identity import Handle
from bot.faultpoints import crash_point
from bot.services.intake import Evidence, SubmitResult, submit_complaint
from bot.services.workflow import Workflow, WorkflowResult

__all__ = ["submit_and_start"]


async def submit_and_start(
    workflow: Workflow,
    *,
    answers: dict[str, Any],
    evidence: list[Evidence],
    idempotency_key: str,
    mode: str,
    reporter: Handle | None,
    recorded_by: int | None,
    language: str,
    actor: str,
) -> tuple[SubmitResult, WorkflowResult]:
    """Store the case (the same key twice gives the same case), then start its intake SOP.

    Two transactions: the case is committed first and the SOP starts once per case, so a
    repeated call (a replayed update, a retry after a crash between the two) starts nothing
    twice and still ends with the SOP started.
    """
    result = await submit_complaint(
        workflow.svc,
        answers=answers,
        evidence=evidence,
        idempotency_key=idempotency_key,
        mode=mode,
        reporter=reporter,
        recorded_by=recorded_by,
        language=language,
    )
    await crash_point("after_case_commit")
    started = await workflow.start_intake(result.case_id, actor=actor)
    return result, started
