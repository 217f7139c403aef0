"""One row per victim for the national recording (SIMFONI-PPA), as CSV or XLSX, audited;
beside it the casework sheets (SOP time standards, case plans: export_casework.py)."""

from __future__ import annotations

import csv
import io
import json
import os
import pwd
import re
import socket
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.domain.office import Office, Role
from bot.reports.export_casework import Sheet, casework_sheets
from bot.reports.simfoni_rows import simfoni_case, simfoni_victim
from bot.services.context import Services
from bot.store import Tx
from bot.store.audit import append_audit
from bot.store.db import Row
from bot.store.records import VictimRow
from bot.store.reports import ReportStore
from bot.store.schema import has_table

__all__ = [
    "COLUMNS",
    "FORMATS",
    "IDENTITY_COLUMNS",
    "ExportRefused",
    "ExportResult",
    "Operator",
    "check_confirmation",
    "check_identity_permission",
    "export_cases",
    "export_rows",
    "render_export",
    "render_sheet_csv",
    "sheet_path",
]

FORMATS = ("csv", "xlsx")

# SIMFONI-PPA's columns, one row per victim; no name, phone, address or free text
# (tests/fixtures/simfoni_columns.txt is the list these are checked against)
COLUMNS = (
    "No. Registrasi",
    "Korban Ke",
    "Tanggal Pengaduan",
    "Tanggal Kejadian",
    "Tanggal Selesai",
    "Sumber Pengaduan",
    "Kabupaten/Kota",
    "Kecamatan/Desa",
    "Tempat Kejadian",
    "Jenis Kelamin Korban",
    "Kelompok Umur Korban",
    "Pendidikan Korban",
    "Status Perkawinan Korban",
    "Pekerjaan Korban",
    "Disabilitas Korban",
    "Bentuk Kekerasan",
    "Hubungan Pelaku dengan Korban",
    "Jenis Kelamin Pelaku",
    "Kelompok Umur Pelaku",
    "Layanan yang Diterima",
    "Status Kasus",
)
# personal data, only with --with-identity by an admin of the office
IDENTITY_COLUMNS = (
    "Nama Korban",
    "Umur Korban",
    "Nama Pelaku",
    "Alamat Kejadian",
    "Telepon Pelapor",
    "Kronologi",
)


class ExportRefused(Exception):
    """The export may not be made (unknown office, bad range, no admin right)."""


@dataclass(frozen=True)
class ExportResult:
    """What was written."""

    path: Path
    rows: int
    columns: tuple[str, ...]
    with_identity: bool
    # a CSV export's casework sheets, each its own file (XLSX: sheets of the one file)
    sheet_paths: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Operator:
    """Who runs the command on this machine: the OS account (from the uid) and the host."""

    os_user: str
    uid: int
    host: str

    @classmethod
    def current(cls) -> Operator:
        """The real uid's account name from the password database, never from $USER/$LOGNAME."""
        uid = os.getuid()
        try:
            name = pwd.getpwuid(uid).pw_name
        except KeyError:  # a uid without a passwd entry (some containers)
            name = f"uid-{uid}"
        return cls(os_user=name, uid=uid, host=socket.gethostname())


def check_confirmation(office: Office, confirm: str | None) -> None:
    """An identity export needs the office id typed exactly (at the prompt or ``--confirm``)."""
    if confirm != office.id:
        raise ExportRefused(
            f"--with-identity needs confirmation: type the office id at the prompt "
            f'or pass --confirm "{office.id}" exactly; nothing was exported'
        )


def check_identity_permission(office: Office, admin_id: int | None) -> None:
    """Identity exports need the user id of someone holding ``admin`` in that office."""
    if admin_id is None:
        raise ExportRefused("--with-identity needs --admin-id (an admin of the office)")
    if not office.has_role(admin_id, Role.ADMIN):
        raise ExportRefused(
            f"user {admin_id} does not hold the admin role in office {office.id}; "
            "nothing was exported"
        )


