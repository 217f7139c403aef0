"""Write the editable DOCX letter templates (docxtpl/Jinja tags) into bot/reports/templates."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from bot.reports.casework_templates import disposisi, persetujuan
from bot.reports.record_templates import penerimaan_rumah_aman, permohonan_perlindungan

__all__ = ["TEMPLATES", "TEMPLATES_DIR", "main", "write_templates"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

Doc = Any  # python-docx Document (untyped library)


def _new() -> Doc:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin = section.bottom_margin = Cm(2)
    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    normal.paragraph_format.space_after = Pt(2)
    return doc


def _p(
    doc: Doc, text: str = "", *, bold: bool = False, align: str = "left", size: int | None = None
) -> Any:
    para = doc.add_paragraph()
    para.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    if text:
        run = para.add_run(text)
        run.bold = bold
        if size:
            run.font.size = Pt(size)
    return para


def _rule(para: Any) -> None:
    """A thick line under the letterhead (a bottom border on the paragraph)."""
    p_pr = para._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "thickThinSmallGap")
    bottom.set(qn("w:sz"), "18")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    borders.append(bottom)
    p_pr.append(borders)


def _letterhead(doc: Doc) -> None:
    _p(doc, "PEMERINTAH {{ office.city_upper }}", bold=True, align="center", size=13)
    _p(doc, "{{ office.name_upper }}", bold=True, align="center", size=14)
    _p(doc, "{{ office.address }}", align="center", size=11)
    last = _p(doc, "Telp. {{ office.phones }}{{ office.whatsapp_line }}", align="center", size=11)
    _rule(last)
    _p(doc)


def _heading(doc: Doc, title: str) -> None:
    _p(doc, title, bold=True, align="center", size=13)
    _p(doc, "Nomor: {{ letter_number }}", align="center")
    _p(doc)


def _letter_top(doc: Doc, perihal: str) -> None:
    _p(doc, "{{ office.city }}, {{ letter_date }}", align="right")
    _p(doc, "Nomor\t: {{ letter_number }}")
    _p(doc, "Lampiran\t: -")
    _p(doc, f"Perihal\t: {perihal}", bold=True)
    _p(doc, "Nomor Kasus\t: {{ case_number }}")
    _p(doc)


def _signature(doc: Doc, title: str = "{{ signer_title }}", name: str = "{{ ketua }}") -> None:
    _p(doc)
    _p(doc, "{{ office.city }}, {{ letter_date }}", align="right")
    _p(doc, title, align="right")
    _p(doc, "{{ office.name }}", align="right")
    _p(doc)
    _p(doc)
    _p(doc, f"( {name} )", align="right", bold=True)


def _table(doc: Doc, header: list[str], loop: str, cells: list[str]) -> None:
    """A table whose body row repeats with docxtpl's ``{%tr for ... %}``."""
    table = doc.add_table(rows=4, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, text in enumerate(header):
        cell = table.rows[0].cells[i]
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    table.rows[1].cells[0].text = "{%tr for " + loop + " %}"
    for i, text in enumerate(cells):
        table.rows[2].cells[i].text = text
    table.rows[3].cells[0].text = "{%tr endfor %}"


def _parties(doc: Doc) -> None:
    _p(doc, "Para pihak dalam perkara ini:")
    for role, var in (
        ("Pelapor", "pelapor"),
        ("Korban", "korban"),
        ("Terlapor", "terlapor"),
        ("Pendamping", "pendamping"),
        ("Mediator", "mediator"),
        ("Manajer Kasus", "manajer_kasus"),
    ):
        _p(doc, f"{role}\t: {{{{ {var} }}}}")
    _p(doc)


def undangan(doc: Doc) -> None:
    """Surat Undangan Mediasi."""
    _letterhead(doc)
    _letter_top(doc, "Undangan Mediasi")
    _p(doc, "Kepada Yth.")
    _p(doc, "{{ recipient_role }}: {{ recipient_name }}", bold=True)
    _p(doc, "di tempat")
    _p(doc)
    _p(
        doc,
        "Dengan hormat, sehubungan dengan pengaduan yang diterima {{ office.name }} pada "
        "{{ received_date }} dengan nomor kasus {{ case_number }}, bersama ini kami mengundang "
        "Saudara/i untuk hadir dalam mediasi yang akan dilaksanakan pada:",
        align="justify",
    )
    _p(doc, "Hari, tanggal\t: {{ mediation_date }}")
    _p(doc, "Waktu\t: {{ mediation_time }}")
    _p(doc, "Tempat\t: {{ mediation_place }}")
    _p(doc, "Acara\t: Mediasi")
    _p(doc)
    _parties(doc)
    _p(
        doc,
        "Anak korban atau anak pelaku wajib didampingi orang tua, keluarga, wali atau "
        "pendamping; perempuan atau anak berkebutuhan khusus didampingi pendamping khusus.",
        align="justify",
    )
    _p(
        doc,
        "Demikian undangan ini kami sampaikan. Atas perhatian dan kehadiran Saudara/i kami "
        "ucapkan terima kasih. Layanan ini tidak dipungut biaya.",
        align="justify",
    )
    _signature(doc)


def pemberitahuan(doc: Doc) -> None:
    """Surat Pemberitahuan (request rejected; mediation cannot go ahead)."""
    _letterhead(doc)
    _letter_top(doc, "Pemberitahuan")
    _p(doc, "Kepada Yth.")
    _p(doc, "Pemohon / Pelapor: {{ pelapor }}", bold=True)
    _p(doc, "di tempat")
    _p(doc)
    _p(
        doc,
        "Dengan hormat, menindaklanjuti permohonan Saudara/i yang kami terima pada "
        "{{ received_date }} dengan nomor kasus {{ case_number }}, bersama ini kami "
        "beritahukan bahwa:",
        align="justify",
    )
    _p(doc, "{%p if variant == 'rejected' %}")
    _p(
        doc,
        "permohonan mediasi Saudara/i TIDAK DAPAT DITERIMA berdasarkan keputusan pimpinan "
        "setelah pertimbangan tim teknis.",
        align="justify",
    )
    _p(doc, "{%p else %}")
    _p(
        doc,
        "mediasi TIDAK DAPAT DILAKSANAKAN karena pihak terkait (kelurahan, Bhabinkamtibmas, "
        "RT/RW, keluarga atau Terlapor) menolak atau tidak bersedia bekerja sama.",
        align="justify",
    )
    _p(doc, "{%p endif %}")
    _p(doc, "Alasan / keterangan: {{ reason }}", align="justify")
    _p(doc)
    _parties(doc)
    _p(
        doc,
        "Saudara/i tetap dapat menghubungi kami di {{ office.phones }} untuk layanan lain "
        "(konseling, bantuan hukum, pendampingan). Demikian pemberitahuan ini kami sampaikan.",
        align="justify",
    )
    _signature(doc)


def tugas(doc: Doc) -> None:
    """Surat Tugas for a companion."""
    _letterhead(doc)
    _heading(doc, "SURAT TUGAS")
    _p(doc, "Yang bertanda tangan di bawah ini, {{ signer_title }} {{ office.name }}, menugaskan:")
    _p(doc, "Nama\t: {{ pendamping }}")
    _p(doc, "Jabatan\t: Pendamping Korban")
    _p(doc)
    _p(
        doc,
        "untuk mendampingi Korban {{ korban }} (nomor kasus {{ case_number }}) dalam "
        "{{ task }} pada {{ task_date }} bertempat di {{ task_place }}.",
        align="justify",
    )
    _p(doc)
    _parties(doc)
    _p(
        doc,
        "Pendamping wajib menjaga kerahasiaan identitas Korban dan melaporkan hasil "
        "pendampingan kepada Manajer Kasus ({{ manajer_kasus }}). Demikian surat tugas ini "
        "dibuat untuk dilaksanakan dengan penuh tanggung jawab.",
        align="justify",
    )
    _signature(doc)


def rujukan(doc: Doc) -> None:
    """Surat Rujukan to police, hospital (visum), court or psychologist."""
    _letterhead(doc)
    _letter_top(doc, "Rujukan {{ destination_label }}")
    _p(doc, "Kepada Yth.")
    _p(doc, "{%p if destination == 'police' %}")
    _p(doc, "Kepala Kepolisian Resor {{ office.city }} (Unit PPA Satreskrim)", bold=True)
    _p(doc, "{%p elif destination == 'hospital' %}")
    _p(doc, "Direktur Rumah Sakit / Kepala Puskesmas {{ to_name }}", bold=True)
    _p(doc, "{%p elif destination == 'court' %}")
    _p(doc, "Ketua Pengadilan {{ to_name }}", bold=True)
    _p(doc, "{%p elif destination == 'psychologist' %}")
    _p(doc, "Psikolog / Layanan Psikologi {{ to_name }}", bold=True)
    _p(doc, "{%p else %}")
    _p(doc, "Pimpinan {{ to_name }}", bold=True)
    _p(doc, "{%p endif %}")
    _p(doc, "di tempat")
    _p(doc)
    _p(
        doc,
        "Dengan hormat, bersama ini kami rujuk Korban {{ korban }} ({{ victim_age }}), "
        "nomor kasus {{ case_number }}, jenis kekerasan: {{ categories }}, untuk "
        "mendapatkan {{ purpose }}.",
        align="justify",
    )
    _p(
        doc,
        "Korban didampingi oleh Pendamping {{ pendamping }} dari {{ office.name }}. Mohon "
        "hasil layanan disampaikan kepada Manajer Kasus {{ manajer_kasus }}.",
        align="justify",
    )
    _p(doc)
    _parties(doc)
    _p(doc, "Atas perhatian dan kerja samanya kami ucapkan terima kasih.", align="justify")
    _signature(doc)


def berita_acara(doc: Doc) -> None:
    """Berita Acara Hasil Mediasi: agreement points and every party's signature."""
    _letterhead(doc)
    _heading(doc, "BERITA ACARA HASIL MEDIASI")
    _p(
        doc,
        "Pada hari ini {{ mediation_date }}, pukul {{ mediation_time }}, bertempat di "
        "{{ mediation_place }}, telah dilaksanakan mediasi atas kasus nomor {{ case_number }} "
        "yang difasilitasi oleh Mediator {{ mediator }}, dihadiri oleh:",
        align="justify",
    )
    _parties(doc)
    _p(doc, "Para pihak telah bermusyawarah dan mencapai kesepakatan sebagai berikut:")
    _p(doc, "{%p for point in agreement_points %}")
    _p(doc, "{{ loop.index }}. {{ point }}", align="justify")
    _p(doc, "{%p endfor %}")
    _p(doc)
    _p(
        doc,
        "Pendamping akan memantau pelaksanaan kesepakatan ini dan melaporkannya kepada "
        "Manajer Kasus {{ manajer_kasus }}.",
        align="justify",
    )
    _p(
        doc,
        "Berita acara ini dibuat rangkap {{ copies }}, masing-masing pihak mendapat salinan "
        "yang sama kekuatannya, dan ditandatangani oleh para pihak tanpa paksaan.",
        align="justify",
    )
    _p(doc, "{{ office.city }}, {{ letter_date }}", align="right")
    _p(doc)
    _table(
        doc,
        ["No.", "Pihak", "Nama", "Tanda Tangan"],
        "s in signatories",
        ["{{ loop.index }}", "{{ s.role }}", "{{ s.name }}", "\n\n........................"],
    )
    _p(doc)
    _p(doc, "Mengetahui,", align="right")
    _signature(doc)


def rekam_kasus(doc: Doc) -> None:
    """Rekam Kasus: identity of the case, chronology, services, follow-up plan."""
    _letterhead(doc)
    _heading(doc, "REKAM KASUS")
    _p(doc, "Nomor kasus\t: {{ case_number }}")
    _p(doc, "Tanggal pengaduan\t: {{ received_date }}")
    _p(doc, "Saluran pengaduan\t: {{ channel }}")
    _p(doc, "Korban\t: {{ korban }}, {{ victim_age }}, {{ victim_sex }}{{ disability_text }}")
    _p(doc, "Jenis kekerasan\t: {{ categories }}")
    _p(doc, "Hubungan Terlapor dengan Korban\t: {{ relation }}")
    _p(doc, "Status\t: {{ status }}")
    _p(doc)
    _parties(doc)
    _p(doc, "A. Kronologi", bold=True)
    _p(doc, "Kejadian: {{ incident_when }}, di {{ incident_where }}.", align="justify")
    _p(doc, "{{ story }}", align="justify")
    _table(
        doc,
        ["No.", "Waktu", "Kegiatan", "Hasil"],
        "e in chronology",
        ["{{ loop.index }}", "{{ e.at }}", "{{ e.what }}", "{{ e.result }}"],
    )
    _p(doc)
    _p(doc, "B. Layanan", bold=True)
    _p(doc, "Layanan yang diminta: {{ help_wanted }}", align="justify")
    _p(doc, "{%p for s in services %}")
    _p(doc, "- {{ s }}")
    _p(doc, "{%p endfor %}")
    _p(doc)
    _p(doc, "C. Rencana Tindak Lanjut", bold=True)
    _p(doc, "{%p for item in follow_up %}")
    _p(doc, "{{ loop.index }}. {{ item }}", align="justify")
    _p(doc, "{%p endfor %}")
    _signature(doc, title="Manajer Kasus", name="{{ manajer_kasus }}")


TEMPLATES: dict[str, Callable[[Doc], None]] = {
    "surat_undangan_mediasi": undangan,
    "surat_pemberitahuan": pemberitahuan,
    "surat_tugas": tugas,
    "surat_rujukan": rujukan,
    "berita_acara_mediasi": berita_acara,
    "rekam_kasus": rekam_kasus,
    "lembar_disposisi": disposisi,
    "surat_pernyataan_persetujuan": persetujuan,
    "surat_permohonan_perlindungan": permohonan_perlindungan,
    "berita_acara_penerimaan_rumah_aman": penerimaan_rumah_aman,
}


def write_templates(
    directory: Path = TEMPLATES_DIR, kinds: tuple[str, ...] | None = None
) -> list[Path]:
    """Write every template, or those `kinds` (overwriting edited ones: keep a copy)."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind, build in TEMPLATES.items():
        if kinds is not None and kind not in kinds:
            continue
        doc = _new()
        build(doc)
        path = directory / f"{kind}.docx"
        doc.save(str(path))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.reports.make_templates [DIR]``."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else TEMPLATES_DIR
    for path in write_templates(target):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
