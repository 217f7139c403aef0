"""SOP fields of the seed readings: addressees, further letters, the session set at a step,
who is told, SOP-level deadlines; the CLI prints each SOP's steps and tracked deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import load_offices
from bot.domain.calendar import OfficeCalendar
from bot.domain.duration import Duration, Unit
from bot.domain.office import Role
from bot.domain.sop import SopError, load_sop
from bot.domain.sop_deadlines import deadline_state
from bot.sops_cli import SOPS_DIR, sops_check
from tests.unit.test_sop import EXAMPLE_OFFICES, SHIPPED, VALID, _write


def _invite_with(extra: str) -> str:
    return VALID.replace('output = "Letter"', 'output = "Letter"\n' + extra)


def test_shipped_readings() -> None:
    tng, pkl, psr = SHIPPED["tng_mediasi"], SHIPPED["pkl_mediasi"], SHIPPED["psr_mediasi"]
    order = tng.step("order")
    assert order.sets_session and order.schedules_session and order.informs == (Role.MEDIATOR,)
    assert [s.step("invite").output_to for s in (tng, pkl, psr)] == [
        "terlapor", "pemohon", "para_pihak"]  # fmt: skip
    assert pkl.step("decide").actors == (Role.KEPALA_DINAS,)
    assert pkl.step("consider").actors == (Role.KETUA,)
    assert psr.step("report_plan").decided_by == (Role.KOORDINATOR,)
    assert [(d.key, d.within, d.until) for d in pkl.deadlines] == [
        ("decision", Duration(5, Unit.WORKING_DAYS), ("invite", "notify")),
        ("completion", Duration(14, Unit.WORKING_DAYS), ("end",)),
    ]
    assert [(d.key, d.within) for d in psr.deadlines] == [
        ("completion", Duration(14, Unit.CALENDAR_DAYS))]  # fmt: skip


def test_new_fields_load(tmp_path: Path) -> None:
    text = _invite_with('output_document = "surat_undangan_mediasi"\noutput_to = "pemohon"\n'
                        'extra_documents = ["surat_rujukan"]\nsets_session = true\n'
                        'informs = ["mediator"]')  # fmt: skip
    text += '\n[[deadlines]]\nkey = "decision"\nwithin = { value = 5, unit = "working_days" }\n'
    text += 'until = ["invite"]\n'
    sop = load_sop(_write(tmp_path, text))
    step = sop.step("invite")
    assert step.documents == ("surat_undangan_mediasi", "surat_rujukan")
    assert step.output_to == "pemohon" and step.sets_session and step.informs == (Role.MEDIATOR,)
    assert sop.deadlines[0].until == ("invite",)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ('output_to = "pemohon"', "field 'output_to': needs output_document"),
        ('output_document = "surat_tugas"\noutput_to = "boss"', "unknown addressee 'boss'"),
        ('extra_documents = ["surat_rujukan"]', "field 'extra_documents': needs output_document"),
        ('output_document = "surat_tugas"\nextra_documents = ["surat_tugas"]',
         "field 'extra_documents[0]': unknown or repeated document"),
        ('informs = ["boss"]', "field 'informs[0]': unknown role 'boss'"),
        ('sets_session = "yes"', "field 'sets_session': must be true or false"),
    ],
)  # fmt: skip
def test_new_fields_fail_precisely(tmp_path: Path, extra: str, expected: str) -> None:
    with pytest.raises(SopError) as raised:
        load_sop(_write(tmp_path, _invite_with(extra)))
    assert expected in str(raised.value)


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        ('key = "d"\nwithin = { value = 5, unit = "working_days" }\nuntil = ["nowhere"]',
         "names missing step 'nowhere'"),
        ('key = "d"\nwithin = { value = 5, unit = "working_days" }\nuntil = []',
         "needs a step key or 'end'"),
        ('key = "d"\nuntil = ["end"]', "field 'within': missing"),
        ('key = "d"\nwithin = { value = 5, unit = "days" }\nuntil = ["end"]', "unknown unit"),
        ('key = "d"\nwithin = { value = 1, unit = "hours" }\nuntil = ["end"]\nby = 1',
         "field 'deadlines[0].by': unknown field"),
    ],
)  # fmt: skip
def test_deadlines_fail_precisely(tmp_path: Path, deadline: str, expected: str) -> None:
    with pytest.raises(SopError) as raised:
        load_sop(_write(tmp_path, VALID + "\n[[deadlines]]\n" + deadline + "\n"))
    assert expected in str(raised.value)


def test_deadline_state_met_late_and_open() -> None:
    office = next(o for o in load_offices(EXAMPLE_OFFICES) if o.id == "PSR")
    calendar = OfficeCalendar(office)
    [d] = SHIPPED["psr_mediasi"].deadlines
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    open_ = deadline_state(d, calendar, started_at=start, ended_at=None, first_opened={})
    assert open_.due_at == start + timedelta(days=14) and not open_.met
    assert open_.overdue(start + timedelta(days=15)) and not open_.overdue(start)
    late = deadline_state(d, calendar, started_at=start, ended_at=start + timedelta(days=15),
                          first_opened={})  # fmt: skip
    assert late.met and late.overdue(start)


def test_check_prints_steps_and_tracked_totals(capsys: pytest.CaptureFixture[str]) -> None:
    assert sops_check(SOPS_DIR, EXAMPLE_OFFICES) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert "steps=8 " in lines["pkl_mediasi"]
    assert ("tracked=decision 5 working_days (until invite|notify), "
            "completion 14 working_days (until end)") in lines["pkl_mediasi"]  # fmt: skip
    assert "steps=10" in lines["psr_mediasi"]
    assert "tracked=completion 14 calendar_days (until end)" in lines["psr_mediasi"]
    assert "steps=5 " in lines["tng_mediasi"] and "tracked=-" in lines["tng_mediasi"]


def test_starts_at_request(tmp_path: Path) -> None:
    assert SHIPPED["pkl_mediasi"].starts_at_request  # seed 002 item 1: the applicant's request
    assert not any(SHIPPED[k].starts_at_request for k in ("tng_mediasi", "psr_mediasi"))
    assert load_sop(_write(tmp_path, "starts_at_request = true\n" + VALID)).starts_at_request
    with pytest.raises(SopError, match="starts_at_request"):
        load_sop(_write(tmp_path, 'starts_at_request = "yes"\n' + VALID))
