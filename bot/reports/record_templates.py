"""The letters of the plan's record services: the court protection-order request (PKDRT Pasal
28-29) and the shelter admission record (Berita Acara Penerimaan Rumah Aman)."""

from __future__ import annotations

from typing import Any

__all__ = ["penerimaan_rumah_aman", "permohonan_perlindungan"]

Doc = Any  # python-docx Document (untyped library)


def permohonan_perlindungan(doc: Doc) -> None:
    """Surat Permohonan Perintah Perlindungan to the Ketua Pengadilan Negeri (UU 23/2004)."""
    from bot.reports.make_templates import _letter_top, _letterhead, _p, _signature

    _letterhead(doc)
    _letter_top(doc, "Permohonan Penetapan Perintah Perlindungan")
    _p(doc, "Kepada Yth.")
    _p(doc, "Ketua {{ to_name }}", bold=True)
    _p(doc, "di tempat")
    _p(doc)
    _p(doc, "Dengan hormat, berdasarkan Pasal 28 dan Pasal 29 Undang-Undang Nomor 23 Tahun 2004 "
            "tentang Penghapusan Kekerasan dalam Rumah Tangga, {{ office.name }} selaku "
            "pendamping korban mengajukan permohonan penetapan perintah perlindungan bagi:",
       align="justify")  # fmt: skip
    _p(doc, "Nama korban\t: {{ korban }}")
    _p(doc, "Umur / jenis kelamin\t: {{ victim_age }}, {{ victim_sex }}{{ disability_text }}")
    _p(doc, "Nomor kasus\t: {{ case_number }}")
    _p(doc, "terhadap:")
    _p(doc, "Nama terlapor\t: {{ terlapor }}")
    _p(doc, "Hubungan dengan korban\t: {{ relation }}")
    _p(doc)
    _p(doc, "Jenis kekerasan\t: {{ categories }}")
    _p(doc, "Laporan polisi\t: {{ report_number }}")
    _p(doc, "Perlindungan sementara kepolisian (Pasal 16)\t: {{ temporary_protection }}")
    _p(doc)
    _p(doc, "Alasan permohonan: {{ reason }}", align="justify")
    _p(doc, "Perlindungan yang dimohonkan:")
    _p(doc, "{%p for item in protections %}")
    _p(doc, "- {{ item }}")
    _p(doc, "{%p endfor %}")
    _p(doc)
    _p(doc, "Sesuai Pasal 28, kami mohon Ketua Pengadilan dalam tenggang waktu 7 (tujuh) hari "
            "sejak permohonan ini diterima mengeluarkan surat penetapan yang berisi perintah "
            "perlindungan bagi korban. Korban didampingi oleh Pendamping {{ pendamping }}.",
       align="justify")  # fmt: skip
    _p(doc, "Demikian permohonan ini kami sampaikan. Atas perhatiannya kami ucapkan terima kasih.")
    _signature(doc)


def penerimaan_rumah_aman(doc: Doc) -> None:
    """Berita Acara Penerimaan Rumah Aman: the head's admission to the temporary shelter."""
    from bot.reports.make_templates import _heading, _letterhead, _p

    _letterhead(doc)
    _heading(doc, "BERITA ACARA PENERIMAAN DI RUMAH AMAN")
    _p(doc, "Pada hari ini, {{ admitted_date }}, berdasarkan keputusan Ketua {{ office.name }}, "
            "telah diterima di rumah aman (penampungan sementara):", align="justify")  # fmt: skip
    _p(doc, "Nama\t: {{ korban }}")
    _p(doc, "Umur / jenis kelamin\t: {{ victim_age }}, {{ victim_sex }}{{ disability_text }}")
    _p(doc, "Nomor kasus\t: {{ case_number }}")
    _p(doc, "Nomor penempatan\t: {{ stay_id }}")
    _p(doc, "Lama tinggal paling lama\t: sampai {{ ends_date }}")
    _p(doc, "Pendamping\t: {{ pendamping }}")
    _p(doc)
    _p(doc, "Rencana keselamatan:", bold=True)
    _p(doc, "{{ safety_plan }}", align="justify")
    _p(doc)
    _p(doc, "Penerima layanan telah dijelaskan hak-haknya, tata tertib rumah aman, dan bahwa "
            "keberadaannya dirahasiakan. Pengecekan harian dilakukan oleh pendamping selama "
            "masa tinggal; sebelum masa tinggal berakhir disusun rencana pemulangan.",
       align="justify")  # fmt: skip
    _p(doc)
    _p(doc, "{{ office.city }}, {{ letter_date }}", align="right")
    _p(doc, "Penerima layanan,\t\tPendamping,\t\tKetua,")
    _p(doc)
    _p(doc)
    _p(doc, "( {{ korban }} )\t\t( {{ pendamping }} )\t\t( {{ ketua }} )")
