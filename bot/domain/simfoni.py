"""SIMFONI-PPA's vocabulary: the national recording's categories, codes and Indonesian terms.

Each category is a tuple of ``Term``: the code stored in the database, the label shown in the
bot (an English message id; the Indonesian catalog holds SIMFONI's word), SIMFONI's own
Indonesian term (written as is into the export), and the token staff type in ``/catat``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.i18n_marker import N_

__all__ = [
    "AGE_GROUPS",
    "DISABILITY",
    "EDUCATION",
    "MARITAL",
    "OCCUPATION",
    "PLACES",
    "RELATIONS",
    "SERVICES",
    "SERVICE_OF_SOP",
    "SEX",
    "UNKNOWN",
    "VIOLENCE",
    "VOCABULARIES",
    "Term",
    "by_token",
    "term",
]

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Term:
    """One value of a SIMFONI category."""

    code: str
    label: str
    simfoni: str
    token: str = ""

    @property
    def typed(self) -> str:
        """What staff type for it (the code when no Indonesian token is set)."""
        return self.token or self.code


def _unknown() -> Term:
    return Term(UNKNOWN, N_("Not known"), "Tidak diketahui", "?")


SEX = (
    Term("female", N_("Female"), "Perempuan", "p"),
    Term("male", N_("Male"), "Laki-laki", "l"),
    _unknown(),
)
_BANDS = ("0-5", "6-12", "13-17", "18-24", "25-44", "45-59", "60+")
AGE_GROUPS = (*(Term(g, g, f"{g} tahun", g) for g in _BANDS), _unknown())
EDUCATION = (
    Term("belum_sekolah", N_("Not yet in school"), "Belum sekolah"),
    Term("tidak_sekolah", N_("Never went to school"), "Tidak sekolah"),
    Term("sd", N_("Primary school (SD)"), "SD / sederajat"),
    Term("smp", N_("Junior high school (SMP)"), "SLTP / sederajat"),
    Term("sma", N_("Senior high school (SMA/SMK)"), "SLTA / sederajat"),
    Term("pt", N_("College or university"), "Perguruan tinggi"),
    _unknown(),
)
MARITAL = (
    Term("belum_kawin", N_("Not married"), "Belum kawin"),
    Term("kawin", N_("Married"), "Kawin"),
    Term("cerai_hidup", N_("Divorced"), "Cerai hidup"),
    Term("cerai_mati", N_("Widowed"), "Cerai mati"),
    _unknown(),
)
OCCUPATION = (
    Term("pelajar", N_("Pupil / student"), "Pelajar / mahasiswa"),
    Term("irt", N_("Homemaker"), "Ibu rumah tangga"),
    Term("asn", N_("Civil servant / military / police"), "PNS / TNI / Polri"),
    Term("swasta", N_("Private employee"), "Karyawan swasta"),
    Term("wiraswasta", N_("Self-employed"), "Wiraswasta"),
    Term("buruh", N_("Labourer"), "Buruh"),
    Term("tani", N_("Farmer / fisher"), "Petani / nelayan"),
    Term("pmi", N_("Migrant worker"), "Pekerja migran"),
    Term("tidak_bekerja", N_("Not working"), "Tidak bekerja"),
    Term("lainnya", N_("Other work"), "Lainnya"),
    _unknown(),
)
DISABILITY = (
    Term("tidak", N_("No disability"), "Tidak"),
    Term("ya", N_("Disability, type not recorded"), "Ya (jenis belum dicatat)"),
    Term("fisik", N_("Physical disability"), "Disabilitas fisik"),
    Term("intelektual", N_("Intellectual disability"), "Disabilitas intelektual"),
    Term("mental", N_("Mental disability"), "Disabilitas mental"),
    Term("sensorik", N_("Sensory disability"), "Disabilitas sensorik"),
    Term("ganda", N_("Multiple disabilities"), "Disabilitas ganda"),
    _unknown(),
)
PLACES = (
    Term("rumah_tangga", N_("At home (household)"), "Rumah tangga"),
    Term("tempat_kerja", N_("At work"), "Tempat kerja"),
    Term("sekolah", N_("At school"), "Sekolah"),
    Term("fasilitas_umum", N_("A public place"), "Fasilitas umum"),
    Term("lpk", N_("A course or training centre"), "Lembaga pendidikan kilat"),
    Term("lainnya", N_("Somewhere else"), "Lainnya"),
    _unknown(),
)
VIOLENCE = (
    Term("physical", N_("Physical"), "Fisik", "fisik"),
    Term("psychological", N_("Psychological"), "Psikis", "psikis"),
    Term("sexual", N_("Sexual"), "Seksual", "seksual"),
    Term("exploitation", N_("Exploitation"), "Eksploitasi", "eksploitasi"),
    Term("trafficking", N_("Trafficking"), "Trafficking", "trafficking"),
    Term("neglect", N_("Neglect"), "Penelantaran", "penelantaran"),
    Term("other", N_("Other"), "Lainnya", "lainnya"),
)
RELATIONS = (
    Term("parent", N_("Parent"), "Orang tua", "orang_tua"),
    Term("step_parent", N_("Step-parent"), "Orang tua tiri", "orang_tua_tiri"),
    Term("guardian", N_("Guardian"), "Wali", "wali"),
    Term("spouse", N_("Husband / wife"), "Suami / istri", "suami_istri"),
    Term("partner", N_("Boyfriend / girlfriend / ex"), "Pacar / teman", "pacar"),
    Term("relative", N_("Other family member"), "Keluarga / saudara", "keluarga"),
    Term("neighbour", N_("Neighbour"), "Tetangga", "tetangga"),
    Term("teacher", N_("Teacher"), "Guru", "guru"),
    Term("caregiver", N_("Caregiver"), "Pengasuh", "pengasuh"),
    Term("employer", N_("Employer"), "Majikan", "majikan"),
    Term("coworker", N_("Co-worker"), "Rekan kerja", "rekan_kerja"),
    Term("stranger", N_("Stranger"), "Orang tidak dikenal", "tidak_dikenal"),
    Term("other", N_("Someone else"), "Lainnya", "lainnya"),
    _unknown(),
)
SERVICES = (
    Term("pengaduan", N_("Complaint"), "Pengaduan"),
    Term("kesehatan", N_("Health"), "Kesehatan"),
    Term("bantuan_hukum", N_("Legal aid"), "Bantuan hukum"),
    Term("penegakan_hukum", N_("Law enforcement"), "Penegakan hukum"),
    Term("rehabilitasi_sosial", N_("Social rehabilitation"), "Rehabilitasi sosial"),
    Term("reintegrasi_sosial", N_("Social reintegration"), "Reintegrasi sosial"),
    Term("pemulangan", N_("Return home"), "Pemulangan"),
    Term("tokoh_agama", N_("Accompaniment by a religious leader"), "Pendampingan tokoh agama"),
)
# the services of the unit's SOPs (bot/sops/rules/eligibility.toml) in SIMFONI's categories
SERVICE_OF_SOP = {
    "accompaniment": "penegakan_hukum",
    "legal_aid": "bantuan_hukum",
    "health": "kesehatan",
    "psychosocial": "rehabilitasi_sosial",
    "shelter": "rehabilitasi_sosial",
    "reintegration": "reintegrasi_sosial",
    "diversion_referral": "penegakan_hukum",
}

VOCABULARIES: dict[str, tuple[Term, ...]] = {
    "sex": SEX,
    "age_group": AGE_GROUPS,
    "education": EDUCATION,
    "marital": MARITAL,
    "occupation": OCCUPATION,
    "disability": DISABILITY,
    "place": PLACES,
    "violence": VIOLENCE,
    "relation": RELATIONS,
    "service": SERVICES,
}


def term(vocabulary: str, code: str) -> Term:
    """The term with a code (codes not in the vocabulary read as not known)."""
    terms = VOCABULARIES[vocabulary]
    for t in terms:
        if t.code == code:
            return t
    for t in terms:
        if t.code == UNKNOWN:
            return t
    return Term(code, code, code)


def by_token(vocabulary: str, typed: str) -> Term | None:
    """The term staff meant by a typed token or code (case-insensitive), or None."""
    wanted = typed.strip().casefold()
    for t in VOCABULARIES[vocabulary]:
        if wanted in {t.typed.casefold(), t.code.casefold()}:
            return t
    return None
