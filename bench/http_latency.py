"""Reply latency over HTTP: a reporter's message to the bot's answer through the local fake Bot
API server, for ``python -m bot run`` and for a tiny python-telegram-bot echo bot process."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, machine, median, p99, table

from bot.crypto import generate_key
from bot.testing.fake_server import start_server, stop_server
from bot.testing.fake_telegram import FakeTelegram

__all__ = ["main"]

TOKEN = "123456:BENCH"
STAFF_GROUPS = (-1001000000001, -1001000000002, -1001000000003)
ECHO = """
import os
from telegram.ext import ApplicationBuilder, MessageHandler, filters

async def echo(update, context):
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text)

builder = ApplicationBuilder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(
    os.environ["TELEGRAM_API_BASE_URL"])
if os.environ.get("ECHO_CLIENT") == "aiohttp":  # the bot's own client, for comparison
    from bot.channels.telegram.transport import AiohttpRequest
    builder = builder.request(AiohttpRequest(pool_size=256)).get_updates_request(
        AiohttpRequest())
app = builder.build()
app.add_handler(MessageHandler(filters.TEXT, echo))
app.run_polling(poll_interval=0, timeout=10)
"""


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(kind: str, samples: int, directory: Path) -> tuple[list[float], float]:
    """Start a fake server and the bot process; time ``samples`` message-to-reply round trips.
    Returns the latencies (ms) and the bot process's CPU ms per message over the measured ones
    (less disturbed than the latency by other work on a shared machine)."""
    fake = FakeTelegram(token=TOKEN)
    runner, base = await start_server(fake, port=0)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PPA_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=f"{base}/bot",
        TELEGRAM_FILE_BASE_URL=f"{base}/file/bot",
        PPA_DATABASE=str(directory / f"{kind}.sqlite3"),
        PPA_OFFICES=str(ROOT / "config" / "offices.example.toml"),
        PPA_ALLOW_EXAMPLE="1",  # the example offices, for a benchmark
        PPA_SECRET_KEY=generate_key(),
        PPA_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if kind.startswith("echo"):
        env["ECHO_CLIENT"] = "aiohttp" if kind == "echo-aiohttp" else "httpx"
        script = directory / "echo.py"
        script.write_text(ECHO)
        argv = [sys.executable, str(script)]
    else:
        argv = [sys.executable, "-m", "bot", "run"]
    for chat in STAFF_GROUPS:
        fake.member_joins(chat, fake.bot_id)
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=directory,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while fake.call_counts["getUpdates"] == 0:
            assert proc.returncode is None and loop.time() < deadline, f"{kind} did not start"
            await asyncio.sleep(0.02)
        latencies: list[float] = []
        cpu_start = 0.0
        for i in range(samples + 20):
            if i == 20:  # the first ones warm up both sides
                cpu_start = cpu_seconds(proc.pid)
            user = 930001 + i  # one message per person: the bot slows down floods per user
            before = fake.last_message_id(user)
            start = time.perf_counter()
            fake.user_sends_text(user, f"halo {i}")
            await fake.wait_for_message(user, timeout=15, after_message_id=before)
            if i >= 20:
                latencies.append((time.perf_counter() - start) * 1000)
        return latencies, (cpu_seconds(proc.pid) - cpu_start) / samples * 1000
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        await stop_server(runner)


async def run(samples: int) -> None:
    """Both bots, one after the other, and a table."""
    with tempfile.TemporaryDirectory() as tmp:
        bot, bot_cpu = await measure("ppa-bot", samples, Path(tmp))
        echo, echo_cpu = await measure("echo", samples, Path(tmp))
        fast, fast_cpu = await measure("echo-aiohttp", samples, Path(tmp))
    print(f"reply latency over HTTP (127.0.0.1), {samples} messages each; {machine()}")
    rows = [
        ("ppa-bot (python -m bot run)", f"{median(bot):.1f}", f"{p99(bot):.1f}", f"{bot_cpu:.2f}"),
        ("PTB echo (run_polling)", f"{median(echo):.1f}", f"{p99(echo):.1f}", f"{echo_cpu:.2f}"),
        ("PTB echo over AiohttpRequest", f"{median(fast):.1f}", f"{p99(fast):.1f}",
         f"{fast_cpu:.2f}"),
    ]  # fmt: skip
    print(table(("bot", "median ms", "p99 ms", "process CPU ms/message"), rows))
    print(
        f"\nratio ppa-bot / echo: median {median(bot) / median(echo):.2f}x, "
        f"p99 {p99(bot) / p99(echo):.2f}x, CPU per message {bot_cpu / echo_cpu:.2f}x"
        f" (target: median <= 1.5x)"
    )
    print(
        f"ratio ppa-bot / echo over the bot's client (the bot's own work beyond an echo's): "
        f"median {median(bot) / median(fast):.2f}x, CPU per message {bot_cpu / fast_cpu:.2f}x"
    )


def main() -> None:
    """Command line: --samples N."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=200)
    asyncio.run(run(parser.parse_args().samples))


if __name__ == "__main__":
    main()
