"""The export's casework sheets (SOP time standards, case plans with outcomes and closing
reasons) beside SIMFONI's untouched sheet, and /rekap counting the closing reasons."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

from openpyxl import load_workbook

from bot.domain.case_plan import CLOSE_REASONS
from bot.i18n import I18n
from bot.reports.export import COLUMNS, export_cases
from bot.reports.export_casework import PLAN_COLUMNS, PLAN_SHEET, STANDARDS_COLUMNS, STANDARDS_SHEET
from bot.reports.rekap import collect_rekap, summary_line
from tests.integration.seed_support import at_step
from tests.integration.workflow_support import Env, close, env, new_case

__all__ = ["env"]  # the fixture, re-used

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


async def _three_cases(e: Env) -> tuple[int, int, int]:
    late, _ = await at_step(e, "pkl_mediasi", "consider")  # will miss its decision
    in_time, _ = await at_step(e, "pkl_mediasi", "invite", key="k2")  # decided on time
    dup = await new_case(e, "PKL", key="k3")
    await close(e, dup, "duplicate")
    [decision, _completion] = await e.wf.sop_deadlines(late)
    e.clock.set(decision.state.due_at + timedelta(minutes=1))
    return late, in_time, dup


async def _number(e: Env, case_id: int) -> str:
    row = await e.svc.db.fetchone("SELECT number FROM cases WHERE id = ?", (case_id,))
    assert row is not None
    return str(row[0])


async def test_xlsx_has_the_standards_and_the_plans_on_their_own_sheets(
    env: Env, tmp_path: Path
) -> None:
    late, in_time, dup = await _three_cases(env)
    out = tmp_path / "pkl.xlsx"
    await export_cases(env.svc, "PKL", *MARCH, fmt="xlsx", out=out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["kasus", STANDARDS_SHEET, PLAN_SHEET]
    simfoni = list(wb["kasus"].iter_rows(values_only=True))
    assert simfoni[0] == COLUMNS  # SIMFONI's sheet keeps SIMFONI's columns only
    sheet = list(wb[STANDARDS_SHEET].iter_rows(values_only=True))
    assert sheet[0] == STANDARDS_COLUMNS
    got = {(r[0], r[1], r[2]): r[7] for r in sheet[1:]}
    n_late, n_in_time = await _number(env, late), await _number(env, in_time)
    assert got == {
        (n_late, "pkl_mediasi", "decision"): "lewat batas",
        (n_late, "pkl_mediasi", "completion"): "berjalan",
        (n_in_time, "pkl_mediasi", "decision"): "tepat waktu",
        (n_in_time, "pkl_mediasi", "completion"): "berjalan",
    }
    [due] = [r[5] for r in sheet[1:] if r[0] == n_late and r[2] == "decision"]
    [decision, _] = await env.wf.sop_deadlines(late)
    tz = env.svc.offices["PKL"].tz
    assert due == decision.state.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    plans = list(wb[PLAN_SHEET].iter_rows(values_only=True))
    assert plans[0] == PLAN_COLUMNS
    rows = {r[0]: dict(zip(PLAN_COLUMNS, r, strict=True)) for r in plans[1:]}
    assert rows[n_late]["Kode Layanan"] == "mediation"
    assert (
        rows[n_late]["Status Layanan"] == "berjalan" and rows[n_late]["Status Kasus"] == "terbuka"
    )
    closed = rows[await _number(env, dup)]
    indonesian = I18n().get("id").translate(CLOSE_REASONS["duplicate"])
    assert closed["Kode Alasan Penutupan"] == "duplicate" and closed["Status Kasus"] == "ditutup"
    assert closed["Alasan Penutupan"] == indonesian and not closed["Layanan"]


async def test_csv_writes_each_casework_sheet_beside_the_export(env: Env, tmp_path: Path) -> None:
    await _three_cases(env)
    out = tmp_path / "pkl.csv"
    res = await export_cases(env.svc, "PKL", *MARCH, fmt="csv", out=out)
    names = [p.name for p in res.sheet_paths]
    assert names == ["pkl_standar_waktu_sop.csv", "pkl_rencana_layanan.csv"]
    header = next(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert tuple(header) == COLUMNS
    standards = list(csv.reader(io.StringIO(res.sheet_paths[0].read_text("utf-8-sig"))))
    assert tuple(standards[0]) == STANDARDS_COLUMNS and len(standards) == 5
    assert oct(res.sheet_paths[1].stat().st_mode & 0o777) == "0o600"


async def test_rekap_counts_the_closing_reasons(env: Env) -> None:
    await _three_cases(env)
    today = env.clock.now().astimezone(env.svc.offices["PKL"].tz).date()
    data = await collect_rekap(env.svc, "PKL", today)
    assert dict(data.closed) == {"duplicate": 1}
    line = summary_line(data, "LP-PAR", I18n().get("en"))
    assert "1 case closed this quarter (A duplicate of another case: 1)." in line
