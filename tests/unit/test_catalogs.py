"""Translation catalogs: complete, consistent with the code, and safe to send as Telegram HTML.

Message ids are English text in the code; locales/messages.pot is extracted from it and
locales/<lang>/LC_MESSAGES/messages.po hold the translations (Bahasa Indonesia is the default
language and must be complete). After changing user-facing text, run ``make catalogs``.
"""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from string import Formatter

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.i18n import I18n

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
LANGS = ("id", "en")
TAGS = frozenset({"b", "i", "code"})
FIX = "make catalogs"
EXTRACT_ARGS = (
    "extract",
    "-F",
    "babel.cfg",
    "-k",
    "gettext",
    "-k",
    "N_",
    "-k",
    "ngettext:1,2",
    "--no-location",
    "--sort-output",
)


# --- helpers ---------------------------------------------------------------------------------


def load(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / "messages.po"


def messages(catalog: Catalog) -> Iterator[Message]:
    """Every real entry (not the header)."""
    return (m for m in catalog if m.id)


def ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def strings(message: Message) -> tuple[str, ...]:
    s = message.string
    if isinstance(s, (tuple, list)):
        return tuple(x or "" for x in s)
    return (s or "",)


def key(message: Message) -> str:
    return ids(message)[0]


def translated(message: Message) -> bool:
    """Has a non-empty translation (every plural form) that gettext will actually use."""
    return "fuzzy" not in message.flags and all(s.strip() for s in strings(message))


def placeholders(text: str) -> set[str]:
    """``{name}`` fields of a str.format template (``{{`` is a literal brace)."""
    return {field for _, field, _, _ in Formatter().parse(text) if field is not None}


def placeholder_problem(message: Message) -> str | None:
    """Why the translation's placeholders differ from the msgid's (None if they match)."""
    expected = set().union(*(placeholders(i) for i in ids(message)))
    forms = [s for s in strings(message) if s]
    if not forms:
        return None
    try:
        found = [placeholders(s) for s in forms]
    except ValueError as exc:
        return f"broken braces ({exc})"
    if len(ids(message)) == 1:
        bad = found[0] != expected
    else:  # a plural form may leave out {n} ("one file"), but may not invent placeholders
        bad = any(not f <= expected for f in found) or set().union(*found) != expected
    if bad:
        return f"expected {sorted(expected)}, found {[sorted(f) for f in found]}"
    return None


class _TagCounter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in TAGS:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> without a matching <{tag}>")
        else:
            self.stack.pop()


def html_problems(text: str) -> list[str]:
    """Unbalanced or badly nested <b>, <i>, <code> tags (empty list if fine)."""
    parser = _TagCounter()
    parser.feed(text)
    parser.close()
    return parser.errors + [f"<{tag}> is never closed" for tag in parser.stack]


def report(problems: Iterable[str]) -> str:
    return "\n".join(f"  - {p}" for p in problems)


def extract_msgids(out_dir: Path) -> set[str]:
    """Message ids found in the code right now, extracted exactly like ``make catalogs``."""
    out = out_dir / "x.pot"
    cmd = [sys.executable, "-m", "babel.messages.frontend", *EXTRACT_ARGS, "-o", str(out), "."]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"extraction failed:\n{done.stdout}\n{done.stderr}"
    return {key(m) for m in messages(load(out))}


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pot() -> Catalog:
    return load(POT)


@pytest.fixture(scope="module", params=LANGS)
def catalog(request: pytest.FixtureRequest) -> Catalog:
    lang = request.param
    path = po_path(lang)
    assert path.exists(), f"{path.relative_to(ROOT)} is missing; run `{FIX}`"
    return load(path, locale=lang)


# --- (a) the default language is complete ---------------------------------------------------


def test_indonesian_translates_every_message(pot: Catalog) -> None:
    po = load(po_path("id"), locale="id")
    missing = []
    for m in messages(pot):
        entry = po.get(m.id, m.context)
        if entry is None or not translated(entry):
            missing.append(repr(key(m)))
    assert not missing, (
        f"{len(missing)} message(s) have no Indonesian translation (empty, fuzzy or absent) "
        f"in locales/id/LC_MESSAGES/messages.po; run `{FIX}` and translate:\n" + report(missing)
    )


def test_indonesian_header() -> None:
    po = load(po_path("id"), locale="id")
    assert str(po.locale) == "id"
    assert po.num_plurals == 1
    assert not po.fuzzy


# --- (b) placeholders ------------------------------------------------------------------------


def test_translations_keep_placeholders(catalog: Catalog) -> None:
    problems = []
    for m in messages(catalog):
        why = placeholder_problem(m)
        if why:
            problems.append(f"{key(m)!r}: {why}")
    assert not problems, f"[{catalog.locale}] placeholders differ from the msgid:\n" + report(
        problems
    )


# --- (c) HTML ---------------------------------------------------------------------------------


def test_translations_have_balanced_html(catalog: Catalog) -> None:
    problems = []
    for m in messages(catalog):
        for s in strings(m):
            for why in html_problems(s):
                problems.append(f"{key(m)!r}: {why}")
    assert not problems, f"[{catalog.locale}] broken HTML in translations:\n" + report(problems)


def test_message_ids_have_balanced_html(pot: Catalog) -> None:
    problems = [
        f"{key(m)!r}: {why}" for m in messages(pot) for i in ids(m) for why in html_problems(i)
    ]
    assert not problems, "broken HTML in message ids (fix the code):\n" + report(problems)


# --- (d) the catalogs compile and are loaded -----------------------------------------------------


def test_catalog_compiles(catalog: Catalog) -> None:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    assert buf.getvalue(), f"[{catalog.locale}] compiled to nothing"
    errors = [f"{key(m)!r}: {e}" for m, errs in catalog.check() for e in errs]
    assert not errors, f"[{catalog.locale}] catalog check failed:\n" + report(errors)


def test_indonesian_catalog_is_loaded() -> None:
    t = I18n().get("id")
    assert t.gettext("No") != "No", "the Indonesian catalog was not loaded by bot.i18n.I18n"
    assert I18n().get(None).language == "id"


# --- (e) the template matches the code ---------------------------------------------------------


def test_pot_is_up_to_date(pot: Catalog, tmp_path: Path) -> None:
    in_code = extract_msgids(tmp_path)
    in_pot = {key(m) for m in messages(pot)}
    missing = sorted(in_code - in_pot)
    stale = sorted(in_pot - in_code)
    parts = []
    if missing:
        parts.append(
            f"{len(missing)} message id(s) in the code are missing from locales/messages.pot:\n"
            + report(map(repr, missing))
        )
    if stale:
        parts.append(
            f"{len(stale)} message id(s) in locales/messages.pot are no longer in the code:\n"
            + report(map(repr, stale))
        )
    assert not parts, "\n".join(parts) + f"\nRun `{FIX}` and translate the new entries."


# --- (f) message ids are literals, so every Babel release extracts the same ids ----------------

#: keyword -> how many leading positional arguments are message ids (as in babel.cfg)
KEYWORDS = {"gettext": 1, "N_": 1, "ngettext": 2}


def non_literal_calls(source: str, filename: str = "<string>") -> list[str]:
    """Calls of an extracted keyword whose message id is not a string literal."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name not in KEYWORDS:
            continue
        ids_ = node.args[: KEYWORDS[name]]
        literal = len(ids_) == KEYWORDS[name] and all(
            isinstance(a, ast.Constant) and isinstance(a.value, str) for a in ids_
        )
        if not literal:
            found.append(f"{filename}:{node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_message_ids_are_literals() -> None:
    """Ids from data go through ``Translator.translate``, which the extractor does not scan."""
    found: list[str] = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.name == "i18n.py":  # the Translator's own definitions
            continue
        found += non_literal_calls(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not found, (
        "gettext/ngettext/N_ called on a non-literal (Babel releases disagree on what they "
        "extract from these); use t.translate(...) for ids that come from data:\n" + report(found)
    )


# --- the checks themselves can fail ------------------------------------------------------------


def _msg(msgid: str | tuple[str, str], string: str | tuple[str, ...]) -> Message:
    return Message(msgid, string)


class TestCheckers:
    def test_placeholder_checker_catches_renamed_dropped_and_added(self) -> None:
        assert placeholder_problem(_msg("Hi {name}", "Halo {name}")) is None
        assert placeholder_problem(_msg("Hi {name}", "Halo {nama}"))
        assert placeholder_problem(_msg("Hi {name}", "Halo"))
        assert placeholder_problem(_msg("Hi", "Halo {name}"))
        assert placeholder_problem(_msg("Hi {name}", "Halo {name"))
        assert placeholder_problem(_msg("Hi {{x}}", "Halo {{x}}")) is None

    def test_placeholder_checker_on_plurals(self) -> None:
        plural = ("one file", "{n} files")
        assert placeholder_problem(_msg(plural, ("{n} berkas",))) is None
        assert placeholder_problem(_msg(plural, ("berkas",)))
        assert placeholder_problem(_msg(plural, ("{n} berkas {x}",)))

    def test_html_checker(self) -> None:
        assert html_problems("<b>Ya</b> <i>a <code>b</code></i>") == []
        assert html_problems("<b>Ya")
        assert html_problems("Ya</b>")
        assert html_problems("<b><i>Ya</b></i>")

    def test_literal_checker(self) -> None:
        assert (
            non_literal_calls('t.gettext("Hi {n}", n=1)\nN_("x")\nt.translate(row["title"])') == []
        )
        assert non_literal_calls('t.ngettext("one", "{n} many", n)') == []
        assert non_literal_calls('t.gettext(row["title"])')
        assert non_literal_calls("t.gettext(f'Hi {x}')")
        assert non_literal_calls('t.ngettext("one", plural, n)')
        assert non_literal_calls("N_(label)")

    def test_translated(self) -> None:
        assert translated(_msg("No", "Tidak"))
        assert not translated(_msg("No", ""))
        assert not translated(_msg("No", "  "))
        fuzzy = _msg("No", "Tidak")
        fuzzy.flags.add("fuzzy")
        assert not translated(fuzzy)
