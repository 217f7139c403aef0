"""`ppa-bot sops check|show`: validate the SOP files and print one as a table and a diagram."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.config import ConfigError, load_offices
from bot.domain.duration import Duration
from bot.domain.eligibility import RULES_FILE, EligibilityError, load_rules
from bot.domain.sop import END, Sop, SopError, Step, check_offices, handover_target, load_all

__all__ = [
    "SOPS_DIR",
    "format_total",
    "format_tracked",
    "mermaid",
    "sops_check",
    "sops_show",
    "steps_table",
]

SOPS_DIR = Path(__file__).parent / "sops"


def format_total(parts: tuple[Duration, ...]) -> str:
    """A nominal total such as "2 working_days + 170 minutes" ("-" when empty)."""
    return " + ".join(str(d) for d in parts) or "-"


def format_tracked(sop: Sop) -> str:
    """The SOP-level deadlines tracked at run time, e.g. "decision 5 working_days
    (until invite|notify), completion 14 working_days (until end)" ("-" when none)."""
    return (
        ", ".join(f"{d.key} {d.within} (until {'|'.join(d.until)})" for d in sop.deadlines) or "-"
    )


def sops_check(sops_dir: Path, offices_path: Path, rules_path: Path = RULES_FILE) -> int:
    """Validate all SOPs and the eligibility rules; one line per SOP, 0 if fine, else 2."""
    try:
        sops = load_all(sops_dir)
        offices = load_offices(offices_path)
        rules = load_rules(rules_path)
    except (SopError, ConfigError, EligibilityError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    errors = check_offices(offices, sops)
    if errors:
        for err in errors:
            print(f"error: {offices_path}: {err}", file=sys.stderr)
        return 2
    width = max(len(k) for k in sops)
    for key, sop in sops.items():
        users = ",".join(sorted(o.id for o in offices if key in o.sops.values())) or "-"
        roles = ",".join(sorted(r.value for r in sop.roles()))
        print(
            f"{key:<{width}}  offices={users:<11}  steps={len(sop.steps):<2}  "
            f"roles={roles}  total={format_total(sop.nominal_total())}  "
            f"tracked={format_tracked(sop)}"
        )
    limited = sorted({s for r in rules.rules for s in r.services})
    print(f"eligibility: {len(rules.rules)} rules limiting {', '.join(limited) or '-'}")
    return 0


def _row(i: int, s: Step) -> list[str]:
    duration = str(s.duration) + (" (+ext)" if s.extendable else "")
    if s.duration_from:
        duration += f" [{s.duration_from}]"
    nxt = ", ".join(f"{o}: {t}" for o, t in s.transitions.items())
    if s.runs:
        nxt = f"(runs {s.runs}) {nxt}"
    return [str(i), s.key, ",".join(r.value for r in s.actors), duration,
            s.output_document or "-", nxt]  # fmt: skip


def steps_table(sop: Sop) -> str:
    """The steps as an aligned plain-text table."""
    rows = [["#", "step", "actors", "time standard", "document", "next"]]
    rows += [_row(i, s) for i, s in enumerate(sop.steps, start=1)]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
             for r in rows]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + text.replace('"', "#quot;") + '"'


def _node(target: str) -> str:
    if target == END:
        return "END"
    name = handover_target(target)
    return f"sop_{name}" if name is not None else f"s_{target}"


def mermaid(sop: Sop) -> str:
    """A Mermaid `flowchart TD` of the SOP's steps and transitions."""
    lines = ["flowchart TD"]
    for i, s in enumerate(sop.steps, start=1):
        actors = ", ".join(r.value for r in s.actors)
        label = f"{i}. {s.key}<br/>{actors} · {s.duration}"
        if s.runs:
            label += f"<br/>runs {s.runs}"
        lines.append(f"    s_{s.key}[{_quote(label)}]")
    targets = {t for s in sop.steps for t in s.transitions.values()}
    if END in targets:
        lines.append("    END((end))")
    for t in sorted(x for x in targets if handover_target(x)):
        lines.append(f"    {_node(t)}[/{_quote(t)}/]")
    for s in sop.steps:
        for outcome, t in s.transitions.items():
            lines.append(f"    s_{s.key} -->|{outcome}| {_node(t)}")
    return "\n".join(lines)


def sops_show(key: str, sops_dir: Path) -> int:
    """Print one SOP as a table and a Mermaid diagram; 0, or 2 with the error on stderr."""
    try:
        sops = load_all(sops_dir)
    except SopError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sop = sops.get(key)
    if sop is None:
        print(f"error: no SOP {key!r} (known: {', '.join(sorted(sops))})", file=sys.stderr)
        return 2
    print(f"{sop.key}: {sop.title}")
    if sop.seed:
        print(f"seed: {sop.seed}")
    total = str(sop.total) if sop.total else "-"
    print(f"total: {total} (nominal: {format_total(sop.nominal_total())})")
    print()
    print(steps_table(sop))
    print()
    print("```mermaid")
    print(mermaid(sop))
    print("```")
    return 0
