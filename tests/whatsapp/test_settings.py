"""The WhatsApp settings: off unless configured, each mistake one line in check-config."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import cli
from bot.crypto import generate_key
from bot.testing.harness import EXAMPLE_OFFICES

_GOOD = {
    "WHATSAPP_ACCESS_TOKEN": "EAAG-token",
    "WHATSAPP_PHONE_NUMBER_ID": "1098765432101",
    "WHATSAPP_APP_SECRET": "app-secret-0123456789",
    "WHATSAPP_VERIFY_TOKEN": "verify-0123456789abcdef",
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in (*_GOOD, "WHATSAPP_API_BASE_URL", "WHATSAPP_TEMPLATE_NEWS", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PPA_DATABASE", str(tmp_path / "ppa.sqlite3"))
    monkeypatch.setenv("PPA_SECRET_KEY", generate_key())
    monkeypatch.setenv("PPA_OFFICES", str(EXAMPLE_OFFICES))
    monkeypatch.setenv("PPA_ALLOW_EXAMPLE", "1")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    return tmp_path


def test_off_unless_configured(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-config"]) == 0
    assert "whatsapp: off" in capsys.readouterr().out


def test_all_four_set_is_on(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in _GOOD.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["check-config"]) == 0
    assert "whatsapp: on (api https://graph.facebook.com/" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("WHATSAPP_APP_SECRET", "", "WHATSAPP_APP_SECRET: not set"),
        ("WHATSAPP_PHONE_NUMBER_ID", "+62 811 000", "WHATSAPP_PHONE_NUMBER_ID: must be"),
        ("WHATSAPP_VERIFY_TOKEN", "short", "WHATSAPP_VERIFY_TOKEN: use at least 16"),
        ("WHATSAPP_API_BASE_URL", "http://graph.example", "WHATSAPP_API_BASE_URL: must be"),
        ("WHATSAPP_TEMPLATE_NEWS", "Ada Kabar!", "WHATSAPP_TEMPLATE_NEWS: a template"),
    ],
)
def test_each_mistake_is_one_line(
    env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
    said: str,
) -> None:
    for key, good in _GOOD.items():
        monkeypatch.setenv(key, good)
    monkeypatch.setenv(name, value)
    assert cli.main(["check-config"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], lines


def test_run_with_whatsapp_listen_needs_the_settings(
    env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert cli.main(["run", "--whatsapp-listen", "127.0.0.1:0"]) == 2
    assert "--whatsapp-listen needs the WHATSAPP_ settings" in capsys.readouterr().err
