"""Security review #16: the encrypted evidence file store (bot/store/evidence_files.py).

Segments are bound to their file, place and end: a changed byte, a cut, a reorder or a file
swapped for another fails; files are private, hold no plaintext, and writing holds a few
segments at most, whatever the size of the file.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import stat
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.crypto import Cipher, UnknownKeyError, generate_key
from bot.store.evidence_files import EvidenceFiles, chunks_of
from bot.store.evidence_stream import (
    DIGEST_PURPOSE,
    HEADER_LEN,
    SEGMENT,
    SEGMENT_OVERHEAD,
    EvidenceFileError,
)

SEALED = SEGMENT + SEGMENT_OVERHEAD
MARK = b"VISUM-MELATI-"


def _data(size: int) -> bytes:
    return (MARK * (size // len(MARK) + 1))[:size]


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _read(files: EvidenceFiles, ref: str) -> bytes:
    return b"".join([piece async for piece in files.read(ref)])


@pytest.fixture
def files(tmp_path: Path) -> EvidenceFiles:
    return EvidenceFiles(tmp_path / "data" / "evidence", Cipher(generate_key()))


@pytest.mark.parametrize(
    "size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT, 3 * SEGMENT + 7]
)
async def test_a_file_comes_back_as_it_went_in(files: EvidenceFiles, size: int) -> None:
    data = _data(size)
    stored = await files.put(_pieces(data, 10_000))
    assert stored.size == size
    assert await _read(files, stored.ref) == data
    key = files.cipher.subkey(DIGEST_PURPOSE)
    assert stored.digest == hmac.new(key, data, "sha256").hexdigest()
    assert await files.digest(stored.ref) == stored.digest
    # the sample for the type check: the first bytes and the last 64 KiB, in that order
    assert stored.sample[:64] == data[:64] and data.endswith(stored.sample[-65536:])
    on_disk = (files.folder / stored.ref).stat().st_size
    segments = max(1, -(-size // SEGMENT))  # the last one full or short (empty: an empty file)
    assert on_disk == HEADER_LEN + size + segments * SEGMENT_OVERHEAD


def _rewrite(files: EvidenceFiles, ref: str, change: bytes) -> None:
    path = files.folder / ref
    path.chmod(0o600)
    path.write_bytes(change)


async def _fails(files: EvidenceFiles, ref: str) -> None:
    with pytest.raises(EvidenceFileError):
        await _read(files, ref)


async def test_a_changed_byte_is_detected(files: EvidenceFiles) -> None:
    stored = await files.put(chunks_of(_data(3 * SEGMENT)))
    raw = bytearray((files.folder / stored.ref).read_bytes())
    raw[HEADER_LEN + SEALED + 5] ^= 1
    _rewrite(files, stored.ref, bytes(raw))
    await _fails(files, stored.ref)


async def test_a_file_cut_at_a_segment_boundary_is_detected(files: EvidenceFiles) -> None:
    stored = await files.put(chunks_of(_data(3 * SEGMENT + 100)))
    raw = (files.folder / stored.ref).read_bytes()
    _rewrite(files, stored.ref, raw[: HEADER_LEN + 3 * SEALED])  # the last segment dropped
    await _fails(files, stored.ref)
    _rewrite(files, stored.ref, raw[: HEADER_LEN + SEALED + 1000])  # cut inside a segment
    await _fails(files, stored.ref)
    _rewrite(files, stored.ref, raw[:HEADER_LEN])  # only the header
    await _fails(files, stored.ref)


async def test_reordered_segments_are_detected(files: EvidenceFiles) -> None:
    stored = await files.put(chunks_of(_data(3 * SEGMENT + 100)))
    raw = (files.folder / stored.ref).read_bytes()
    head, body = raw[:HEADER_LEN], raw[HEADER_LEN:]
    s = [body[i : i + SEALED] for i in range(0, len(body), SEALED)]
    _rewrite(files, stored.ref, head + s[1] + s[0] + s[2] + s[3])
    await _fails(files, stored.ref)


async def test_a_file_put_in_the_place_of_another_is_detected(files: EvidenceFiles) -> None:
    first = await files.put(chunks_of(_data(1000)))
    second = await files.put(chunks_of(b"other evidence"))
    _rewrite(files, second.ref, (files.folder / first.ref).read_bytes())
    await _fails(files, second.ref)


async def test_another_key_cannot_read_a_file(files: EvidenceFiles) -> None:
    stored = await files.put(chunks_of(_data(1000)))
    stranger = EvidenceFiles(files.folder, Cipher(generate_key()))
    with pytest.raises(UnknownKeyError):
        await _read(stranger, stored.ref)


async def test_files_are_private_and_hold_no_plaintext(files: EvidenceFiles) -> None:
    old = os.umask(0)  # even when the process would make files readable by everyone
    try:
        stored = [await files.put(chunks_of(_data(n))) for n in (100, 2 * SEGMENT + 3)]
    finally:
        os.umask(old)
    assert stat.S_IMODE(files.folder.stat().st_mode) == 0o700
    for s in stored:
        assert stat.S_IMODE((files.folder / s.ref).stat().st_mode) == 0o600
        assert len(s.ref) == 32  # a random name: no case number, no person
    everything = b"".join(p.read_bytes() for p in files.folder.iterdir())
    assert len(everything) > 2 * SEGMENT
    assert MARK not in everything and _data(64) not in everything


async def test_a_failed_write_leaves_nothing(files: EvidenceFiles) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield _data(3 * SEGMENT)
        raise ConnectionError("the download broke off")

    with pytest.raises(ConnectionError):
        await files.put(broken())
    assert list(files.folder.iterdir()) == []


async def test_a_cancelled_write_leaves_nothing(files: EvidenceFiles) -> None:
    started = asyncio.Event()

    async def hanging() -> AsyncIterator[bytes]:
        yield _data(2 * SEGMENT + 5)
        started.set()
        await asyncio.Event().wait()  # the download stalls
        yield b""

    task = asyncio.create_task(files.put(hanging()))
    await started.wait()
    assert [p.name.endswith(".part") for p in files.folder.iterdir()] == [True]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(files.folder.iterdir()) == []


async def test_writing_holds_a_few_segments_whatever_the_file_size(files: EvidenceFiles) -> None:
    """A fake reader counts how many bytes it has handed over that are not on disk yet, each
    time the writer asks for more; and tracemalloc sees the writer's own allocations."""
    size, piece = 8 * 1024 * 1024, 7_000
    given = 0
    most_held = 0
    part_size = 0

    async def reader() -> AsyncIterator[bytes]:
        nonlocal given, most_held, part_size
        for start in range(0, size, piece):
            parts = list(files.folder.glob("*.part"))
            part_size = parts[0].stat().st_size if parts else part_size
            written = max(0, part_size - HEADER_LEN)
            segments = written // SEALED
            most_held = max(most_held, given - segments * SEGMENT)
            chunk = MARK * (piece // len(MARK)) + b"x" * (piece % len(MARK))
            given += len(chunk[: size - start])
            yield chunk[: size - start]

    tracemalloc.start()
    try:
        stored = await files.put(reader())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stored.size == size
    # not on disk yet: at most one segment pending, one held back, the Python file buffer
    assert most_held <= 2 * SEGMENT + piece + 8192
    assert peak < 1024 * 1024  # an 8 MB file, well under 1 MB of Python memory


async def test_one_big_buffer_is_not_copied_whole(files: EvidenceFiles) -> None:
    data = _data(8 * 1024 * 1024)  # made before tracing: what the download already holds
    tracemalloc.start()
    try:
        await files.put(chunks_of(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024


async def test_remove_overwrites_and_deletes_and_sweep_finds_leftovers(
    files: EvidenceFiles,
) -> None:
    kept, orphan, young = [await files.put(chunks_of(_data(n))) for n in (10, 20, 30)]
    part = files.folder / ("ab" * 16 + ".part")
    part.write_bytes(b"half")
    hour_ago = (files.folder / kept.ref).stat().st_mtime - 3700
    for p in (files.folder / kept.ref, files.folder / orphan.ref, part):
        os.utime(p, (hour_ago, hour_ago))
    (files.folder / "README").write_text("not ours")
    # the orphan and the part file go; the referenced file, the recent one and others stay
    assert files.sweep({kept.ref}) == 2
    assert sorted(p.name for p in files.folder.iterdir()) == sorted([kept.ref, young.ref, "README"])
    assert files.remove([kept.ref, kept.ref, orphan.ref]) == 1
    assert files.refs() == [young.ref]


def test_a_reference_cannot_leave_the_folder(files: EvidenceFiles) -> None:
    for bad in ("../ppa.sqlite3", "/etc/passwd", "AB" * 16, ""):
        with pytest.raises(ValueError):
            files.path(bad)
