"""The Bot API client's own cost: PTB's default HTTPXRequest against the bot's AiohttpRequest
(bot/channels/telegram/transport.py), the same calls through a ``telegram.Bot`` to the fake Bot
API server running in another process (so this process's CPU time is the client's alone).

Rounds alternate the two clients; each round makes ``--calls`` sendMessage calls and as many
getUpdates (timeout 0) calls, and the table gives CPU time and wall clock per call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

from common import ROOT, machine, median, table
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

from bot.channels.telegram.transport import AiohttpRequest

__all__ = ["main"]

TOKEN = "123456:BENCH"
USER = 4242


def _server() -> tuple[subprocess.Popen[str], str]:
    """Start ``python -m bot.testing.fake_server`` on a free port; its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.testing.fake_server", "--port", "0", "--token", TOKEN],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()  # TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT/bot
    assert line.startswith("TELEGRAM_API_BASE_URL="), line
    return proc, line.split("=", 1)[1]


async def _round(request: BaseRequest, base: str, calls: int) -> tuple[float, float]:
    """CPU ms and wall ms per call for one client."""
    async with Bot(TOKEN, base_url=base, request=request, get_updates_request=request) as bot:
        for _ in range(20):  # warm: connections open, code paths taken
            await bot.send_message(USER, "halo")
        cpu, wall = time.process_time(), time.perf_counter()
        for i in range(calls):
            await bot.send_message(USER, f"pesan {i}: <b>langkah</b> berikutnya", "HTML")
            await bot.get_updates(timeout=0)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu / (2 * calls) * 1000, wall / (2 * calls) * 1000


async def run(calls: int, rounds: int) -> None:
    """Alternate the two clients; print a table and the ratios."""
    proc, base = _server()
    try:
        import httpx

        async with httpx.AsyncClient() as control:  # the user has started the bot
            root = base.removesuffix("/bot")
            await control.post(f"{root}/_fake/send_text", json={"user_id": USER, "text": "halo"})
        results: dict[str, list[tuple[float, float]]] = {"httpx": [], "aiohttp": []}
        for _ in range(rounds):
            results["httpx"].append(await _round(HTTPXRequest(), base, calls))
            results["aiohttp"].append(await _round(AiohttpRequest(), base, calls))
    finally:
        proc.terminate()
        proc.wait()
    print(f"Bot API client cost, {rounds} rounds of {calls} sendMessage + {calls} getUpdates; "
          f"{machine()}")  # fmt: skip
    rows = []
    for name, label in (("httpx", "PTB HTTPXRequest (httpx)"), ("aiohttp", "AiohttpRequest")):
        cpu = [c for c, _ in results[name]]
        wall = [w for _, w in results[name]]
        rows.append((label, f"{median(cpu):.3f}", f"{median(wall):.3f}"))
    print(table(("client", "CPU ms/call (median of rounds)", "wall ms/call"), rows))
    ratios = [a[0] / h[0] for a, h in zip(results["aiohttp"], results["httpx"], strict=True)]
    print(f"\nCPU per call, AiohttpRequest / HTTPXRequest, per round: "
          f"{', '.join(f'{r:.2f}x' for r in ratios)}")  # fmt: skip


def main() -> None:
    """Command line: --calls N --rounds N."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.calls, args.rounds))


if __name__ == "__main__":
    main()
