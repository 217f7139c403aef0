"""SOP runtime: run SOP instances for a case; open, assign, extend and complete their steps.

`Workflow` is the facade the channels and tests call; the use cases live in one module per
group (steps, disposition, extensions, mediation, queries, plan) on the shared `engine`.
"""

from __future__ import annotations

from bot.services.workflow.deadlines import DeadlineUseCases, SopDeadline
from bot.services.workflow.disposition import DispositionUseCases
from bot.services.workflow.engine import (
    PARTY_ROLES,
    REASON_REQUIRED,
    RULE_MESSAGES,
    InstanceProgress,
    Outcome,
    StepView,
    WorkflowResult,
    failed_rules,
    load_sops,
)
from bot.services.workflow.extensions import ExtensionUseCases
from bot.services.workflow.mediation import MediationUseCases
from bot.services.workflow.naming import NamingUseCases
from bot.services.workflow.plan import BLOCKER_MESSAGES, CasePlan
from bot.services.workflow.queries import QueryUseCases
from bot.services.workflow.requests import RequestUseCases
from bot.services.workflow.steps import StepUseCases

__all__ = [
    "BLOCKER_MESSAGES",
    "PARTY_ROLES",
    "REASON_REQUIRED",
    "RULE_MESSAGES",
    "CasePlan",
    "InstanceProgress",
    "Outcome",
    "SopDeadline",
    "StepView",
    "Workflow",
    "WorkflowResult",
    "failed_rules",
    "load_sops",
]


class Workflow(
    NamingUseCases,
    StepUseCases,
    DispositionUseCases,
    ExtensionUseCases,
    MediationUseCases,
    QueryUseCases,
    RequestUseCases,
    DeadlineUseCases,
):
    """Use cases of the SOP runtime; each one runs in one transaction."""
