"""The case plan's lines on /kasus: a service's assignee shown as staff know them."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.channels.telegram.handlers.plan_render import plan_section
from bot.i18n import I18n
from bot.services.workflow.plan import CasePlan
from bot.store.case_plan import ServiceRow

WHEN = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def _plan(assignee: int | None) -> CasePlan:
    row = ServiceRow(id=1, case_id=1, kind="counselling", status="running", instance_id=None,
                     assignee_user_id=assignee, added_by="person:1", started_at=WHEN,
                     ended_at=None, outcome=None)  # fmt: skip
    return CasePlan(services=(row,), review=None, close_reason=None)


def test_a_running_service_names_its_assignee_as_staff_know_them() -> None:
    t = I18n().get("en")
    addresses = {7: "100000004"}
    lines, _ = plan_section(t, _plan(7), 1, "Asia/Jakarta", closed=False, manage=False,
                            head=False, staff=addresses.__getitem__)  # fmt: skip
    text = "\n".join(lines)
    assert "staff 100000004" in text
    assert "staff 7" not in text  # not the internal person id


def test_no_assignee_no_staff_line() -> None:
    t = I18n().get("en")
    lines, _ = plan_section(t, _plan(None), 1, "Asia/Jakarta", closed=False, manage=False,
                            head=False, staff=lambda _: "x")  # fmt: skip
    assert "staff" not in "\n".join(lines)