def _local_bounds(office: Office, start: date, end: date) -> tuple[datetime, datetime]:
    lo = datetime.combine(start, time(0), tzinfo=office.tz).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=office.tz).astimezone(UTC)
    return lo, hi


def _local_date(text: str | None, office: Office) -> str:
    if not text:
        return ""
    return datetime.fromisoformat(text).astimezone(office.tz).date().isoformat()


async def export_rows(
    svc: Services,
    conn: Tx,
    office_id: str,
    start: date,
    end: date,
    *,
    with_identity: bool,
) -> list[dict[str, Any]]:
    """One row per victim (oldest case first) of the cases received between two local dates."""
    office = svc.office(office_id)
    workflow = await has_table(conn, "steps") and await has_table(conn, "sop_instances")
    store = ReportStore()
    rows: list[dict[str, Any]] = []
    for c in await _cases_between(conn, office, start, end):
        started = await store.services(conn, c["id"]) if workflow else []
        record = await svc.records.record(conn, c["id"])
        d = await svc.cases.details(conn, c["id"])
        case_row = simfoni_case(
            c,
            record,
            started,
            incident=str(d.get("when") or ""),
            received=_local_date(c["received_at"], office),
            closed=_local_date(c["closed_at"], office),
            city=office.city,
        )
        for victim in record.victims or (VictimRow(1),):
            row = {**case_row, **simfoni_victim(victim, record.parties)}
            if with_identity:
                row.update(_identity(d, first=victim.ord == 1))
            rows.append(row)
    return rows


async def _cases_between(conn: Tx, office: Office, start: date, end: date) -> list[Row]:
    """The office's cases received between two local dates, oldest first."""
    lo, hi = _local_bounds(office, start, end)
    return [c for c in await ReportStore().export_cases(conn, office.id)
            if lo <= datetime.fromisoformat(c["received_at"]) < hi]  # fmt: skip


def _identity(d: dict[str, Any], *, first: bool) -> dict[str, Any]:
    """The identity columns (the details hold the first victim's name and age only)."""
    age = d.get("victim_age")
    return {
        "Nama Korban": str(d.get("victim_name") or "") if first else "",
        "Umur Korban": age if first and isinstance(age, int) else "",
        "Nama Pelaku": str(d.get("perpetrator") or ""),
        "Alamat Kejadian": str(d.get("where") or ""),
        "Telepon Pelapor": str(d.get("phone") or ""),
        "Kronologi": str(d.get("story") or ""),
    }


# a spreadsheet reads a formula from a cell starting with one of these (full-width forms too)
_FORMULA_START = "=+-@\uff1d\uff0b\uff0d\uff20"
# where a cell can start once the file is opened: CSV separators (Excel with Indonesian
# settings splits on ";"), tab and line breaks
_CELL_BREAK = re.compile(r"(^|[,;\t\r\n])([\s]*)(?=[" + re.escape(_FORMULA_START) + "])")


