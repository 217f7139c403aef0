"""Security review #16: evidence lives in the encrypted file store, and every path that ends a
case or changes the key deals with its files: the retention purge deletes them, key rotation
re-encrypts them (crash-safe), and BLOBs of before migration 0021 move to files at start."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, UnknownKeyError, generate_key
from bot.domain.identity import Handle
from bot.security import evidence_rotation
from bot.security.backup import backup_database
from bot.security.keys import rotate_key
from bot.security.retention import purge, retention_days
from bot.services.context import Services
from bot.services.evidence import read_evidence
from bot.services.evidence_migration import move_legacy_evidence
from bot.services.intake import Evidence, submit_complaint
from bot.store import db as db_module
from bot.store.db import Database
from bot.store.evidence_files import EvidenceFileError, EvidenceFiles, chunks_of
from bot.testing.harness import EXAMPLE_OFFICES
from bot.testing.people import same_ids_for_staff
from tests.stores import stored_bytes

__all__: list[str] = []

JPEG = b"\xff\xd8\xff\xe0" + b"FOTO-LEBAM-MELATI " * 9000  # about 160 KiB: three segments


def _content(i: int) -> bytes:
    return JPEG + str(i).encode()


async def _read(files: EvidenceFiles, ref: str) -> bytes:
    return b"".join([piece async for piece in files.read(ref)])


async def _services(db: Database, cipher: Cipher, clock: FakeClock, folder: Path) -> Services:
    offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
    svc = Services(db, clock, cipher, offices, evidence_dir=folder)
    await same_ids_for_staff(svc)
    return svc


async def _cases(svc: Services, n: int) -> None:
    for i in range(n):
        await submit_complaint(
            svc,
            answers={"office": "TNG", "victim_name": f"Korban {i}", "story": "rahasia"},
            evidence=[Evidence("photo", "image/jpeg", _content(i))],
            idempotency_key=f"k{i}",
            mode="reporter",
            reporter=Handle("telegram", str(7000 + i)),
            recorded_by=None,
            language="id",
        )


async def _refs(db: Database) -> dict[int, str]:
    rows = await db.fetchall("SELECT case_id, file_ref FROM evidence ORDER BY case_id")
    return {int(r[0]): str(r[1]) for r in rows}


async def test_the_database_holds_a_reference_and_the_files_no_plaintext(
    db_target: str | Path, tmp_path: Path, clock: FakeClock
) -> None:
    db = await Database.open(db_target)
    try:
        svc = await _services(db, Cipher(generate_key()), clock, tmp_path / "evidence")
        await _cases(svc, 2)
        # the same submission again: the same case, and no second file
        await _cases(svc, 1)
        rows = await db.fetchall(
            "SELECT size, mime, digest, content_enc, file_ref FROM evidence ORDER BY id"
        )
        assert [(int(r[0]), r[1], r[3]) for r in rows] == [
            (len(_content(i)), "image/jpeg", None) for i in range(2)
        ]
        assert all(len(str(r[2])) == 64 for r in rows)
        assert svc.evidence.refs() == sorted(str(r[4]) for r in rows)
        for i, r in enumerate(rows):
            assert await _read(svc.evidence, str(r[4])) == _content(i)
        on_disk = b"".join(p.read_bytes() for p in svc.evidence.folder.iterdir())
        assert b"LEBAM-MELATI" not in on_disk
        await db.checkpoint() if db.dialect == "sqlite" else None
        assert b"LEBAM-MELATI" not in stored_bytes(db_target)
    finally:
        await db.close()


async def test_a_file_named_in_another_cases_row_is_not_sent(
    db_target: str | Path, tmp_path: Path, clock: FakeClock
) -> None:
    """Write access to the database without the key: swapping two cases' file references and
    digests does not give one case's readers the other case's file."""
    db = await Database.open(db_target)
    try:
        svc = await _services(db, Cipher(generate_key()), clock, tmp_path / "evidence")
        await _cases(svc, 2)
        rows = await db.fetchall("SELECT case_id, file_ref, digest FROM evidence ORDER BY id")
        (_, ref1, dig1), (_, ref2, dig2) = [tuple(r) for r in rows]
        async with db.transaction() as conn:
            swap = "UPDATE evidence SET file_ref = ?, digest = ? WHERE case_id = ?"
            await conn.execute(swap, ("0" * 32, "", 2))
            await conn.execute(swap, (ref2, dig2, 1))
            await conn.execute(swap, (ref1, dig1, 2))
        head = 100000001  # the head of TNG (person id = the file's id) may read every case
        for evidence_id in (1, 2):
            outcome, row, chunks = await read_evidence(svc, evidence_id, head)
            assert outcome.value == "ok" and row is not None and chunks is not None
            with pytest.raises(EvidenceFileError, match="not the one"):
                async for _ in chunks:
                    pass
        # swapped back: each row reads its own file again
        async with db.transaction() as conn:
            await conn.execute(swap, ("0" * 32, "", 2))
            await conn.execute(swap, (ref1, dig1, 1))
            await conn.execute(swap, (ref2, dig2, 2))
        outcome, row, chunks = await read_evidence(svc, 2, head)
        assert chunks is not None and b"".join([p async for p in chunks]) == _content(1)
    finally:
        await db.close()


async def test_the_retention_purge_deletes_the_files_of_the_cases_it_purges(
    db_target: str | Path, tmp_path: Path
) -> None:
    clock = FakeClock(datetime(2031, 6, 2, 3, 0, tzinfo=UTC))
    db = await Database.open(db_target)
    try:
        svc = await _services(db, Cipher(generate_key()), clock, tmp_path / "evidence")
        await _cases(svc, 2)
        refs = await _refs(db)
        old = clock.now() - timedelta(days=retention_days(svc.offices["TNG"]) + 1)
        async with db.transaction() as conn:
            await conn.execute(
                "UPDATE cases SET status='closed', closed_at=? WHERE id=1", (old.isoformat(),)
            )
        dry = await purge(db, svc.offices, now=clock.now(), dry_run=True, files=svc.evidence)
        assert len(dry.cases) == 1 and len(svc.evidence.refs()) == 2
        done = await purge(db, svc.offices, now=clock.now(), files=svc.evidence)
        assert [c.case_id for c in done.cases] == [1]
        assert svc.evidence.refs() == [refs[2]]  # the open case keeps its file
        assert not (svc.evidence.folder / refs[1]).exists()
    finally:
        await db.close()


async def test_rotation_reencrypts_every_file_and_the_old_key_reads_none(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = generate_key(), generate_key()
    folder = tmp_path / "evidence"
    db = await Database.open(tmp_path / "ppa.sqlite3")
    try:
        svc = await _services(db, Cipher(old), clock, folder)
        await _cases(svc, 3)
        before = await _refs(db)
        real_set = evidence_rotation.set_file
        switched = 0

        async def crash_on_the_second(*args: object, **kwargs: object) -> bool:
            nonlocal switched
            switched += 1
            if switched == 2:
                raise OSError("power cut")
            return await real_set(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(evidence_rotation, "set_file", crash_on_the_second)
        with pytest.raises(OSError, match="power cut"):
            await rotate_key(db, old, new, at=clock.now(), evidence_dir=folder)
        # the crash: the new file of the second was removed, the old files all still read
        middle = await _refs(db)
        assert middle[1] != before[1] and (middle[2], middle[3]) == (before[2], before[3])
        assert sorted(svc.evidence.refs()) == sorted(middle.values())
        # what a crash between writing a new file and switching to it would leave
        stray = await svc.evidence.put(svc.evidence.read(middle[2]))
        monkeypatch.setattr(evidence_rotation, "set_file", real_set)
        report = await rotate_key(db, old, new, at=clock.now(), evidence_dir=folder)
        assert report.resumed and report.files == 2  # the first was done before the crash
        after = await _refs(db)
        assert set(after.values()).isdisjoint(before.values())
        # only the new files are left; the new key reads them, the old key none
        assert sorted(p.name for p in folder.iterdir()) == sorted(after.values())
        assert stray.ref not in after.values()
        now_files = EvidenceFiles(folder, Cipher(new))
        old_files = EvidenceFiles(folder, Cipher(old))
        rows = await db.fetchall("SELECT case_id, digest FROM evidence ORDER BY case_id")
        digests = {int(r[0]): str(r[1]) for r in rows}
        for case_id, ref in after.items():
            # the content, and the row's digest again bound to its case under the new key
            bound = now_files.read(ref, case_id=case_id, digest=digests[case_id])
            assert b"".join([p async for p in bound]) == _content(case_id - 1)
            with pytest.raises(UnknownKeyError):
                await _read(old_files, ref)
    finally:
        await db.close()


_COLS = (
    "number, office_id, idempotency_key, tracking_index, channel, urgent, child_victim,"
    " victim_sex, victim_age_group, disability, categories, relation, help_wanted,"
    " reporter_type, received_at, first_response_due, details_enc"
)


async def _legacy_rows(db: Database, cipher: Cipher, n: int) -> None:
    """Cases whose evidence is an encrypted BLOB, as the bot wrote it before 0021."""
    async with db.transaction() as tx:
        for i in range(1, n + 1):
            number = f"PPA-TNG-2025-0000{i}"
            cur = await tx.execute(
                f"INSERT INTO cases ({_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (number, "TNG", f"k{i}", f"t{i}", "telegram", 0, 0, "female", "25-44", 0,
                 json.dumps([]), "spouse", "[]", "victim", "2025-10-01T03:00:00+00:00",
                 "2025-10-02T03:00:00+00:00", b"x"),
            )  # fmt: skip
            blob = cipher.encrypt(_content(i), context=f"case:{number}:evidence".encode())
            await tx.execute(
                "INSERT INTO evidence (case_id, kind, mime, size, created_at, content_enc,"
                " item_no) VALUES (?, 'photo', 'image/jpeg', ?, '2025-10-01', ?, 0)",
                (cur.lastrowid, len(_content(i)), blob),
            )


async def test_blobs_of_before_move_to_files_at_the_first_start_once(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = db_module.migrations()
    idx = next(i for i, m in enumerate(shipped) if m[1].endswith("_evidence.sql"))
    monkeypatch.setattr(db_module, "migrations", lambda: shipped[:idx])
    cipher = Cipher(generate_key())
    path = tmp_path / "ppa.sqlite3"
    db = await Database.open(path)
    try:
        await _legacy_rows(db, cipher, 3)
        monkeypatch.setattr(db_module, "migrations", lambda: shipped)
        assert await db.migrate() == [m[1] for m in shipped[idx:]]
        rows = await db.fetchall("SELECT id, item_no, file_ref FROM evidence ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, 0, None), (2, 0, None), (3, 0, None)]
        folder = tmp_path / "evidence"
        svc = await _services(db, cipher, clock, folder)
        assert await move_legacy_evidence(svc, batch=2) == 3
        rows = await db.fetchall("SELECT id, content_enc, file_ref, size FROM evidence")
        assert all(r[1] is None and r[2] is not None for r in rows)
        for r in rows:
            assert await _read(svc.evidence, str(r[2])) == _content(int(r[0]))
        assert await move_legacy_evidence(svc) == 0  # idempotent: nothing left to move
        assert sorted(svc.evidence.refs()) == sorted(str(r[2]) for r in rows)
        # a new row after the move has its own id (the table kept its numbering)
        await _cases_after(svc)
    finally:
        await db.close()
    assert b"LEBAM-MELATI" not in stored_bytes(path)


async def _cases_after(svc: Services) -> None:
    svc.offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
    await _cases(svc, 1)
    row = await svc.db.fetchone("SELECT MAX(id), COUNT(*) FROM evidence")
    assert row is not None and tuple(row) == (4, 4)


async def test_a_crash_in_the_move_leaves_the_blob_and_no_stray_file(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services import evidence_migration

    cipher = Cipher(generate_key())
    db = await Database.open(tmp_path / "ppa.sqlite3")
    try:
        await _legacy_rows(db, cipher, 1)
        svc = await _services(db, cipher, clock, tmp_path / "evidence")

        async def refuse(*args: object, **kwargs: object) -> bool:
            raise OSError("disk full")

        monkeypatch.setattr(evidence_migration, "set_file", refuse)
        with pytest.raises(OSError):
            await move_legacy_evidence(svc)
        row = await db.fetchone("SELECT content_enc IS NOT NULL, file_ref FROM evidence")
        assert row is not None and tuple(row) == (1, None)
        assert svc.evidence.refs() == []
    finally:
        await db.close()


@pytest.mark.sqlite_only  # PostgreSQL is backed up with its own tools
async def test_a_backup_takes_the_files_the_copy_refers_to(
    tmp_path: Path, clock: FakeClock
) -> None:
    cipher = Cipher(generate_key())
    db = await Database.open(tmp_path / "ppa.sqlite3")
    try:
        svc = await _services(db, cipher, clock, tmp_path / "evidence")
        await _cases(svc, 2)
        stray = await svc.evidence.put(chunks_of(b"no row refers to this"))
        result = await backup_database(db, tmp_path / "bk" / "copy.sqlite3", evidence=svc.evidence)
    finally:
        await db.close()
    assert result.evidence_path == tmp_path / "bk" / "copy.sqlite3.evidence"
    assert (result.files, result.files_missing) == (2, 0)
    folder = result.evidence_path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    assert stray.ref not in {p.name for p in folder.iterdir()}
    # restored: the copy and its folder read back every file
    restored = await Database.open(result.path)
    try:
        files = EvidenceFiles(folder, cipher)
        for case_id, ref in (await _refs(restored)).items():
            assert await _read(files, ref) == _content(case_id - 1)
    finally:
        await restored.close()
