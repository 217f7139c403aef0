"""Staff complete the SIMFONI record with /asesmen through the Application."""

from __future__ import annotations

from bot.testing.harness import Harness
from tests.telegram.flows import full_report

__all__: list[str] = []

OFFICER = 100000002  # petugas + admin, TNG
PENDAMPING = 100000004  # TNG
MEDIATOR = 100000005  # TNG: not one who completes the record
PKL_STAFF = 200000002
NUMBER = "PPA-TNG-2026-00001"


def _missing(text: str) -> str:
    """The line listing what is still to fill."""
    return next(line for line in text.splitlines() if line.startswith("Belum diisi:"))


async def test_officer_sees_what_is_missing_and_completes_it(harness: Harness) -> None:
    h = harness
    await full_report(h)
    out = await h.send(OFFICER, f"/asesmen {NUMBER}")
    shown = out[-1].plain_text or ""
    assert "Data SIMFONI-PPA kasus" in shown and "korban1.pendidikan" in _missing(shown)
    assert "Rumah tangga" in shown  # the place the reporter chose
    out = await h.send(
        OFFICER,
        f"/asesmen {NUMBER} korban1.pendidikan=smp korban1.status=belum_kawin "
        f'korban1.pekerjaan=pelajar korban1.disabilitas=tidak wilayah="Kec. Cibodas" '
        f"korban2.jk=l korban2.usia=9 pelaku1.usia=40 layanan=kesehatan",
    )
    shown = out[-1].plain_text or ""
    assert "Korban 2: Laki-laki, 6-12" in shown and "Kec. Cibodas" in shown
    assert "korban1.pendidikan" not in _missing(shown)
    assert "korban2.pendidikan" in _missing(shown)
    victims = await h.rt.db.fetchall("SELECT ord, education FROM case_victims ORDER BY ord")
    assert [tuple(v) for v in victims] == [(1, "smp"), (2, "unknown")]
    audit = await h.rt.db.fetchall("SELECT actor FROM audit_log WHERE action = 'record'")
    assert len(audit) == 1
    out = await h.send(OFFICER, f"/asesmen {NUMBER} korban1.pendidikan=doktor")
    assert "korban1.pendidikan=doktor" in (out[-1].plain_text or "")


async def test_others_cannot_complete_it(harness: Harness) -> None:
    h = harness
    await full_report(h)
    out = await h.send(MEDIATOR, f"/asesmen {NUMBER} tempat=sekolah")
    assert "Hanya petugas" in (out[-1].plain_text or "")
    out = await h.send(PKL_STAFF, f"/asesmen {NUMBER} tempat=sekolah")
    assert "Tidak ada kasus" in (out[-1].plain_text or "")
    row = await h.rt.db.fetchone("SELECT place FROM cases")
    assert row is not None and row[0] == "rumah_tangga"
    out = await h.send(PENDAMPING, f"/asesmen {NUMBER} tempat=sekolah")
    row = await h.rt.db.fetchone("SELECT place FROM cases")
    assert row is not None and row[0] == "sekolah"


async def test_a_case_with_many_victims_is_shown_in_several_messages(harness: Harness) -> None:
    h = harness
    await full_report(h)
    words = " ".join(f"korban{n}.jk=p korban{n}.usia=10" for n in range(2, 60))
    await h.send(OFFICER, f"/asesmen {NUMBER} {words}")
    out = await h.send(OFFICER, f"/asesmen {NUMBER}")
    assert len(out) >= 2 and all(len(m.text or "") <= 4096 for m in out)
    assert "Korban 59:" in "\n".join(m.plain_text or "" for m in out)
    row = await h.rt.db.fetchone("SELECT COUNT(*) FROM case_victims")
    assert row is not None and row[0] == 59
