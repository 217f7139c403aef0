"""The example office file (made-up roster and numbers) is refused outside the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot.crypto import generate_key
from bot.testing.harness import EXAMPLE_OFFICES

__all__: list[str] = []


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env from the project folder
    for name in ("PPA_ALLOW_EXAMPLE", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PPA_DATABASE", str(tmp_path / "ppa.sqlite3"))
    monkeypatch.setenv("PPA_SECRET_KEY", generate_key())
    monkeypatch.setenv("PPA_OFFICES", str(EXAMPLE_OFFICES))
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")  # never the internet
    return tmp_path


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_check_config_and_run_refuse_the_example_roster(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["check-config"]) == 2
    line = _error(capsys)
    assert "example roster" in line and str(EXAMPLE_OFFICES) in line
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert cli.main(["run"]) == 2
    assert "example roster" in _error(capsys)


def test_a_copy_still_holding_an_example_number_is_refused(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLE_OFFICES.read_text(encoding="utf-8").replace("example = true", "")
    ids = [f'"{office}0000000{n}"' for office in (1, 2, 3) for n in range(1, 8)]
    for i, uid in enumerate(ids):  # a real roster, but the made-up WhatsApp number is left
        text = text.replace(uid, f'"{777000 + i}"')
    for n in (1, 2, 3):
        text = text.replace(f"-100100000000{n}", f"-100999000000{n}")
    copy = env / "offices.toml"
    copy.write_text(text, encoding="utf-8")
    monkeypatch.setenv("PPA_OFFICES", str(copy))
    assert cli.main(["check-config"]) == 2
    line = _error(capsys)
    assert "office TNG" in line and "081122334455" in line
    copy.write_text(text.replace("081122334455", "081299990000"), encoding="utf-8")
    assert cli.main(["check-config"]) == 0


def test_the_demo_and_tests_may_allow_it(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PPA_ALLOW_EXAMPLE", "1")
    assert cli.main(["check-config"]) == 0
    assert "office TNG" in capsys.readouterr().out
