"""The case-management letters of seed 004: Lembar Disposisi and Surat Pernyataan Persetujuan."""

from __future__ import annotations

from typing import Any

__all__ = ["disposisi", "persetujuan"]

Doc = Any  # python-docx Document (untyped library)


def disposisi(doc: Doc) -> None:
    """Lembar Disposisi: the Ketua Harian disposes the case to an expert (seed 004 step 1)."""
    from bot.reports.make_templates import _heading, _letterhead, _p, _parties, _signature

    _letterhead(doc)
    _heading(doc, "LEMBAR DISPOSISI")
    _p(doc, "Nomor\t: {{ letter_number }}")
    _p(doc, "Nomor kasus\t: {{ case_number }}")
    _p(doc, "Tanggal pengaduan\t: {{ received_date }}")
    _p(doc, "Jenis kekerasan\t: {{ categories }}")
    _p(doc, "Korban\t: {{ korban }}, {{ victim_age }}, {{ victim_sex }}{{ disability_text }}")
    _p(doc)
    _p(doc, "Diteruskan kepada Tenaga Ahli:", bold=True)
    _p(doc, "Bidang\t: {{ expert_field }}")
    _p(doc, "Nama\t: {{ expert_name }}")
    _p(doc)
    _p(doc, "Untuk: penanganan kasus sesuai bidang tenaga ahli; laporan hasil pelayanan "
            "disampaikan kepada Manajer Kasus {{ manajer_kasus }}.", align="justify")  # fmt: skip
    _p(doc, "Catatan: {{ instruction }}", align="justify")
    _p(doc)
    _parties(doc)
    _signature(doc, title="Ketua Harian")


def persetujuan(doc: Doc) -> None:
    """Surat Pernyataan Persetujuan: the client agrees to the services (seed 004 step 2 input)."""
    from bot.reports.make_templates import _heading, _letterhead, _p

    _letterhead(doc)
    _heading(doc, "SURAT PERNYATAAN PERSETUJUAN")
    _p(doc, "Nomor\t: {{ letter_number }}")
    _p(doc, "Yang bertanda tangan di bawah ini:")
    _p(doc, "Nama\t: {{ korban }}")
    _p(doc, "Umur\t: {{ victim_age }}")
    _p(doc, "Nomor kasus\t: {{ case_number }}")
    _p(doc, "{%p if child_victim %}")
    _p(doc, "didampingi orang tua / wali: ....................................")
    _p(doc, "{%p endif %}")
    _p(doc)
    _p(doc, "menyatakan dengan sadar dan tanpa paksaan SETUJU menerima layanan "
            "{{ services_offered }} dari {{ office.name }}, dan mengizinkan petugas mencatat "
            "data kasus ini. Data pribadi saya dijaga kerahasiaannya dan hanya dipakai untuk "
            "penanganan kasus. Persetujuan ini dapat saya tarik kembali kapan saja.",
       align="justify")  # fmt: skip
    _p(doc)
    _p(doc, "{{ office.city }}, {{ letter_date }}", align="right")
    _p(doc, "Yang menyatakan,\t\t\t\tPetugas,")
    _p(doc)
    _p(doc)
    _p(doc, "( {{ korban }} )\t\t\t\t( .................... )", bold=True)
    _p(doc, "{%p if child_victim %}")
    _p(doc, "Orang tua / wali: ( .................... )")
    _p(doc, "{%p endif %}")
