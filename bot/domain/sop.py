"""Load and check SOP files (TOML) and office SOP tables; re-exports the SOP model."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.domain.duration import Duration
from bot.domain.office import Role
from bot.domain.sop_model import (
    ADDRESSEES,
    DOCUMENTS,
    DURATION_SOURCES,
    END,
    RULES,
    SERVICES,
    SESSION_SOURCE,
    SOP_PREFIX,
    Deadline,
    Sop,
    SopError,
    Step,
    handover_target,
)
from bot.domain.sop_offices import check_offices

__all__ = [
    "DOCUMENTS",
    "DURATION_SOURCES",
    "END",
    "RULES",
    "SERVICES",
    "SESSION_SOURCE",
    "SOP_PREFIX",
    "Deadline",
    "Sop",
    "SopError",
    "Step",
    "check_offices",
    "handover_target",
    "load_all",
    "load_sop",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SOP_FIELDS = {"key", "title", "seed", "source", "total", "total_note", "first_step", "steps",
               "deadlines", "starts_at_request"}  # fmt: skip
_STEP_FIELDS = {
    "key", "title", "actors", "decided_by", "inputs", "duration", "duration_from",
    "alt_duration", "extendable", "extension", "output", "output_document", "output_to",
    "output_required", "names_next",
    "requires", "runs", "note", "transitions", "sets_session", "informs",
    "extra_documents",
}  # fmt: skip


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class _Ctx:
    """Builds precise error messages for one file (and one step)."""

    def __init__(self, path: Path, step: str | None = None) -> None:
        self.path = path
        self.step = step

    def error(self, fieldname: str | None, msg: str) -> SopError:
        parts = [_display(self.path)]
        if self.step is not None:
            parts.append(f"step {self.step}")
        if fieldname is not None:
            parts.append(f"field {fieldname!r}")
        return SopError(": ".join([*parts, msg]))

    def get(self, raw: Mapping[str, Any], name: str, kind: type, default: Any = ...) -> Any:
        if name not in raw:
            if default is ...:
                raise self.error(name, "missing")
            return default
        value = raw[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(name, f"must be {_KINDS[kind]}, got {value!r}")
        if isinstance(value, str) and not value.strip():
            raise self.error(name, "must not be empty")
        return value

    def name(self, raw: Mapping[str, Any], name: str) -> str:
        value: str = self.get(raw, name, str)
        if not _NAME.match(value):
            raise self.error(name, f"{value!r} must be lower_case_with_underscores")
        return value

    def strings(self, raw: Mapping[str, Any], name: str) -> tuple[str, ...]:
        items: list[Any] = self.get(raw, name, list, [])
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise self.error(f"{name}[{i}]", f"must be a non-empty string, got {item!r}")
        return tuple(items)

    def roles(self, raw: Mapping[str, Any], name: str, required: bool) -> tuple[Role, ...]:
        names = self.strings(raw, name)
        if required and not names:
            raise self.error(name, "needs at least one role")
        out: list[Role] = []
        for i, n in enumerate(names):
            try:
                out.append(Role(n))
            except ValueError:
                allowed = ", ".join(r.value for r in Role)
                raise self.error(
                    f"{name}[{i}]", f"unknown role {n!r} (use one of: {allowed})"
                ) from None
        return tuple(out)

    def duration(self, raw: Mapping[str, Any], name: str, required: bool) -> Duration | None:
        table = self.get(raw, name, dict, ... if required else None)
        if table is None:
            return None
        unknown = set(table) - {"value", "unit"}
        if unknown:
            raise self.error(f"{name}.{sorted(unknown)[0]}", "unknown field")
        if "value" not in table:
            raise self.error(f"{name}.value", "missing")
        unit = table.get("unit")
        if not isinstance(unit, str):
            raise self.error(f"{name}.unit", "missing" if unit is None else "must be a string")
        try:
            return Duration.parse(table["value"], unit)
        except ValueError as exc:
            sub = "unit" if str(exc).startswith("unknown unit") else "value"
            raise self.error(f"{name}.{sub}", str(exc)) from None

    def target(self, fieldname: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise self.error(fieldname, f"must be a step key, {END!r} or 'sop:<name>'")
        name = handover_target(value)
        if name is not None and not _NAME.match(name):
            raise self.error(fieldname, f"bad SOP or service name in {value!r}")
        return value


_KINDS: dict[type, str] = {str: "a string", int: "a whole number", bool: "true or false",
                           list: "a list", dict: "a table"}  # fmt: skip


def _load_step(path: Path, index: int, raw: Any) -> Step:
    ctx = _Ctx(path, f"#{index + 1}")
    if not isinstance(raw, dict):
        raise ctx.error(None, "must be a table ([[steps]])")
    key = ctx.name(raw, "key")
    ctx = _Ctx(path, repr(key))
    unknown = set(raw) - _STEP_FIELDS
    if unknown:
        raise ctx.error(sorted(unknown)[0], "unknown field")
    duration = ctx.duration(raw, "duration", required=True)
    assert duration is not None
    doc = ctx.get(raw, "output_document", str, None)
    if doc is not None and doc not in DOCUMENTS:
        raise ctx.error("output_document", f"unknown document {doc!r}")
    extra = ctx.strings(raw, "extra_documents")
    for i, other in enumerate(extra):
        if other not in DOCUMENTS or other == doc:
            raise ctx.error(f"extra_documents[{i}]", f"unknown or repeated document {other!r}")
    if extra and doc is None:
        raise ctx.error("extra_documents", "needs output_document")
    output_to = ctx.get(raw, "output_to", str, None)
    if output_to is not None and output_to not in ADDRESSEES:
        raise ctx.error("output_to", f"unknown addressee {output_to!r} "
                        f"(use one of: {', '.join(sorted(ADDRESSEES))})")  # fmt: skip
    if output_to is not None and doc is None:
        raise ctx.error("output_to", "needs output_document")
    requires = ctx.strings(raw, "requires")
    for i, rule in enumerate(requires):
        if rule not in RULES:
            raise ctx.error(f"requires[{i}]", f"unknown rule {rule!r}")
    source = ctx.get(raw, "duration_from", str, None)
    if source is not None and source not in DURATION_SOURCES:
        raise ctx.error("duration_from", f"unknown source {source!r}")
    extendable = ctx.get(raw, "extendable", bool, False)
    extension = ctx.duration(raw, "extension", required=False)
    if extension is not None and not extendable:
        raise ctx.error("extension", "needs extendable = true")
    runs = ctx.get(raw, "runs", str, None)
    if runs is not None and handover_target(ctx.target("runs", runs)) is None:
        raise ctx.error("runs", f"{runs!r} must be 'sop:<key or service>'")
    raw_transitions: dict[str, Any] = ctx.get(raw, "transitions", dict)
    if not raw_transitions:
        raise ctx.error("transitions", "needs at least one outcome")
    transitions: dict[str, str] = {}
    for outcome, target in raw_transitions.items():
        if not _NAME.match(outcome):
            raise ctx.error(f"transitions.{outcome}", "outcome must be lower_case_with_underscores")
        transitions[outcome] = ctx.target(f"transitions.{outcome}", target)
    return Step(
        key=key,
        title=ctx.get(raw, "title", str),
        actors=ctx.roles(raw, "actors", required=True),
        decided_by=ctx.roles(raw, "decided_by", required=False),
        inputs=ctx.strings(raw, "inputs"),
        duration=duration,
        duration_from=source,
        alt_duration=ctx.duration(raw, "alt_duration", required=False),
        extendable=extendable,
        extension=extension,
        output=ctx.get(raw, "output", str),
        output_document=doc,
        output_to=output_to,
        output_required=ctx.get(raw, "output_required", bool, False),
        names_next=ctx.get(raw, "names_next", bool, False),
        extra_documents=extra,
        sets_session=ctx.get(raw, "sets_session", bool, False),
        informs=ctx.roles(raw, "informs", required=False),
        requires=requires,
        runs=runs,
        note=ctx.get(raw, "note", str, ""),
        transitions=MappingProxyType(transitions),
    )


def _check_graph(path: Path, steps: tuple[Step, ...], first: str) -> None:
    keys = {s.key for s in steps}
    for s in steps:
        for outcome, target in s.transitions.items():
            if target != END and handover_target(target) is None and target not in keys:
                raise _Ctx(path, repr(s.key)).error(
                    f"transitions.{outcome}", f"goes to missing step {target!r}"
                )
    edges = {s.key: [t for t in s.transitions.values() if t in keys] for s in steps}
    seen, todo = {first}, [first]
    while todo:
        for t in edges[todo.pop()]:
            if t not in seen:
                seen.add(t)
                todo.append(t)
    for s in steps:
        if s.key not in seen:
            raise _Ctx(path, repr(s.key)).error(None, f"unreachable from first step {first!r}")
    finishing = {s.key for s in steps if any(t not in keys for t in s.transitions.values())}
    changed = True
    while changed:
        before = len(finishing)
        finishing |= {k for k, ts in edges.items() if any(t in finishing for t in ts)}
        changed = len(finishing) != before
    for s in steps:
        if s.key not in finishing:
            raise _Ctx(path, repr(s.key)).error(None, "no path to 'end' or another SOP")


def _schedules(step: Step) -> bool:
    """Whether a mediation session is scheduled at this step (as `is_scheduling_step`)."""
    return step.schedules_session


def _check_sessions(path: Path, steps: tuple[Step, ...]) -> None:
    """A step timed from the session must come after a step that schedules it."""
    by_key = {s.key: s for s in steps}
    for s in steps:
        if s.duration_from != SESSION_SOURCE:
            continue
        ctx = _Ctx(path, repr(s.key))
        if s.runs:
            raise ctx.error("duration_from", "a step that runs a sub-SOP has no session")
        seen: set[str] = set()
        todo = [k for k, o in by_key.items() if s.key in o.transitions.values()]
        while todo:
            k = todo.pop()
            if k in seen:
                continue
            seen.add(k)
            if _schedules(by_key[k]):
                break
            todo += [p for p, o in by_key.items() if k in o.transitions.values()]
        else:
            raise ctx.error(
                "duration_from", f"{SESSION_SOURCE!r}: no step before it schedules a mediation "
                "(sets_session, requires or output_document = 'surat_undangan_mediasi')",
            )  # fmt: skip


def _load_deadlines(path: Path, raw: Any, keys: set[str]) -> tuple[Deadline, ...]:
    """`[[deadlines]]`: key, within = {value, unit}, until = [step keys or "end"], note."""
    ctx = _Ctx(path)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ctx.error("deadlines", "must be a list of tables ([[deadlines]])")
    out: list[Deadline] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ctx.error(f"deadlines[{i}]", "must be a table")
        unknown = set(item) - {"key", "within", "until", "note"}
        if unknown:
            raise ctx.error(f"deadlines[{i}].{sorted(unknown)[0]}", "unknown field")
        key = ctx.name(item, "key")
        within = ctx.duration(item, "within", required=True)
        assert within is not None
        until = ctx.strings(item, "until")
        for target in until:
            if target != END and target not in keys:
                raise ctx.error(f"deadlines[{i}].until", f"names missing step {target!r}")
        if not until:
            raise ctx.error(f"deadlines[{i}].until", "needs a step key or 'end'")
        if key in {d.key for d in out}:
            raise ctx.error(f"deadlines[{i}].key", f"duplicate deadline {key!r}")
        out.append(Deadline(key, within, until, ctx.get(item, "note", str, "")))
    return tuple(out)


def load_sop(path: Path) -> Sop:
    """Read and validate one SOP file."""
    ctx = _Ctx(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ctx.error(None, f"cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ctx.error(None, f"not valid TOML: {exc}") from None
    unknown = set(raw) - _SOP_FIELDS
    if unknown:
        raise ctx.error(sorted(unknown)[0], "unknown field")
    key = ctx.name(raw, "key")
    if key != path.stem:
        raise ctx.error("key", f"{key!r} must match the file name {path.stem!r}")
    raw_steps: list[Any] = ctx.get(raw, "steps", list)
    if not raw_steps:
        raise ctx.error("steps", "needs at least one [[steps]] table")
    steps = tuple(_load_step(path, i, s) for i, s in enumerate(raw_steps))
    seen: set[str] = set()
    for s in steps:
        if s.key in seen:
            raise _Ctx(path, repr(s.key)).error("key", "duplicate step key")
        seen.add(s.key)
    first = ctx.get(raw, "first_step", str, steps[0].key)
    if first not in seen:
        raise ctx.error("first_step", f"names missing step {first!r}")
    _check_graph(path, steps, first)
    _check_sessions(path, steps)
    return Sop(
        key=key,
        title=ctx.get(raw, "title", str),
        steps=steps,
        first_step=first,
        seed=ctx.get(raw, "seed", str, ""),
        source=ctx.get(raw, "source", str, ""),
        total=ctx.duration(raw, "total", required=False),
        total_note=ctx.get(raw, "total_note", str, ""),
        deadlines=_load_deadlines(path, raw.get("deadlines"), seen),
        starts_at_request=ctx.get(raw, "starts_at_request", bool, False),
    )


def load_all(directory: Path) -> dict[str, Sop]:
    """Load every *.toml SOP in a directory and check handovers between them."""
    if not directory.is_dir():
        raise SopError(f"{_display(directory)}: not a directory of SOP files")
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise SopError(f"{_display(directory)}: no SOP files (*.toml)")
    sops = {p.stem: load_sop(p) for p in files}
    for path in files:
        sop = sops[path.stem]
        for s in sop.steps:
            targets = [(f"transitions.{o}", t) for o, t in s.transitions.items()]
            targets += [("runs", s.runs)] if s.runs else []
            for fieldname, target in targets:
                name = handover_target(target)
                if name is not None and name not in sops and name not in SERVICES:
                    raise _Ctx(path, repr(s.key)).error(
                        fieldname, f"{target!r} is neither a loaded SOP nor a service "
                        f"({', '.join(sorted(SERVICES))})",
                    )  # fmt: skip
    return sops
