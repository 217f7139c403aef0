"""The WhatsApp wing and the shared texts import nothing of the Telegram wing nor `telegram`."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot/channels/whatsapp", "bot/presentation")
_FORBIDDEN = ("telegram", "bot.channels.telegram")


def _imports(path: Path) -> list[str]:
    """Every module a file imports (at any level, TYPE_CHECKING blocks included)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.append(node.module)
    return names


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in _FORBIDDEN)


def test_no_file_of_the_wing_imports_the_telegram_wing() -> None:
    files = [f for pkg in PACKAGES for f in sorted((ROOT / pkg).glob("*.py"))]
    assert len(files) > 10  # the search really reads the wing
    found = [(f.name, n) for f in files for n in _imports(f) if _forbidden(n)]
    assert found == []


def test_the_check_sees_a_telegram_import(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from bot.channels.telegram.handlers.common import esc\nimport telegram\n")
    assert [n for n in _imports(sample) if _forbidden(n)] == [
        "bot.channels.telegram.handlers.common",
        "telegram",
    ]


_SCRIPT = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys
    import bot.channels.whatsapp as wing, bot.presentation as texts
    loaded = []
    for pkg in (wing, texts):
        for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
            importlib.import_module(info.name)
            loaded.append(info.name)
    telegram = sorted(m for m in sys.modules
                      if m == "telegram" or m.startswith(("telegram.", "bot.channels.telegram")))
    print(json.dumps({"modules": loaded, "telegram": telegram}))
    """
)


def test_importing_the_whole_wing_loads_no_telegram_module() -> None:
    run = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                         timeout=120, cwd=ROOT, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert "bot.channels.whatsapp.wiring" in out["modules"]
    assert "bot.channels.whatsapp.conversation" in out["modules"]
    assert out["telegram"] == []
