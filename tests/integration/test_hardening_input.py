"""Security review findings #10, #15, #19: hostile input; each control and the attack it stops."""

from __future__ import annotations

import csv
import inspect
import io
import logging
import re
import unicodedata
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook

from bot.domain.validation import Invalid, clean_text, parse_phone, parse_text
from bot.reports.export import COLUMNS, IDENTITY_COLUMNS, render_export
from bot.security.ratelimit import RateLimiter
from bot.testing.harness import Harness
from tests.stores import query_now
from tests.telegram.flows import full_report

__all__: list[str] = []

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cret-token_for-tests"
PATH = "/telegram/hook"
# every character the text validation must drop (#15)
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


# ------------------------------------------------------------------ #19 webhook shape


@pytest.fixture
async def hook(harness: Harness) -> AsyncIterator[TestClient[Any, Any]]:
    from bot.channels.telegram.webhook import WebhookServer

    server = WebhookServer(harness.rt, path=PATH, secret_token=SECRET, runner=harness.runner)
    client: TestClient[Any, Any] = TestClient(TestServer(server.web_app()))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


def _inbox_rows(h: Harness) -> int:
    return int(query_now(h.settings.ppa_database, "SELECT COUNT(*) FROM inbox")[0][0])


MARK = "RAHASIA-KORBAN-77"
_MSG = {"message_id": 1, "date": 1772420400, "chat": {"id": 5, "type": "private"}, "text": MARK}


