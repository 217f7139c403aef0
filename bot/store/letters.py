"""Letter repository: numbers per office, kind and year, and letters stored encrypted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.crypto import Cipher
from bot.store.db import Row, Tx

__all__ = ["DOCX_MIME", "Letter", "LetterInfo", "LetterStore", "next_seq"]

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_INFO = "id, case_id, kind, number, year, office_id, created_at, created_by"


@dataclass(frozen=True)
class LetterInfo:
    """A stored letter without its content."""

    id: int
    case_id: int
    kind: str
    number: str
    year: int
    office_id: str
    created_at: datetime
    created_by: int

    @property
    def filename(self) -> str:
        """A file name safe on every system, e.g. 'surat_tugas_001-ST-PPA-TNG-III-2026.docx'."""
        return f"{self.kind}_{self.number.replace('/', '-')}.docx"

    @property
    def mime(self) -> str:
        """The DOCX media type."""
        return DOCX_MIME


@dataclass(frozen=True)
class Letter(LetterInfo):
    """A stored letter with its DOCX bytes (personal data: handle with care)."""

    content: bytes


def _ctx(case_id: int, number: str) -> bytes:
    return f"letter:{case_id}:{number}".encode()


def _info(r: Row) -> LetterInfo:
    return LetterInfo(
        id=r["id"],
        case_id=r["case_id"],
        kind=r["kind"],
        number=r["number"],
        year=r["year"],
        office_id=r["office_id"],
        created_at=datetime.fromisoformat(r["created_at"]),
        created_by=r["created_by"],
    )


async def next_seq(tx: Tx, office_id: str, kind: str, year: int) -> int:
    """Next sequence number for an office, kind and year."""
    await tx.execute(
        "INSERT INTO letter_counters (office_id, kind, year, last) VALUES (?, ?, ?, 1)"
        " ON CONFLICT (office_id, kind, year) DO UPDATE SET last = letter_counters.last + 1",
        (office_id, kind, year),
    )
    async with tx.execute(
        "SELECT last FROM letter_counters WHERE office_id = ? AND kind = ? AND year = ?",
        (office_id, kind, year),
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


class LetterStore:
    """SQL of stored letters; writes take the caller's transaction."""

    def __init__(self, cipher: Cipher) -> None:
        self.cipher = cipher

    async def insert(self, tx: Tx, letter: Letter) -> int:
        """Store a letter (its ``id`` is ignored), content encrypted; returns its id."""
        cur = await tx.execute(
            "INSERT INTO letters (case_id, kind, number, year, office_id, created_at, created_by,"
            " content_enc) VALUES (?,?,?,?,?,?,?,?)",
            (
                letter.case_id,
                letter.kind,
                letter.number,
                letter.year,
                letter.office_id,
                letter.created_at.isoformat(),
                letter.created_by,
                self.cipher.encrypt(letter.content, context=_ctx(letter.case_id, letter.number)),
            ),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    async def of_case(self, tx: Tx, case_id: int) -> list[LetterInfo]:
        """A case's letters, oldest first (without their content)."""
        async with tx.execute(
            f"SELECT {_INFO} FROM letters WHERE case_id = ? ORDER BY id", (case_id,)
        ) as cur:
            return [_info(r) for r in await cur.fetchall()]

    async def get(self, tx: Tx, letter_id: int) -> Letter | None:
        """A stored letter with its decrypted content."""
        async with tx.execute("SELECT * FROM letters WHERE id = ?", (letter_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        info = _info(row)
        content = self.cipher.decrypt(row["content_enc"], context=_ctx(info.case_id, info.number))
        return Letter(**{**info.__dict__, "content": content})

    async def owner(self, tx: Tx, letter_id: int) -> tuple[int, str, str] | None:
        """(case id, office id, case number) of a letter."""
        async with tx.execute(
            "SELECT l.case_id, l.office_id, c.number FROM letters l"
            " JOIN cases c ON c.id = l.case_id WHERE l.id = ?",
            (letter_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return int(row["case_id"]), str(row["office_id"]), str(row["number"])
