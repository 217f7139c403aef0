"""The stores' SQLite SQL in PostgreSQL's words: placeholders and the few SQLite-isms."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

__all__ = ["PgStatement", "redact_url", "translate", "translate_migration"]

_INSERT = re.compile(r"^\s*INSERT\s+(OR\s+IGNORE\s+)?INTO\s+(\w+)", re.IGNORECASE)
_JULIANDAY = re.compile(r"julianday\(([^()]*)\)", re.IGNORECASE)
_JSON_EXTRACT = re.compile(r"json_extract\((\w+),\s*'\$\.(\w+)'\)", re.IGNORECASE)
_INSTR = re.compile(r"\binstr\(", re.IGNORECASE)
_IFNULL = re.compile(r"\bifnull\(", re.IGNORECASE)
_BLOB = re.compile(r"\b[xX]'([0-9A-Fa-f]*)'")
_ROWID = re.compile(r"\browid\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_UNSUPPORTED = re.compile(
    r"\b(sqlite_master|PRAGMA|json_each|json_group_array|GLOB|strftime|datetime\(|date\()",
    re.IGNORECASE,
)


def redact_url(url: str) -> str:
    """A database URL without its password (for messages and logs); a path unchanged."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


class PgStatement(NamedTuple):
    """A translated statement; ``returns_id`` when ``RETURNING id`` was added for lastrowid."""

    sql: str
    returns_id: bool


@lru_cache(maxsize=2048)
def translate(sql: str, id_tables: frozenset[str]) -> PgStatement:
    """One store statement for psycopg: ``?`` as ``%s``, SQLite functions as PostgreSQL's.

    - ``INSERT OR IGNORE`` becomes ``INSERT ... ON CONFLICT DO NOTHING`` (any unique index);
    - ``julianday(x)`` (instants compared as instants) becomes ``CAST(x AS timestamptz)``;
    - ``json_extract(col, '$.key')`` becomes ``(col::jsonb ->> 'key')``;
    - ``instr`` and ``ifnull`` become ``strpos`` and ``coalesce`` (same arguments);
    - a blob literal ``x'00'`` becomes ``decode('00', 'hex')``;
    - ``rowid`` becomes ``ctid`` (the tables without an id column are only read and updated
      by it inside one transaction, never kept);
    - an INSERT into a table with an ``id`` column gains ``RETURNING id`` (the cursor's
      ``lastrowid``).
    Anything else SQLite-only raises, so a new store query cannot silently misbehave.
    """
    found = _UNSUPPORTED.search(sql)
    if found:
        raise ValueError(f"SQLite-only SQL for PostgreSQL: {found.group(0)!r} in {sql!r}")
    text = _JULIANDAY.sub(r"CAST(\1 AS timestamptz)", sql)
    text = _JSON_EXTRACT.sub(r"(\1::jsonb ->> '\2')", text)
    text = _INSTR.sub("strpos(", _IFNULL.sub("coalesce(", text))
    text = _BLOB.sub(r"decode('\1', 'hex')", text)
    text = _ROWID.sub("ctid", text)
    returns_id = False
    insert = _INSERT.match(text)
    if insert:
        if insert.group(1):
            text = text[: insert.start(1)] + text[insert.end(1) :]
            text = _append(text, "ON CONFLICT DO NOTHING")
        if insert.group(2).lower() in id_tables and not _RETURNING.search(text):
            text = _append(text, "RETURNING id")
            returns_id = True
    return PgStatement(_placeholders(text), returns_id)


def _append(sql: str, clause: str) -> str:
    """Add a clause at the end of a statement (before a trailing semicolon)."""
    body = sql.rstrip().removesuffix(";").rstrip()
    return f"{body} {clause}"


def _placeholders(sql: str) -> str:
    """``?`` outside string literals as ``%s``; every literal ``%`` doubled for psycopg."""
    out: list[str] = []
    quoted = False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
            out.append(ch)
        elif ch == "%":
            out.append("%%")
        elif ch == "?" and not quoted:
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


_TYPES = (
    (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\b", re.IGNORECASE), "BIGINT PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b", re.IGNORECASE), "BIGINT"),
    (re.compile(r"\bBLOB\b", re.IGNORECASE), "BYTEA"),
)
_ID_COLUMN = re.compile(r"(\n\s*id\s+)BIGINT PRIMARY KEY\b", re.IGNORECASE)
_TRIGGER = re.compile(
    r"CREATE TRIGGER (\w+) BEFORE (UPDATE|DELETE) ON (\w+)\s+BEGIN\s+"
    r"SELECT RAISE\(ABORT, '([^']*)'\);\s+END;",
    re.IGNORECASE,
)


def translate_migration(sql: str) -> str:
    """A SQLite migration as a PostgreSQL script (one ``execute``, no parameters).

    Integers are 64-bit (Telegram ids pass 2**31), blobs are BYTEA, an ``id INTEGER PRIMARY
    KEY`` is an identity column (generated when not given, as SQLite's rowid alias), and a
    trigger that refuses a change (the audit log's) is a PL/pgSQL function and its trigger.
    A migration using SQLite-only functions raises: it needs its own PostgreSQL version in
    bot/store/migrations/postgresql/.
    """
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    text = "\n".join(lines)
    found = _UNSUPPORTED.search(text)
    if found:
        raise ValueError(f"migration needs a PostgreSQL version: it uses {found.group(0)!r}")
    text = _TRIGGER.sub(_trigger, text)
    for pattern, replacement in _TYPES:
        text = pattern.sub(replacement, text)
    return _ID_COLUMN.sub(r"\1BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", text)


def _trigger(m: re.Match[str]) -> str:
    name, event, table, message = m.group(1), m.group(2).upper(), m.group(3), m.group(4)
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        f"BEGIN RAISE EXCEPTION '{message}'; END $fn$;\n"
        f"CREATE TRIGGER {name} BEFORE {event} ON {table}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION {name}();"
    )
