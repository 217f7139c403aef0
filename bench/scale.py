"""Scale: 1,000 / 100,000 / 1,000,000 open cases. Start to ready, peak memory, p50/p95 of a
complaint's form step and of a /status lookup, a scheduler sweep (the first of the day, with
the daily digest, and a tick after it), and form steps answered while that first sweep runs;
each size filled once in bulk, then measured in rounds (sizes interleaved, each run in its own
process on a fresh copy of the filled file), the median of the rounds reported, and as a
ratio to the smallest size."""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from common import OFFICE_TIME, ROOT, machine, table

from bot.clock import FakeClock
from bot.config import load_offices
from bot.crypto import Cipher, generate_key
from bot.domain.calendar import OfficeCalendar
from bot.scheduler.schedule import next_step_reminder, step_schedule
from bot.scheduler.sop_deadlines import next_deadline_reminder, shipped_sops
from bot.security.keys import check_key
from bot.services.workflow.deadlines import instance_deadlines
from bot.store.db import Database
from bot.store.route_macs import NOTIFY_KIND, notify_fields
from bot.store.workflow import InstanceRow, StepRow, iso
from bot.testing.harness import EXAMPLE_OFFICES, Harness
from tests.telegram.flows import choose, full_report, office, press

__all__ = ["main"]

SAMPLES = 40  # per latency, each from its own reporter (the /status hourly try limit is 10)
DURING = 10  # form steps answered while the first sweep (with the digest) runs
OFFICES = ("TNG", "PKL", "PSR")
# each synthetic case runs an SOP of its office; those of PKL and PSR have SOP-level deadlines,
# so two thirds of the instances are candidates of the sweep's deadline query
SOP_OF = {"TNG": "tng_pengelolaan_kasus", "PKL": "pkl_mediasi", "PSR": "psr_mediasi"}
STEP_DUE = timedelta(days=60)
_CASE_SQL = (
    "INSERT INTO cases (number, office_id, idempotency_key, tracking_index,"
    " reporter_index, channel, urgent, child_victim, victim_sex, victim_age_group,"
    " disability, categories, relation, help_wanted, reporter_type, notify_mode, language,"
    " received_at, first_response_due, recorded_by, reporter_chat_enc, details_enc,"
    " notify_mac) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def populate(db: Path, key: str, n: int) -> float:
    """Insert n open cases, each with an open SOP instance and one open step due in 60 days,
    their remind_at as the sweep leaves them (the next reminder's time); returns seconds.

    One transaction, ``executemany`` over a generator (the filling process holds no list of
    cases). The encrypted details and reporter chat are encrypted once and the same bytes
    stored in every case but the newest (which the start-up key check decrypts): nothing
    measured decrypts a synthetic case. Tracking codes and blind indexes are per case.
    """
    asyncio.run(_migrate(db))
    start = time.perf_counter()
    opened = iso(OFFICE_TIME)
    step_remind, inst_remind = _remind_times()
    conn = sqlite3.connect(db)
    with conn:  # one transaction
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")  # 1 GB page cache for the fill only
        conn.executemany(_CASE_SQL, _case_rows(key, n))
        conn.execute(
            "INSERT INTO sop_instances (case_id, sop_key, status, started_at, remind_at)"
            " SELECT id, CASE office_id WHEN 'TNG' THEN ? WHEN 'PKL' THEN ? ELSE ? END,"
            " 'open', ?, CASE office_id WHEN 'TNG' THEN ? WHEN 'PKL' THEN ? ELSE ? END"
            " FROM cases",
            (*SOP_OF.values(), opened, *(inst_remind[o] for o in OFFICES)),
        )
        conn.execute(
            "INSERT INTO steps (instance_id, case_id, step_key, title, role, status, opened_at,"
            " due_at, remind_at) SELECT i.id, i.case_id, 'assessment', 'Asesmen awal',"
            " 'petugas', 'open', ?, ?,"
            " CASE c.office_id WHEN 'TNG' THEN ? WHEN 'PKL' THEN ? ELSE ? END"
            " FROM sop_instances i JOIN cases c ON c.id = i.case_id",
            (opened, iso(OFFICE_TIME + STEP_DUE), *(step_remind[o] for o in OFFICES)),
        )
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the main file: it is copied
    conn.close()
    return time.perf_counter() - start


def _remind_times() -> tuple[dict[str, str], dict[str, str | None]]:
    """Per office: the synthetic step's and instance's remind_at as a sweep at their opening
    leaves it (the same functions the sweep uses)."""
    offices = {o.id: o for o in load_offices(EXAMPLE_OFFICES)}
    sops = shipped_sops()
    steps: dict[str, str] = {}
    instances: dict[str, str | None] = {}
    for oid in OFFICES:
        office, calendar = offices[oid], OfficeCalendar(offices[oid])
        step = StepRow(
            id=1, instance_id=1, case_id=1, office_id=oid, sop_key=SOP_OF[oid],
            step_key="assessment", title="", roles=("petugas",), assignee_user_id=None,
            status="open", opened_at=OFFICE_TIME, due_at=OFFICE_TIME + STEP_DUE, urgent=False,
            outcome=None, completed_by=None, completed_at=None, extended_count=0,
            has_report=False, has_file=False,
        )  # fmt: skip
        plan = step_schedule(step, office, calendar)
        at = next_step_reminder(plan, OFFICE_TIME, set())
        assert at is not None
        steps[oid] = iso(at)
        inst = InstanceRow(1, 1, SOP_OF[oid], None, "open", OFFICE_TIME, None, None, None)
        times = [
            next_deadline_reminder(d.state, OFFICE_TIME, calendar, OFFICE_TIME, set())
            for d in instance_deadlines(sops[SOP_OF[oid]], calendar, inst, [])
        ]
        found = [t for t in times if t is not None]
        instances[oid] = iso(min(found)) if found else None  # TNG's SOP has no deadlines
    return steps, instances


def _case_rows(key: str, n: int) -> Iterator[tuple[object, ...]]:
    cipher = Cipher(key)
    received = OFFICE_TIME - timedelta(days=400)
    details = {
        "victim_name": "Korban sintetis", "victim_age": 12, "perpetrator": "Terlapor",
        "when": "2025-01-01", "where": "Jl. Contoh No. 1",
        "story": "Cerita sintetis untuk uji skala. " * 4, "notes": [],
        "phone": "+6281200000000", "call_time": "office_hours", "consent_path": "reporter",
    }  # fmt: skip
    shared_details = cipher.encrypt_json(details, context=b"case:synthetic")
    shared_chat = cipher.encrypt_json(700000000, context=b"case:synthetic:chat")
    for i in range(n):
        office_id = OFFICES[i % 3]
        number = f"PPA-{office_id}-2025-{i + 1:07d}"
        code = f"SYN{i:09d}"
        details_enc, chat_enc = shared_details, shared_chat
        if i == n - 1:  # the newest: decryptable under its own number
            details_enc = cipher.encrypt_json(
                {**details, "tracking_code": code}, context=f"case:{number}".encode()
            )
            chat_enc = cipher.encrypt_json(700000000 + i, context=f"case:{number}:chat".encode())
        at = received + timedelta(seconds=30 * i)
        yield (
            number, office_id, f"syn:{i}", cipher.blind_index("tracking", code),
            cipher.blind_index("chat", str(700000000 + i)), "telegram", 0, 1, "female",
            "child", 0, '["physical"]', "step_parent", '["counselling"]', "family", "normal",
            "id", at.isoformat(), (at + timedelta(days=1)).isoformat(), None, chat_enc,
            details_enc,
            # the contact mode signed as the store signs it (ids 1..n in a new database)
            cipher.mac(NOTIFY_KIND, notify_fields(i + 1, number, "normal")),
        )  # fmt: skip


async def _migrate(db: Path) -> None:
    d = await Database.open(db)
    await d.close()


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))]


