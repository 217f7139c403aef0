"""Letter numbers per office, kind and year, e.g. ``001/UND/PPA-TNG/III/2026``."""

from __future__ import annotations

from bot.store import Tx
from bot.store.letters import next_seq

__all__ = ["KIND_CODES", "allocate", "letter_number", "roman"]

# letter kind (the SOP's output_document key) -> the code in the letter number
KIND_CODES: dict[str, str] = {
    "surat_undangan_mediasi": "UND",
    "surat_pemberitahuan": "PEMB",
    "surat_tugas": "ST",
    "surat_rujukan": "RUJ",
    "berita_acara_mediasi": "BA",
    "rekam_kasus": "RK",
    "lembar_disposisi": "LD",
    "surat_pernyataan_persetujuan": "SPP",
    "surat_permohonan_perlindungan": "PPP",
    "berita_acara_penerimaan_rumah_aman": "BARA",
}

_ROMAN = (
    (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
    (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
)  # fmt: skip


def roman(n: int) -> str:
    """Roman numeral of a positive integer (months: 3 -> 'III')."""
    if n <= 0:
        raise ValueError("roman numerals start at 1")
    out: list[str] = []
    for value, symbol in _ROMAN:
        count, n = divmod(n, value)
        out.append(symbol * count)
    return "".join(out)


def letter_number(office_id: str, kind: str, seq: int, month: int, year: int) -> str:
    """'001/UND/PPA-TNG/III/2026': sequence, kind code, office, month (Roman), year."""
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    return f"{seq:03d}/{KIND_CODES[kind]}/PPA-{office_id}/{roman(month)}/{year}"


async def allocate(tx: Tx, office_id: str, kind: str, year: int) -> int:
    """Next sequence number for an office, kind and year (inside the caller's transaction)."""
    if kind not in KIND_CODES:
        raise ValueError(f"unknown letter kind: {kind}")
    return await next_seq(tx, office_id, kind, year)
