"""The demo as a command: a reader that stops early (``ppa-bot demo | head``) ends it at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_exits_promptly_when_its_reader_goes_away() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = [proc.stdout.readline() for _ in range(3)]
    assert b"demo" in first[0]
    proc.stdout.close()  # what `head -3` does after its third line
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired as exc:
        proc.kill()
        proc.wait()
        raise AssertionError(
            "`ppa-bot demo` kept running after its reader closed the pipe"
        ) from exc
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    assert code == 1, err
    assert "Traceback" not in err, err


async def test_the_demo_walks_the_whole_form() -> None:
    """The demo answers every question of the form: a new question must be answered there too."""
    from bot.demo import run_demo

    assert await run_demo(verbose=False) == 0
