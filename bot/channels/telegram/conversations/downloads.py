"""A reporter's file from Telegram as a stream of chunks for the evidence file store.

python-telegram-bot 22 reads a file's whole body into one ``bytes`` in its request layer
(``BaseRequest.retrieve``) whichever download method is used: ``download_to_drive`` writes that
buffer to a file, ``download_to_memory`` hands it to ``out.write`` once. So the buffer is taken
as it is (no copy) and given to the store as views of one segment each: the plaintext never
touches the disk (no temporary file to forget on an error path, nothing to recover from a
deleted file's blocks), and the bytes in memory are that one buffer plus a few segments, let
go as soon as the file is stored (docs/BENCHMARKS.md, Evidence memory).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import BinaryIO, cast

from telegram import File

from bot.store.evidence_files import chunks_of

__all__ = ["download"]


class _Keep:
    """A sink for ``download_to_memory`` that keeps what it is given (bytes: not copied)."""

    def __init__(self) -> None:
        self.buffers: list[bytes] = []

    def write(self, b: bytes | bytearray | memoryview, /) -> int:
        self.buffers.append(b if isinstance(b, bytes) else bytes(b))
        return len(self.buffers[-1])


async def download(f: File) -> AsyncIterator[memoryview]:
    """The file's bytes, one segment at a time (TelegramError when it cannot be fetched)."""
    sink = _Keep()
    await f.download_to_memory(cast(BinaryIO, sink))
    while sink.buffers:
        buffer = sink.buffers.pop(0)
        async for piece in chunks_of(buffer):
            yield piece
        del buffer
