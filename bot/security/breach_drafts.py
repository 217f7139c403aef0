"""The written notices of a breach (Pasal 46), drafted as files for the administrator and the
data protection officer: to the authority, and to the data subjects (text and routes)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from bot.domain.breach import AUTHORITY_FIELDS, ROUTES
from bot.domain.i18n_marker import N_
from bot.domain.office import Office
from bot.i18n import I18n
from bot.services.breach import BreachReport

__all__ = ["SUBJECT_NOTICE", "authority_draft", "subjects_draft", "write_drafts"]

FILL = "[ISI / FILL IN]"

# the notice to a data subject: no case number, no word a shared phone must not show first
SUBJECT_NOTICE = N_(
    "A message from the service\n"
    "We must tell you about a security incident. Between {since} and {found}, data the unit "
    "holds about your report may have been seen by someone who should not see it. What may "
    "have been seen: {what}. What we are doing: {doing}. What you can do: if you feel unsafe, "
    "call 112 or SAPA 129; contact the unit at {contact} to ask questions or to ask us to "
    "delete your data. (UU 27/2022 Pasal 46)"
)


def _fmt(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def authority_draft(report: BreachReport, offices: Mapping[str, Office]) -> str:
    """The written notice to the authority, with the fields Pasal 46(2) requires."""
    per_office = ", ".join(f"{o}: {n}" for o, n in sorted(report.count("office").items()))
    lines = [
        f"# Pemberitahuan kegagalan pelindungan data pribadi — insiden {report.incident_id}",
        "",
        "Kepada: lembaga penyelenggara pelindungan data pribadi (UU 27/2022 Pasal 46, 58)",
        f"Pengendali data: {', '.join(o.name for o in offices.values())}",
        f"Pejabat pelindungan data pribadi (PPDP/DPO): {FILL}",
        f"Dicatat / recorded: {_fmt(report.recorded_at)}",
        f"Batas pemberitahuan 3x24 jam / due: {_fmt(report.due_at)}",
        "",
        f"## {AUTHORITY_FIELDS[0][1]}",
        f"- Kasus tersimpan / stored cases: {len(report.subjects)} ({per_office or '-'})",
        f"- Kasus dengan korban anak / child victims: {report.children}",
        f"- Subjek data paling sedikit / data subjects at least: {report.people}",
        f"- Kasus yang sudah dihapus tetapi mungkin ada di cadangan / removed cases possibly "
        f"in backups: {len(report.removed)}",
        "- Jenis data: identitas korban (nama, umur, jenis kelamin, disabilitas), cerita "
        "kejadian (termasuk kesehatan dan kehidupan seksual), data anak, alamat/tempat, nomor "
        "telepon pelapor, bukti (foto, dokumen, suara); data pribadi spesifik (Pasal 4(2)).",
        "- Data tersimpan terenkripsi (AES-GCM) per kolom; apakah kunci ikut terungkap: " + FILL,
        "",
        f"## {AUTHORITY_FIELDS[1][1]}",
        f"- Sejak / since: {_fmt(report.since)}; diketahui / found: {_fmt(report.recorded_at)}",
        f"- Cadangan tercatat / backups recorded: "
        f"{', '.join(_fmt(b) for b in report.backups) or '-'}",
        f"- Bagaimana / how: {FILL}",
        "",
        f"## {AUTHORITY_FIELDS[2][1]}",
        "- Langkah yang sudah diambil / done: " + FILL,
        "- Rotasi kunci (ppa-bot rotate-key), penggantian token bot, pemeriksaan log audit "
        "(ppa-bot audit verify), pemberitahuan kepada subjek data (lihat berkas subjects).",
        f"- Kontak untuk pertanyaan / contact: {FILL}",
        "",
    ]
    return "\n".join(lines)


def subjects_draft(report: BreachReport, offices: Mapping[str, Office], i18n: I18n) -> str:
    """The notice to data subjects in each language used, and how to reach each case's."""
    lines = [f"# Notices to data subjects — breach {report.incident_id}", "",
             "Review with the DPO and the head before anything is sent. Never send a message "
             "to a reporter who chose no messages; neutral wording for those who chose it.",
             "", "## Text"]  # fmt: skip
    for lang in sorted({s.case.language for s in report.subjects} or {"id"}):
        t = i18n.get(lang)
        text = t.translate(SUBJECT_NOTICE, since=_fmt(report.since),
                           found=_fmt(report.recorded_at), what=FILL, doing=FILL,
                           contact=FILL)  # fmt: skip
        lines += ["", f"### {lang}", "", text]
    lines += ["", "## Routes", ""]
    lines += [f"- {key}: {why} ({report.count('route').get(key, 0)} cases)"
              for key, why in ROUTES.items()]  # fmt: skip
    lines += ["", "## Cases (no names, no contacts: look them up in the bot when you send)", "",
              "| case | office | channel | reporter | child victim | route | identity reads |",
              "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for s in report.subjects:
        c, child = s.case, "yes" if s.case.child_victim else "no"
        lines.append(f"| {c.number} | {c.office_id} | {c.channel} | {c.reporter_type} | "
                     f"{child} | {s.route} | {s.identity_reads} |")  # fmt: skip
    if report.removed:
        lines += ["", "## Removed since (their data may be in backups; contacts are gone)", ""]
        lines += [f"- {r.number} ({r.action} {_fmt(r.at)})" for r in report.removed]
    return "\n".join(lines) + "\n"


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def write_drafts(
    report: BreachReport, offices: Mapping[str, Office], i18n: I18n, folder: Path
) -> list[Path]:
    """Write both drafts into a private folder (0700, files 0600); returns their paths."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    paths = [folder / f"breach-{report.incident_id}-authority.md",
             folder / f"breach-{report.incident_id}-subjects.md"]  # fmt: skip
    _write_private(paths[0], authority_draft(report, offices))
    _write_private(paths[1], subjects_draft(report, offices, i18n))
    return paths
