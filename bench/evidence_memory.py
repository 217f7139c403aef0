"""Peak memory of storing one evidence file from Telegram: BLOB in the database (before) against
the encrypted file store (after).

Each path runs in a fresh child process: a python-telegram-bot ``File`` is downloaded through
PTB's own request layer from an in-process fake that answers with a fresh copy of the payload
(as httpx would hand PTB a new body), then checked and stored. Measured: the peak of Python's
own allocations (``tracemalloc``) and the process's resident set high-water mark (``VmHWM``,
reset through ``/proc/self/clear_refs`` just before), both as the growth over what the
process held before the download.

  before: ``download_as_bytearray`` -> ``bytes`` -> type check -> ``Cipher.encrypt`` of the
          whole file -> INSERT of the BLOB (the code of main before this change)
  after:  ``download_to_memory`` into a sink that keeps PTB's one buffer -> views of 64 KiB
          -> ``EvidenceFiles.put`` (segments encrypted and written one at a time) -> a row
          with the reference only
  stream: the store alone fed 64 KiB chunks as they come (a streaming client), for scale

Usage: .venv/bin/python bench/evidence_memory.py [--mb 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

from common import ROOT, machine, table
from telegram import Bot, File
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

from bot.crypto import Cipher, generate_key
from bot.domain.filetypes import sniff

__all__: list[str] = []

TOKEN = "1:bench"


class _Network(BaseRequest):
    """Answers every download with a new copy of the payload (a response body)."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        return 200, b"" + memoryview(self.payload).tobytes()  # a new body each time


def _hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def _before(f: File, folder: Path, cipher: Cipher) -> int:
    conn = sqlite3.connect(folder / "old.sqlite3")
    conn.execute("CREATE TABLE evidence (id INTEGER PRIMARY KEY, mime TEXT, content_enc BLOB)")
    data = bytes(await f.download_as_bytearray())
    real = sniff(data, declared="image/jpeg")
    blob = cipher.encrypt(data, context=b"case:PPA-TNG-2026-00001:evidence")
    conn.execute("INSERT INTO evidence (mime, content_enc) VALUES (?, ?)", (real, blob))
    conn.commit()
    conn.close()
    return len(data)


async def _after(f: File, folder: Path, cipher: Cipher) -> int:
    from bot.channels.telegram.conversations.downloads import download
    from bot.store.evidence_files import EvidenceFiles

    conn = sqlite3.connect(folder / "new.sqlite3")
    conn.execute("CREATE TABLE evidence (id INTEGER PRIMARY KEY, mime TEXT, file_ref TEXT)")
    stored = await EvidenceFiles(folder / "evidence", cipher).put(download(f))
    real = sniff(stored.sample, declared="image/jpeg")
    conn.execute("INSERT INTO evidence (mime, file_ref) VALUES (?, ?)", (real, stored.ref))
    conn.commit()
    conn.close()
    return stored.size


def _reset(tmp: Path) -> int:
    """Drop the warm-up's databases, reset the RSS high-water mark; the RSS now."""
    (tmp / "old.sqlite3").unlink(missing_ok=True)
    (tmp / "new.sqlite3").unlink(missing_ok=True)
    Path("/proc/self/clear_refs").write_text("5")
    return _rss_kb()


def _file(payload: bytes) -> File:
    bot = Bot(TOKEN, request=_Network(payload), get_updates_request=_Network(b""))
    url = f"https://api.telegram.org/file/bot{TOKEN}/photos/1.jpg"
    f = File("id", "unique", file_size=len(payload), file_path=url)
    f.set_bot(bot)
    return f


async def _stream(f: File, folder: Path, cipher: Cipher) -> int:
    """The store alone, fed by a stream of 64 KiB chunks (what a streaming HTTP client would
    give; PTB cannot), the same size as the file given."""
    from bot.store.evidence_files import EvidenceFiles

    size = f.file_size or 0

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, size, 65536):
            yield os.urandom(min(65536, size - start))

    stored = await EvidenceFiles(folder / "evidence", cipher).put(chunks())
    return stored.size


async def _child(path: str, mb: int) -> dict[str, float]:
    cipher = Cipher(generate_key())
    run = {"before": _before, "after": _after, "stream": _stream}[path]
    with tempfile.TemporaryDirectory() as tmp:
        # a 1 KiB file first, to load what the path imports (a big one would leave the
        # allocator holding freed pages that the measured run would then reuse unseen)
        await run(_file(b"\xff\xd8\xff\xe0" + bytes(1020)), Path(tmp), cipher)
        f = _file(b"\xff\xd8\xff\xe0" + os.urandom(mb * 1024 * 1024 - 4))
        rss = _reset(Path(tmp))
        tracemalloc.start()
        size = await run(f, Path(tmp), cipher)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        hwm = _hwm_kb()
    return {
        "size_mb": size / 2**20,
        "python_peak_mb": peak / 2**20,
        "rss_growth_mb": (hwm - rss) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=20)
    parser.add_argument("--child", choices=["before", "after", "stream"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(args.child, args.mb))))
        return
    results = {}
    for path in ("before", "after", "stream"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", path, "--mb", str(args.mb)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        results[path] = json.loads(out.stdout.strip().splitlines()[-1])
    rows = [
        [p, f"{r['size_mb']:.0f}", f"{r['python_peak_mb']:.1f}", f"{r['rss_growth_mb']:.1f}"]
        for p, r in results.items()
    ]
    print(machine())
    print(table(["path", "file MB", "Python peak MB", "RSS growth MB"], rows))
    b, a = results["before"], results["after"]
    print(
        f"ratio after/before: Python peak {a['python_peak_mb'] / b['python_peak_mb']:.2f}x, "
        f"RSS growth {a['rss_growth_mb'] / max(b['rss_growth_mb'], 0.1):.2f}x"
    )


if __name__ == "__main__":
    main()