@pytest.mark.parametrize(
    "body",
    [
        b"true",
        b"[1]",
        b'{"update_id": true, "message": {"text": "' + MARK.encode() + b'"}}',
        b'{"update_id": 1180591620717411303424, "message": {"text": "' + MARK.encode() + b'"}}',
        b'{"update_id": 9223372036854775808}',
        b'{"update_id": -1}',
        b'{"update_id": 5.0}',
        b'{"update_id": "5"}',
        b'{"update_id": 5, "message": "' + MARK.encode() + b'"}',
        b'{"update_id": 5, "message": {"text": "' + MARK.encode() + b'"}}',
    ],
    ids=[
        "true",
        "array",
        "bool-id",
        "2^70",
        "2^63",
        "negative",
        "float",
        "string",
        "payload-not-object",
        "payload-unreadable",
    ],
)
async def test_webhook_refuses_what_is_not_an_update_with_400_and_logs_nothing(
    harness: Harness,
    hook: TestClient[Any, Any],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
) -> None:
    from bot.channels.telegram.webhook import SECRET_HEADER

    caplog.set_level(logging.DEBUG)
    before = _inbox_rows(harness)
    resp = await hook.post(
        PATH, data=body, headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert _inbox_rows(harness) == before
    logs = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert MARK not in logs


async def test_webhook_still_takes_the_largest_storable_update_id(
    harness: Harness, hook: TestClient[Any, Any]
) -> None:
    from bot.channels.telegram.webhook import MAX_UPDATE_ID, SECRET_HEADER

    before = _inbox_rows(harness)
    update = {"update_id": MAX_UPDATE_ID, "message": _MSG}
    resp = await hook.post(PATH, json=update, headers={SECRET_HEADER: SECRET})
    assert resp.status == 200
    assert _inbox_rows(harness) == before + 1


# ------------------------------------------------------------------ #10 CSV formulas

ATTACKS = {
    "Nama Korban": "Budi;=cmd|' /C calc'!A0",
    "Nama Pelaku": '\ufeff=HYPERLINK("http://x","klik")',
    "Alamat Kejadian": "Jl. Melati,+1+1",
    "Telepon Pelapor": "\u200b@SUM(1+1)",
    "Kronologi": "ok\t-2+3 and\r\n=1+1 then ; \u00a0=2",
    "Kecamatan/Desa": "=1+1",  # typed by staff in /asesmen wilayah=
}
_FORMULA = tuple("=+-@\uff1d\uff0b\uff0d\uff20")


def _cells_as_a_spreadsheet_splits(text: str) -> list[str]:
    """Every cell a spreadsheet may see: split on any of , ; tab and line breaks."""
    return re.split(r"[,;\t\r\n]", text)


def _starts_a_formula(cell: str) -> bool:
    visible = "".join(ch for ch in cell if unicodedata.category(ch) != "Cf").strip()
    return visible.startswith(_FORMULA)


def test_csv_defuses_formulas_after_any_separator_or_invisible_character() -> None:
    row = {"No. Registrasi": "PPA-TNG-2026-00001", **ATTACKS}
    data = render_export([row], COLUMNS + IDENTITY_COLUMNS, "csv").decode("utf-8")
    assert data.startswith("\ufeff")  # the file's BOM for Excel stays
    body = data[1:]
    dangerous = [c for c in _cells_as_a_spreadsheet_splits(body) if _starts_a_formula(c)]
    assert dangerous == []
    # and the values are still all there for a reader
    (parsed,) = list(csv.DictReader(io.StringIO(body)))
    assert set(ATTACKS) <= set(COLUMNS + IDENTITY_COLUMNS)  # every attack lands in a column
    assert parsed["Nama Korban"] == "Budi;'=cmd|' /C calc'!A0"
    assert parsed["Nama Pelaku"].startswith("'=HYPERLINK")
    assert "\ufeff" not in parsed["Nama Pelaku"] and "\u200b" not in parsed["Telepon Pelapor"]
    assert parsed["Kecamatan/Desa"] == "'=1+1"


def test_xlsx_has_no_formula_cells() -> None:
    row = {"No. Registrasi": "PPA-TNG-2026-00001", **ATTACKS}
    wb = load_workbook(io.BytesIO(render_export([row], COLUMNS + IDENTITY_COLUMNS, "xlsx")))
    for cells in wb.active.iter_rows(min_row=2):
        for cell in cells:
            assert cell.data_type != "f", cell.value
            if isinstance(cell.value, str):
                assert not _starts_a_formula(cell.value), cell.value


# ------------------------------------------------------------------ #15 bidi and zero-width


@pytest.mark.parametrize("char", list(BIDI + ZERO_WIDTH), ids=lambda c: f"U+{ord(c):04X}")
def test_text_validation_drops_bidi_and_zero_width_characters(char: str) -> None:
    value = parse_text(f"{char}Budi{char}gnp.exe{char}", max_len=100)
    assert value == "Budignp.exe"
    assert parse_text(char * 5, max_len=100) == Invalid(
        "The answer is empty. Please write a few words."
    )
    assert clean_text(f" {char}0812{char}3456{char}7890 ") == "081234567890"
    assert parse_phone(f"0812-3456-7890{char}") == "+6281234567890"


async def test_stored_answers_and_exports_hold_no_bidi_or_zero_width(
    harness: Harness, tmp_path: Path
) -> None:
    story = "Dia memukul saya \u202eRAHASIA\u202c di rumah\u200b, sudah lama\ufeff sekali."
    await full_report(harness, story=story)
    async with harness.rt.db.reading() as conn:
        details = await harness.rt.services.cases.details(conn, 1)
    stored = "".join(str(v) for v in details.values())
    assert "RAHASIA" in stored
    assert not set(stored) & set(BIDI + ZERO_WIDTH)
    from bot.reports.export import export_rows

    async with harness.rt.db.reading() as conn:
        rows = await export_rows(
            harness.rt.services,
            conn,
            "TNG",
            date(2026, 3, 1),
            date(2026, 3, 3),
            with_identity=True,
        )
    for fmt in ("csv", "xlsx"):
        data = render_export(rows, COLUMNS + IDENTITY_COLUMNS, fmt)
        if fmt == "csv":
            assert not set(data.decode("utf-8")[1:]) & set(BIDI + ZERO_WIDTH)


# ------------------------------------------------------------------ docs match the code


def test_security_doc_states_the_rate_limit_the_code_applies() -> None:
    capacity = inspect.signature(RateLimiter).parameters["capacity"].default
    period = inspect.signature(RateLimiter).parameters["period"].default
    assert period == 60.0
    doc = (ROOT / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    assert f"{capacity} updates a minute" in doc
    assert not re.search(rf"\b(?!{capacity}\b)\d+ updates a minute", doc)