async def _start(directory: Path, key: str, clock: FakeClock) -> tuple[Harness, float]:
    """As `ppa-bot run` starts: the key check, then build, initialise, start, replay."""
    start = time.perf_counter()
    db = await Database.open(directory / "ppa.sqlite3")
    try:
        await check_key(db, Cipher(key))
    finally:
        await db.close()
    h = await Harness.create(directory, clock=clock, secret_key=key)
    return h, time.perf_counter() - start


async def _sweep_s(h: Harness, at: datetime) -> float:
    from bot.scheduler.sweep import sweep

    t = time.perf_counter()
    report = await sweep(h.rt.services, at)
    assert report.errors == 0, report
    return time.perf_counter() - t


async def _to_name(h: Harness, user: int) -> None:
    """A reporter's complaint up to the victim's name."""
    await h.send(user, "/lapor")
    await choose(h, user, "danger", "no")
    await office(h, user, "TNG")
    await choose(h, user, "reporter", "family")
    await press(h, user, "a|reporter_age|s")


async def _name_ms(h: Harness, user: int) -> float:
    """One step of the form (the victim's name), in milliseconds."""
    t = time.perf_counter()
    replies = await h.send(user, "Melati")
    assert replies, "no answer to the form step"
    return (time.perf_counter() - t) * 1000


