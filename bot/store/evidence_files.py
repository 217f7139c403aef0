"""The encrypted evidence file store: files written and read in segments, never whole.

Each file lives in one private folder (0700; files 0600) under a random name that says
nothing about its case or its reporter; the database keeps only that name (``file_ref``), the
size, the checked type and a keyed digest. The format is in bot/store/evidence_stream.py.

Writing takes an async iterator of byte chunks of any size and holds at most one segment of
plaintext (plus the chunk being read), into ``<id>.part``, fsynced and renamed only when
complete; any error (or cancellation) removes the part file. Reading yields the plaintext one
segment at a time. Removing overwrites the header (which holds the per-file salt) first.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import os
import re
import secrets
import stat
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bot.crypto import Cipher
from bot.store.evidence_stream import (
    HEADER_LEN,
    SEGMENT,
    SEGMENT_OVERHEAD,
    EvidenceFileError,
    Header,
    SegmentCipher,
    digest_of,
    row_digest,
)

__all__ = [
    "EVIDENCE_FOLDER",
    "ORPHAN_AGE_SECONDS",
    "SAMPLE_TAIL",
    "EvidenceFileError",
    "EvidenceFiles",
    "StoredFile",
    "chunks_of",
    "default_folder",
]

# the folder's name next to a SQLite database file
EVIDENCE_FOLDER = "evidence"
# a complete file no row refers to is removed at start only when older than this: another
# process sharing the folder may have just written it and not yet recorded it
ORPHAN_AGE_SECONDS = 3600
# how many of the last bytes are kept for the type check (a ZIP's directory is at its end)
SAMPLE_TAIL = 65536
_HEAD = 64
_PART = ".part"
_NAME = re.compile(r"[0-9a-f]{32}")
_FILE_MODE = 0o600
_DIR_MODE = 0o700


def default_folder(database: str | Path) -> Path:
    """Where evidence files go by default: ``evidence/`` beside a SQLite file; for a
    PostgreSQL URL, ``data/evidence`` (set PPA_EVIDENCE_DIR, shared by every instance)."""
    text = str(database)
    if text.startswith(("postgresql://", "postgres://")):
        return Path("data") / EVIDENCE_FOLDER
    return Path(text).parent / EVIDENCE_FOLDER


@dataclass(frozen=True)
class StoredFile:
    """A file written to the store: its reference, plaintext size and keyed digest (of the
    content; ``EvidenceFiles.bind`` makes it the row's), and a sample of its plaintext for the
    type check (its first bytes and its last 64 KiB)."""

    ref: str
    size: int
    digest: str
    sample: bytes


async def chunks_of(data: bytes | bytearray | memoryview) -> AsyncIterator[memoryview]:
    """A buffer already in memory as chunks of one segment (views: nothing is copied)."""
    view = memoryview(data)
    for start in range(0, len(view), SEGMENT):
        yield view[start : start + SEGMENT]


class _Sampler:
    """Keeps the first bytes and the last ``SAMPLE_TAIL`` bytes seen."""

    def __init__(self) -> None:
        self.head = b""
        self.tail = b""
        self.size = 0

    def add(self, data: bytes) -> None:
        if len(self.head) < _HEAD:
            self.head += data[: _HEAD - len(self.head)]
        self.tail = (self.tail + data)[-SAMPLE_TAIL:]
        self.size += len(data)

    def sample(self) -> bytes:
        return self.tail if self.size <= SAMPLE_TAIL else self.head + self.tail


class EvidenceFiles:
    """The store's folder and the cipher its files are (re-)encrypted with."""

    def __init__(self, folder: str | Path, cipher: Cipher | None = None) -> None:
        self.folder = Path(folder)
        self._cipher = cipher

    @property
    def cipher(self) -> Cipher:
        """The cipher (a store made without one can only list and delete files)."""
        if self._cipher is None:
            raise RuntimeError("this evidence store was opened without the secret key")
        return self._cipher

    def _ensure_folder(self) -> None:
        if not self.folder.exists():
            self.folder.mkdir(parents=True, mode=_DIR_MODE)
        self.folder.chmod(_DIR_MODE)  # mkdir's mode is filtered by the umask

    def path(self, ref: str) -> Path:
        """The file of a reference (ValueError for a name the store never makes)."""
        if not _NAME.fullmatch(ref):
            raise ValueError("not an evidence file reference")
        return self.folder / ref

    async def put(self, chunks: AsyncIterable[bytes | bytearray | memoryview]) -> StoredFile:
        """Encrypt a stream of chunks into a new file; its reference, size and digest."""
        self._ensure_folder()
        ref = secrets.token_hex(16)
        part = self.folder / (ref + _PART)
        header = Header(self.cipher.key_id, secrets.token_bytes(16))
        seal = SegmentCipher(self.cipher, ref, header)
        digest = digest_of(self.cipher)
        sampler = _Sampler()
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(header.encode())
                pending = bytearray()
                index = 0
                async for chunk in chunks:
                    view = memoryview(chunk).cast("B")
                    while view:
                        if len(pending) == SEGMENT:  # more follows: not the last segment
                            out.write(seal.seal(index, pending, final=False))
                            index += 1
                            pending.clear()
                        take = min(SEGMENT - len(pending), len(view))
                        piece = bytes(view[:take])
                        view = view[take:]
                        pending += piece
                        digest.update(piece)
                        sampler.add(piece)
                    del view, chunk
                out.write(seal.seal(index, pending, final=True))
                await asyncio.to_thread(_durable, out)  # an fsync may take a while
            await asyncio.to_thread(_publish, part, self.folder / ref)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return StoredFile(ref, sampler.size, digest.hexdigest(), sampler.sample())

    def bind(self, case_id: int, stored: StoredFile) -> StoredFile:
        """The file with the digest its case's row keeps (bound to the case and the file)."""
        return dataclasses.replace(
            stored, digest=row_digest(self.cipher, case_id, stored.ref, stored.digest)
        )

    def key_id_of(self, ref: str) -> str:
        """The id of the secret key a stored file is under."""
        with self.path(ref).open("rb") as f:
            return Header.decode(f.read(HEADER_LEN)).key_id

    async def read(
        self, ref: str, *, case_id: int | None = None, digest: str | None = None
    ) -> AsyncIterator[bytes]:
        """The plaintext of a stored file, one segment at a time (EvidenceFileError when it is
        missing, damaged, cut short or reordered: stop using what was read). With its row's
        ``case_id`` and ``digest``, the last segment is given only if the row's digest
        verifies (the file belongs to that row)."""
        try:
            f = self.path(ref).open("rb")
        except FileNotFoundError:
            raise EvidenceFileError("evidence file missing") from None
        with f:
            header = Header.decode(f.read(HEADER_LEN))
            opener = SegmentCipher(self.cipher, ref, header)
            content = digest_of(self.cipher, header.key_id)
            size = SEGMENT + SEGMENT_OVERHEAD
            current = f.read(size)
            index = 0
            while True:
                following = f.read(size)
                final = not following
                if len(current) < SEGMENT_OVERHEAD or (not final and len(current) != size):
                    raise EvidenceFileError(f"segment {index} is cut short")
                piece = opener.open(index, current, final)
                content.update(piece)
                if final and case_id is not None:
                    found = row_digest(
                        self.cipher, case_id, ref, content.hexdigest(), header.key_id
                    )
                    if digest is None or not hmac.compare_digest(found, digest):
                        raise EvidenceFileError("the file is not the one its case's row names")
                yield piece
                if final:
                    return
                current, index = following, index + 1

    async def digest(self, ref: str) -> str:
        """The keyed digest of a stored file's content (read through, segment by segment)."""
        found = digest_of(self.cipher, self.key_id_of(ref))
        async for piece in self.read(ref):
            found.update(piece)
        return found.hexdigest()

    async def recrypt(self, ref: str, case_id: int, digest: str) -> StoredFile:
        """A copy of a stored file under the cipher's current key, in a new file (streaming),
        checked against its row and bound to it again; the old file stays until the caller has
        switched its reference and removes it."""
        return self.bind(case_id, await self.put(self.read(ref, case_id=case_id, digest=digest)))

    async def discard(self, refs: Iterable[str]) -> int:
        """``remove`` in a worker thread (each deletion waits for the disk)."""
        return await asyncio.to_thread(self.remove, list(refs))

    def remove(self, refs: Iterable[str]) -> int:
        """Delete stored files (their header, with the per-file salt, overwritten first);
        a file already gone is not an error. Returns how many were deleted."""
        removed = 0
        for ref in refs:
            path = self.path(ref)
            try:
                with path.open("r+b") as f:
                    f.write(b"\x00" * HEADER_LEN)
                    f.flush()
                    os.fsync(f.fileno())
                path.unlink()
            except FileNotFoundError:
                continue
            removed += 1
        return removed

    def refs(self) -> list[str]:
        """The references of every complete file in the folder."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if _NAME.fullmatch(p.name))

    def sweep(self, referenced: set[str], *, min_age: float = ORPHAN_AGE_SECONDS) -> int:
        """Delete part files and files no row refers to, last changed ``min_age`` seconds
        ago or more (what a crash between writing a file and recording it leaves)."""
        if not self.folder.is_dir():
            return 0
        cutoff = time.time() - min_age
        removed = 0
        for p in self.folder.iterdir():
            name = p.name
            is_part = name.endswith(_PART) and _NAME.fullmatch(name[: -len(_PART)])
            if not is_part and (not _NAME.fullmatch(name) or name in referenced):
                continue
            try:
                if p.stat().st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            if is_part:
                p.unlink(missing_ok=True)
                removed += 1
            else:
                removed += self.remove([name])
        return removed

    def tighten(self) -> None:
        """The folder 0700 and its files 0600 (an older copy or a restore may have left them
        readable by others)."""
        if not self.folder.is_dir():
            return
        self.folder.chmod(_DIR_MODE)
        for p in self.folder.iterdir():
            if p.is_file() and stat.S_IMODE(p.stat().st_mode) & 0o077:
                p.chmod(_FILE_MODE)


def _durable(out: BinaryIO) -> None:
    """The file's bytes on disk."""
    out.flush()
    os.fsync(out.fileno())


def _publish(part: Path, target: Path) -> None:
    """Rename a complete part file to its name, durably."""
    os.replace(part, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
