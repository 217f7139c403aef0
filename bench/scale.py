"""Scale: 1,000 versus 100,000 open cases. Start to ready, peak memory, /status and complaint
step latency, one scheduler sweep; each size measured in its own process."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from common import OFFICE_TIME, ROOT, machine, table

from bot.clock import FakeClock
from bot.crypto import Cipher, generate_key
from bot.store.db import Database
from bot.store.route_macs import NOTIFY_KIND, notify_fields
from bot.testing.harness import Harness
from tests.telegram.flows import choose, full_report, office, press

__all__ = ["main"]

SAMPLES = 20


def populate(db: Path, key: str, n: int) -> float:
    """Insert n open cases with encrypted details, each with an SOP instance and one open step
    due in 60 days (the sweep and the digests scan them); returns seconds."""
    asyncio.run(_migrate(db))
    start = time.perf_counter()
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO cases (number, office_id, idempotency_key, tracking_index,"
            " reporter_index, channel, urgent, child_victim, victim_sex, victim_age_group,"
            " disability, categories, relation, help_wanted, reporter_type, notify_mode, language,"
            " received_at, first_response_due, recorded_by, reporter_chat_enc, details_enc,"
            " notify_mac) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            _case_rows(key, n),  # a generator: the filling process holds no list of cases
        )
        opened, due = OFFICE_TIME.isoformat(), (OFFICE_TIME + timedelta(days=60)).isoformat()
        conn.execute(
            "INSERT INTO sop_instances (case_id, sop_key, status, started_at)"
            " SELECT id, 'pengaduan', 'open', ? FROM cases",
            (opened,),
        )
        conn.execute(
            "INSERT INTO steps (instance_id, case_id, step_key, title, role, status, opened_at,"
            " due_at) SELECT i.id, i.case_id, 'assessment', 'Asesmen awal', 'petugas', 'open',"
            " ?, ? FROM sop_instances i",
            (opened, due),
        )
    return time.perf_counter() - start


def _case_rows(key: str, n: int) -> Iterator[tuple[object, ...]]:
    cipher = Cipher(key)
    offices = ("TNG", "PKL", "PSR")
    received = OFFICE_TIME - timedelta(days=400)
    for i in range(n):
        office_id = offices[i % 3]
        number = f"PPA-{office_id}-2025-{i + 1:06d}"
        code = f"SYN{i:09d}"
        details = {
            "victim_name": f"Korban {i}",
            "victim_age": 10 + i % 40,
            "perpetrator": "Terlapor",
            "when": "2025-01-01",
            "where": "Jl. Contoh No. 1",
            "story": "Cerita sintetis untuk uji skala. " * 4,
            "notes": [],
            "phone": "+6281200000000",
            "call_time": "office_hours",
            "consent_path": "reporter",
            "tracking_code": code,
        }
        yield (
            number,
            office_id,
            f"syn:{i}",
            cipher.blind_index("tracking", code),
            cipher.blind_index("chat", str(700000000 + i)),
            "telegram",
            0,
            1,
            "female",
            "child",
            0,
            '["physical"]',
            "step_parent",
            '["counselling"]',
            "family",
            "normal",
            "id",
            (received + timedelta(minutes=i)).isoformat(),
            (received + timedelta(days=1, minutes=i)).isoformat(),
            None,
            cipher.encrypt_json(700000000 + i, context=f"case:{number}:chat".encode()),
            cipher.encrypt_json(details, context=f"case:{number}".encode()),
            # the contact mode signed as the store signs it (ids 1..n in a new database)
            cipher.mac(NOTIFY_KIND, notify_fields(i + 1, number, "normal")),
        )


async def _migrate(db: Path) -> None:
    d = await Database.open(db)
    await d.close()


async def child(directory: Path, key: str) -> dict[str, float | str]:
    """Measure one size (run in its own process)."""
    clock = FakeClock(OFFICE_TIME)
    start = time.perf_counter()
    h = await Harness.create(directory, clock=clock, secret_key=key)
    ready = time.perf_counter() - start
    try:
        await full_report(h, user=910000)
        code = next(
            w
            for m in h.fake.messages(910000)
            for w in (m.plain_text or "").split()
            if w.count("-") == 2 and len(w) == 14
        )
        status_ms = []
        for _ in range(SAMPLES):
            t = time.perf_counter()
            await h.send(910000, f"/status {code}")
            status_ms.append((time.perf_counter() - t) * 1000)
        step_ms = []
        for i in range(SAMPLES):
            user = 920000 + i
            await h.send(user, "/lapor")
            await choose(h, user, "danger", "no")
            await office(h, user, "TNG")
            await choose(h, user, "reporter", "family")
            await press(h, user, "a|reporter_age|s")
            t = time.perf_counter()
            await h.send(user, "Melati")  # the victim's name: one step of the form
            step_ms.append((time.perf_counter() - t) * 1000)
        sweep_s: float | str = "no bot/scheduler/sweep.py"
        try:
            from bot.scheduler.sweep import sweep
        except ImportError:
            pass
        else:
            t = time.perf_counter()
            await sweep(h.rt.services, clock.now() + timedelta(days=30))
            sweep_s = time.perf_counter() - t
    finally:
        await h.stop()
    return {
        "ready_s": ready,
        "status_ms": statistics.median(status_ms),
        "step_ms": statistics.median(step_ms),
        "sweep_s": sweep_s,
        "maxrss_mb": peak_rss_mb(),
    }


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM). Not ``ru_maxrss``: on Linux that keeps
    the peak of the process before ``exec``, i.e. the parent that filled the database."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(n: int) -> dict[str, float | str]:
    """Populate a database with n cases and measure it in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        key = generate_key()
        fill = populate(Path(tmp) / "ppa.sqlite3", key, n)
        out = subprocess.run(
            [sys.executable, __file__, "--child", tmp, key],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        result: dict[str, float | str] = json.loads(out.stdout.strip().splitlines()[-1])
        result["fill_s"] = fill
        result["db_mb"] = (Path(tmp) / "ppa.sqlite3").stat().st_size / 1e6
        return result


def fmt(value: float | str, digits: int = 2) -> str:
    """A number or a note."""
    return f"{value:.{digits}f}" if isinstance(value, float) else value


def main() -> None:
    """Command line: --sizes 1000 100000."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--child", nargs=2, metavar=("DIR", "KEY"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(Path(args.child[0]), args.child[1]))))
        return
    results = {n: measure(n) for n in args.sizes}
    print(f"scale: open cases in the store; {machine()}")
    rows = [
        (
            f"{n:,}",
            fmt(r["db_mb"], 1),
            fmt(r["fill_s"]),
            fmt(r["ready_s"]),
            fmt(r["maxrss_mb"], 0),
            fmt(r["status_ms"]),
            fmt(r["step_ms"]),
            fmt(r["sweep_s"], 3),
        )
        for n, r in results.items()
    ]
    print(
        table(
            (
                "cases",
                "db MB",
                "fill s",
                "start to ready s",
                "peak RSS MB",
                "/status ms (median)",
                "form step ms (median)",
                "sweep s",
            ),
            rows,
        )
    )
    small, big = results[min(results)], results[max(results)]
    for name in ("status_ms", "step_ms"):
        a, b = small[name], big[name]
        assert isinstance(a, float) and isinstance(b, float)
        print(f"{name}: {b / a:.2f}x at {max(results):,} vs {min(results):,} (target <= 1.2x)")


if __name__ == "__main__":
    main()