def _visible(text: str) -> str:
    """Drop format characters (BOM, zero-width, bidi controls): they hide a leading ``=``."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def _safe_cell(value: Any, *, csv_text: bool = False) -> Any:
    """Defuse spreadsheet formulas in free text (CSV/XLSX injection).

    Invisible format characters are removed, then a ``'`` goes before a formula character at
    the start of the cell and, in CSV, after every separator a spreadsheet may split on.
    """
    if not isinstance(value, str):
        return value
    text = _visible(value)
    if csv_text:
        text = _CELL_BREAK.sub(r"\1\2'", text)
    elif text.lstrip()[:1] in tuple(_FORMULA_START):
        text = "'" + text
    return "'" + text if text[:1] in ("\t", "\r") else text


def _csv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_safe_cell(row.get(col, ""), csv_text=True) for col in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def render_export(
    rows: list[dict[str, Any]], columns: tuple[str, ...], fmt: str, extra: Sequence[Sheet] = ()
) -> bytes:
    """The file's bytes: CSV (UTF-8 with BOM, for Excel; the ``extra`` sheets are not in it,
    see ``render_sheet_csv``) or XLSX (SIMFONI's sheet first, then each ``extra`` sheet)."""
    if fmt == "csv":
        return _csv(rows, columns)
    if fmt == "xlsx":
        wb = Workbook()
        ws = wb.active
        ws.title = "kasus"
        for title, cols, sheet_rows in ((ws.title, columns, rows), *extra):
            if title != ws.title:
                ws = wb.create_sheet(title)
            ws.append(list(cols))
            for cell in ws[1]:
                cell.font = Font(bold=True)
            for row in sheet_rows:
                ws.append([_safe_cell(row.get(col, "")) for col in cols])
            ws.freeze_panes = "A2"
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    raise ValueError(f"format must be one of {FORMATS}")


def sheet_path(out: Path, title: str) -> Path:
    """Where a CSV export writes an extra sheet: beside the file, the sheet's name appended."""
    slug = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    return out.with_name(f"{out.stem}_{slug}{out.suffix}")


def render_sheet_csv(sheet: Sheet) -> bytes:
    """An extra sheet as its own CSV file."""
    return _csv(sheet[2], sheet[1])


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, from its first byte.

    The bytes go to a new 0600 file in the same folder (``mkstemp``: ``O_EXCL``, whatever
    the umask), which then replaces ``path``: an existing file readable by others is never
    written into, and a symlink at ``path`` is replaced, not followed. A folder the export
    creates is 0700.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".export-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def export_cases(
    svc: Services,
    office_id: str,
    start: date,
    end: date,
    *,
    fmt: str,
    out: Path,
    with_identity: bool = False,
    admin_id: int | None = None,
    confirm: str | None = None,
    operator: Operator | None = None,
) -> ExportResult:
    """Check, read, audit and write the export (ExportRefused when not allowed).

    An identity export needs ``admin_id`` holding ``admin`` in the office and ``confirm``
    equal to the office id. The audit entry names the operator (OS user, uid, host; the
    current process when ``operator`` is None), the admin id and the row count.
    """
    if office_id not in svc.offices:
        raise ExportRefused(f"unknown office {office_id!r} (known: {', '.join(svc.offices)})")
    if fmt not in FORMATS:
        raise ExportRefused(f"format must be one of {', '.join(FORMATS)}")
    if end < start:
        raise ExportRefused("--to is before --from")
    office = svc.office(office_id)
    if with_identity or admin_id is not None:  # an admin id is never audited unchecked
        check_identity_permission(office, admin_id)
    if with_identity:
        check_confirmation(office, confirm)
    who = operator or Operator.current()
    columns = COLUMNS + (IDENTITY_COLUMNS if with_identity else ())
    now = svc.clock.now()
    async with svc.db.transaction() as conn:
        rows = await export_rows(svc, conn, office_id, start, end, with_identity=with_identity)
        sheets = await casework_sheets(
            svc, conn, office, await _cases_between(conn, office, start, end)
        )
        await append_audit(
            conn,
            at=now,
            actor=f"admin:{admin_id}" if admin_id is not None else "cli",
            action="export",
            detail=json.dumps(
                {
                    "office": office_id,
                    "from": start.isoformat(),
                    "to": end.isoformat(),
                    "format": fmt,
                    "rows": len(rows),
                    "with_identity": with_identity,
                    "admin_id": admin_id,
                    "os_user": who.os_user,
                    "uid": who.uid,
                    "host": who.host,
                }
            ),
        )
    _write_private(out, render_export(rows, columns, fmt, sheets))
    extra: list[Path] = []
    if fmt == "csv":
        for sheet in sheets:
            extra.append(sheet_path(out, sheet[0]))
            _write_private(extra[-1], render_sheet_csv(sheet))
    return ExportResult(out, len(rows), columns, with_identity, tuple(extra))
