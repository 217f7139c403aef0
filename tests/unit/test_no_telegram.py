"""The services run without the Telegram channel: no `telegram` or `bot.channels` import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# submit a complaint and start its SOP, then complete its first step, on a new SQLite file
_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    from datetime import UTC, datetime
    from pathlib import Path

    from bot.clock import FakeClock
    from bot.config import load_offices
    from bot.crypto import Cipher, generate_key
    from bot.domain.identity import Handle
    from bot.services.context import Services
    from bot.services.submit import submit_and_start
    from bot.services.workflow import Workflow, load_sops
    from bot.store.db import Database
    from bot.services.persons import person_for

    ROOT, DB = Path(sys.argv[1]), Path(sys.argv[2])
    OFFICER = 100000002  # the complaint officer of TNG in the example roster

    async def main() -> dict[str, object]:
        db = await Database.open(DB)
        try:
            offices = {o.id: o for o in load_offices(ROOT / "config" / "offices.example.toml")}
            clock = FakeClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
            svc = Services(db, clock, Cipher(generate_key()), offices)
            await svc.load_roster()
            officer = await person_for(svc, Handle("telegram", str(OFFICER)))
            wf = Workflow(svc, load_sops(ROOT / "bot" / "sops"))
            answers = {"danger": "no", "office": "TNG", "reporter": "victim", "victim_age": 30,
                       "victim_sex": "female", "disability": "no", "violence": ["physical"],
                       "relation": "spouse", "help": ["mediation"], "notify": "normal",
                       "consent": "yes"}
            case, started = await submit_and_start(
                wf, answers=answers, evidence=[], idempotency_key="k", mode="reporter",
                reporter=Handle("telegram", str(555)), recorded_by=None, language="id", actor="cli",
            )
            clock.advance(minutes=10)
            done = await wf.complete_step(started.opened[0], officer, "done", "called back")
            return {"created": case.created, "started": started.ok, "completed": done.ok,
                    "opened": len(done.opened)}
        finally:
            await db.close()

    result = asyncio.run(main())
    loaded = sorted(m for m in sys.modules
                    if m == "telegram" or m.startswith(("telegram.", "bot.channels")))
    print(json.dumps({**result, "loaded": loaded}))
    """
)


def test_a_use_case_runs_without_the_telegram_channel(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(ROOT), str(tmp_path / "ppa.sqlite3")],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["created"] and out["started"] and out["completed"] and out["opened"] >= 1
    assert out["loaded"] == []