async def child(directory: Path, key: str) -> dict[str, float]:
    """Measure one size (run in its own process)."""
    clock = FakeClock(OFFICE_TIME)
    h, ready = await _start(directory, key, clock)
    try:
        await full_report(h, user=910000)
        code = next(
            w
            for m in h.fake.messages(910000)
            for w in (m.plain_text or "").split()
            if w.count("-") == 2 and len(w) == 14
        )
        status_ms = []
        for i in range(SAMPLES):
            user = 930000 + i
            t = time.perf_counter()
            replies = await h.send(user, f"/status {code}")
            status_ms.append((time.perf_counter() - t) * 1000)
            assert any("PPA-" in (m.plain_text or "") for m in replies), "not the case's status"
        for i in range(SAMPLES + DURING):  # reporters at the victim's name question
            await _to_name(h, 920000 + i)
        step_ms = [await _name_ms(h, 920000 + i) for i in range(SAMPLES)]
        # 10:00 on a working day: the first sweep queues the digest; reporters answer meanwhile
        sweeping = asyncio.create_task(_sweep_s(h, clock.now()))
        during_ms = []
        for i in range(SAMPLES, SAMPLES + DURING):
            await asyncio.sleep(0.05)
            during_ms.append(await _name_ms(h, 920000 + i))
        first = await sweeping
        tick = await _sweep_s(h, clock.now() + timedelta(seconds=5))  # the next tick
    finally:
        await h.stop()
    return {
        "ready_s": ready,
        "status_p50": statistics.median(status_ms),
        "status_p95": pct(status_ms, 0.95),
        "step_p50": statistics.median(step_ms),
        "step_p95": pct(step_ms, 0.95),
        "during_max": max(during_ms),
        "sweep_first_s": first,
        "sweep_tick_s": tick,
        "rss_mb": peak_rss_mb(),
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


def fill(root: Path, n: int) -> tuple[Path, str, float]:
    """A filled store for n cases kept as ``pristine.sqlite3`` (copied for each run)."""
    folder = root / str(n)
    folder.mkdir()
    key = generate_key()
    seconds = populate(folder / "ppa.sqlite3", key, n)
    (folder / "ppa.sqlite3").rename(folder / "pristine.sqlite3")
    print(f"  {n:,} cases filled in {seconds:.1f} s", file=sys.stderr, flush=True)
    return folder, key, seconds


def run_once(folder: Path, key: str) -> dict[str, float]:
    """One measurement in a fresh process, on a fresh copy of the filled store."""
    work = folder / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copyfile(folder / "pristine.sqlite3", work / "ppa.sqlite3")
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(work), key],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    result["measure_s"] = time.perf_counter() - t
    shutil.rmtree(work)
    return result


COLUMNS = (
    ("ready_s", "start to ready s", 2),
    ("rss_mb", "peak RSS MB", 0),
    ("step_p50", "form step p50 ms", 2),
    ("step_p95", "form step p95 ms", 2),
    ("during_max", "form step during first sweep, max ms", 1),
    ("status_p50", "/status p50 ms", 2),
    ("status_p95", "/status p95 ms", 2),
    ("sweep_first_s", "first sweep (digest) s", 3),
    ("sweep_tick_s", "sweep tick s", 3),
)


def main() -> None:
    """Command line: --sizes 1000 100000 1000000."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("DIR", "KEY"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(Path(args.child[0]), args.child[1]))))
        return
    started = time.perf_counter()
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in args.sizes}
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        filled = {n: fill(Path(tmp), n) for n in args.sizes}
        for round_ in range(args.rounds):
            for n, (folder, key, _) in filled.items():
                runs[n].append(run_once(folder, key))
                print(f"  round {round_ + 1}, {n:,}: {json.dumps(runs[n][-1])}",
                      file=sys.stderr, flush=True)  # fmt: skip
        for n, done in runs.items():
            results[n] = {k: statistics.median(r[k] for r in done) for k in done[0]}
            results[n]["fill_s"] = filled[n][2]
            results[n]["db_mb"] = (filled[n][0] / "pristine.sqlite3").stat().st_size / 1e6
    print(f"scale: open cases in the store, median of {args.rounds} rounds; {machine()}")
    rows = []
    for n, r in results.items():
        measured = (f"{r[k]:.{d}f}" for k, _, d in COLUMNS)
        rows.append((f"{n:,}", f"{r['db_mb']:.0f}", f"{r['fill_s']:.1f}", f"{r['measure_s']:.1f}",
                     *measured))  # fmt: skip
    print(table(("cases", "db MB", "fill s", "measure s", *(c[1] for c in COLUMNS)), rows))
    base = results[min(results)]
    print(f"\nratio to {min(results):,} cases (target: memory and latency <= 1.2x)")
    print(
        table(
            ("cases", *(c[1] for c in COLUMNS)),
            [
                (f"{n:,}", *(f"{r[k] / base[k]:.2f}x" for k, _, _ in COLUMNS))
                for n, r in results.items()
            ],
        )
    )
    print(f"\nwhole run: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
