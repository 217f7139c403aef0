"""``ppa-bot demo`` shows the urgent path: the on-call page, its escalation, the visit."""

from __future__ import annotations

import pytest

from bot.demo import run_demo


async def test_demo_shows_the_urgent_path_and_outreach(capsys: pytest.CaptureFixture[str]) -> None:
    assert await run_demo(verbose=True) == 0
    out = capsys.readouterr().out
    scene = out[out.index("Saturday 23:00") :]
    blocks = scene.split("🤖 → ")[1:]
    assert any(b.startswith("on call (private)") and "0813-1111-2222" in b for b in blocks)
    assert any(b.startswith("next on call (private)") and "-6.17831" in b for b in blocks)
    # the staff group never sees where she is or how to reach her
    for block in blocks:
        if block.startswith("staff group"):
            assert "0813" not in block and "-6.178" not in block
    assert "ov:" not in scene and "Dibawa ke rumah aman" in scene
