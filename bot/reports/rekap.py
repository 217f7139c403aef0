"""The /rekap statistics: a PNG chart per month and per quarter, and a one-line summary."""

from __future__ import annotations

import asyncio
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from babel.dates import format_date
from babel.support import NullTranslations
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.domain.case_plan import CLOSE_REASONS
from bot.domain.i18n_marker import N_
from bot.domain.intake import question
from bot.i18n import Translator
from bot.reports.rekap_standards import StandardsCount, count_standards
from bot.services.context import Services
from bot.store.reports import ReportStore
from bot.store.schema import has_table

__all__ = ["RekapData", "collect_rekap", "draw_rekap", "render_rekap"]

MONTHS = 12
QUARTERS = 4
DPI = 90
_COLORS = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip

Period = tuple[int, int]  # (year, month) or (year, quarter)


def _quarter(year: int, month: int) -> Period:
    return year, (month - 1) // 3 + 1


def _months_back(today: date, n: int) -> list[Period]:
    out: list[Period] = []
    y, m = today.year, today.month
    for _ in range(n):
        out.append((y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def _quarters_back(today: date, n: int) -> list[Period]:
    out: list[Period] = []
    y, q = _quarter(today.year, today.month)
    for _ in range(n):
        out.append((y, q))
        y, q = (y, q - 1) if q > 1 else (y - 1, 4)
    return out[::-1]


@dataclass
class RekapData:
    """Counts per month and per quarter for one office."""

    months: list[Period]
    quarters: list[Period]
    # dimension -> period -> value -> count
    by_month: dict[str, dict[Period, Counter[str]]] = field(default_factory=dict)
    by_quarter: dict[str, dict[Period, Counter[str]]] = field(default_factory=dict)
    # period -> (steps done on time, steps done with a time standard)
    steps_month: dict[Period, tuple[int, int]] = field(default_factory=dict)
    steps_quarter: dict[Period, tuple[int, int]] = field(default_factory=dict)
    cases_month: Counter[Period] = field(default_factory=Counter)
    cases_quarter: Counter[Period] = field(default_factory=Counter)
    victims_month: Counter[Period] = field(default_factory=Counter)
    victims_quarter: Counter[Period] = field(default_factory=Counter)
    has_steps: bool = False
    # the SOP-level time standards of this quarter's procedures
    standards: StandardsCount = field(default_factory=StandardsCount)
    # why this quarter's closed cases were closed (the close decision's reason codes)
    closed: Counter[str] = field(default_factory=Counter)


DIMENSIONS = ("violence", "age", "sex", "channel")
CHILD_GROUPS = frozenset({"0-5", "6-12", "13-17"})


async def collect_rekap(svc: Services, office_id: str, today: date) -> RekapData:
    """Read the office's cases and completed steps of the last 12 months (no personal data)."""
    office = svc.office(office_id)
    months = _months_back(today, MONTHS)
    quarters = _quarters_back(today, QUARTERS)
    first = min(
        date(months[0][0], months[0][1], 1), date(quarters[0][0], quarters[0][1] * 3 - 2, 1)
    )
    since = datetime.combine(first, time(0), tzinfo=office.tz).astimezone(UTC)
    data = RekapData(months, quarters)
    for dim in DIMENSIONS:
        data.by_month[dim] = {p: Counter() for p in months}
        data.by_quarter[dim] = {p: Counter() for p in quarters}
    store = ReportStore()
    async with svc.db.reading() as conn:
        cases = await store.rekap_cases(conn, office_id)
        steps: list[tuple[datetime, datetime]] = []
        data.has_steps = await has_table(conn, "steps")
        if data.has_steps:
            steps = await store.rekap_steps(conn, office_id)
            q_first = date(quarters[-1][0], quarters[-1][1] * 3 - 2, 1)
            q_since = datetime.combine(q_first, time(0), tzinfo=office.tz).astimezone(UTC)
            data.standards = await count_standards(svc, conn, office_id, q_since, svc.clock.now())
            if await has_table(conn, "case_services"):  # the close decision (case plan)
                data.closed = Counter(await store.close_reasons(conn, office_id, q_since))
    seen: set[int] = set()
    for c in cases:  # one row per victim: every count but the cases' is per victim
        received = datetime.fromisoformat(c["received_at"])
        if received < since:
            continue
        local = received.astimezone(office.tz)
        if local.date() > today:
            continue
        month: Period = (local.year, local.month)
        quarter = _quarter(local.year, local.month)
        if c["victim_age_group"] in CHILD_GROUPS:
            age = "child"
        elif c["victim_age_group"] == "unknown":
            age = "child" if c["child_victim"] and c["case_id"] not in seen else "unknown"
        else:
            age = "adult"
        values = {
            "violence": json.loads(c["categories"]) or ["other"],
            "age": [age],
            "sex": [c["victim_sex"]],
            "channel": [c["channel"]],
        }
        for dim, vals in values.items():
            if month in data.by_month[dim]:
                data.by_month[dim][month].update(vals)
            if quarter in data.by_quarter[dim]:
                data.by_quarter[dim][quarter].update(vals)
        data.victims_month[month] += 1
        data.victims_quarter[quarter] += 1
        if c["case_id"] not in seen:  # the case once, however many victims it has
            seen.add(c["case_id"])
            data.cases_month[month] += 1
            data.cases_quarter[quarter] += 1
    for done, due in steps:
        on_time = int(done <= due)
        local = done.astimezone(office.tz)
        for key, bucket in (
            ((local.year, local.month), data.steps_month),
            (_quarter(local.year, local.month), data.steps_quarter),
        ):
            ok, total = bucket.get(key, (0, 0))
            bucket[key] = (ok + on_time, total + 1)
    return data


_DIM_LABELS = {
    "age": {"child": N_("Child"), "adult": N_("Adult"), "unknown": N_("Age unknown")},
}
_DIM_TITLES = {
    "violence": (N_("Type of violence, per month"), N_("Type of violence, per quarter")),
    "age": (N_("Child or adult victim, per month"), N_("Child or adult victim, per quarter")),
    "sex": (N_("Victim's sex, per month"), N_("Victim's sex, per quarter")),
    "channel": (N_("Channel, per month"), N_("Channel, per quarter")),
}
_QUESTION = {"violence": "violence", "sex": "victim_sex", "channel": "channel"}


def _value_label(t: Translator, dim: str, value: str) -> str:
    if dim in _DIM_LABELS:
        return t.translate(_DIM_LABELS[dim].get(value, value))
    if dim == "channel" and value == "telegram":
        return "Telegram"
    for option in question(_QUESTION[dim]).options:
        if option.value == value:
            return t.translate(option.label)
    return value


def _month_label(p: Period, t: Translator) -> str:
    return str(format_date(date(p[0], p[1], 1), "MMM yy", locale=t.language))


def _quarter_label(p: Period, t: Translator) -> str:
    return t.gettext("Q{quarter} {year}", quarter=p[1], year=p[0])


def _stacked(
    ax: Axes,
    t: Translator,
    dim: str,
    periods: list[Period],
    counts: dict[Period, Counter[str]],
    labels: list[str],
    title: str,
) -> None:
    values = sorted({v for c in counts.values() for v in c})
    bottom = [0] * len(periods)
    xs = list(range(len(periods)))
    for i, value in enumerate(values):
        heights = [counts[p][value] for p in periods]
        ax.bar(
            xs,
            heights,
            bottom=bottom,
            label=_value_label(t, dim, value),
            color=_COLORS[i % len(_COLORS)],
        )
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_title(title, fontsize=11)
    ax.set_xticks(xs, labels, fontsize=8, rotation=45 if len(periods) > 6 else 0)
    ax.set_ylabel(t.gettext("Victims"), fontsize=9)
    ax.set_ylim(0, max([*bottom, 1]) * 1.25)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if values:
        ax.legend(fontsize=7, loc="upper left", ncols=min(4, len(values)), frameon=False)
    else:
        ax.text(0.5, 0.5, t.gettext("No cases"), ha="center", va="center", transform=ax.transAxes)


def _on_time(
    ax: Axes,
    t: Translator,
    periods: list[Period],
    counts: dict[Period, tuple[int, int]],
    labels: list[str],
    title: str,
) -> None:
    xs = list(range(len(periods)))
    shares = []
    for p in periods:
        ok, total = counts.get(p, (0, 0))
        shares.append(100.0 * ok / total if total else 0.0)
    ax.bar(xs, shares, color=_COLORS[4])
    for x, p, share in zip(xs, periods, shares, strict=True):
        ok, total = counts.get(p, (0, 0))
        if total:
            ax.text(x, share + 2, f"{share:.0f}%\n{ok}/{total}", ha="center", fontsize=7)
    ax.set_title(title, fontsize=11)
    ax.set_xticks(xs, labels, fontsize=8, rotation=45 if len(periods) > 6 else 0)
    ax.set_ylim(0, 120)
    if not any(counts.get(p, (0, 0))[1] for p in periods):
        ax.text(
            0.5,
            0.5,
            t.gettext("No SOP step finished"),
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    ax.set_ylabel("%", fontsize=9)


def draw_rekap(data: RekapData, office_name: str, t: Translator) -> bytes:
    """The chart as PNG bytes (Agg backend, no pyplot state: safe in a worker thread)."""
    fig = Figure(figsize=(13, 18), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(DIMENSIONS) + 1, 2, width_ratios=(3, 2))
    month_labels = [_month_label(p, t) for p in data.months]
    quarter_labels = [_quarter_label(p, t) for p in data.quarters]
    for row, dim in enumerate(DIMENSIONS):
        monthly, quarterly = _DIM_TITLES[dim]
        _stacked(
            axes[row][0],
            t,
            dim,
            data.months,
            data.by_month[dim],
            month_labels,
            t.translate(monthly),
        )
        _stacked(
            axes[row][1],
            t,
            dim,
            data.quarters,
            data.by_quarter[dim],
            quarter_labels,
            t.translate(quarterly),
        )
    last = len(DIMENSIONS)
    _on_time(
        axes[last][0],
        t,
        data.months,
        data.steps_month,
        month_labels,
        t.gettext("SOP steps done within their time standard, per month"),
    )
    _on_time(
        axes[last][1],
        t,
        data.quarters,
        data.steps_quarter,
        quarter_labels,
        t.gettext("SOP steps done within their time standard, per quarter"),
    )
    fig.suptitle(t.gettext("Case statistics: {office}", office=office_name), fontsize=14)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def summary_line(data: RekapData, office_name: str, t: Translator) -> str:
    """One line: this quarter's cases and victims (children), this month, steps on time."""
    quarter = data.quarters[-1]
    month = data.months[-1]
    children = data.by_quarter["age"][quarter]["child"]
    ok, total = data.steps_quarter.get(quarter, (0, 0))
    text = t.gettext(
        "{office}: {cases} cases with {victims} victims in {quarter} ({children} of them "
        "children), {month_cases} cases in {month}.",
        office=office_name,
        cases=data.cases_quarter[quarter],
        victims=data.victims_quarter[quarter],
        quarter=_quarter_label(quarter, t),
        children=children,
        month_cases=data.cases_month[month],
        month=_month_label(month, t),
    )
    if total:
        text += " " + t.gettext(
            "SOP steps on time: {share}% ({ok} of {total}).",
            share=round(100 * ok / total),
            ok=ok,
            total=total,
        )
    elif data.has_steps:
        text += " " + t.gettext("No SOP step finished this quarter.")
    st = data.standards
    if st.tracked:
        text += " " + t.gettext(
            "SOP time standards: {ok} of {met} met in time, {missed} missed and still open.",
            ok=st.met_in_time, met=st.met, missed=st.missed_open,
        )  # fmt: skip
    if data.closed:
        reasons = ", ".join(
            f"{t.translate(CLOSE_REASONS[r]) if r in CLOSE_REASONS else r or '-'}: {n}"
            for r, n in sorted(data.closed.items(), key=lambda x: (-x[1], x[0]))
        )
        text += " " + t.ngettext(
            "{n} case closed this quarter ({reasons}).",
            "{n} cases closed this quarter ({reasons}).",
            sum(data.closed.values()), reasons=reasons,
        )  # fmt: skip
    return text


async def render_rekap(
    svc: Services, office_id: str, today: date, *, translator: Translator | None = None
) -> tuple[bytes, str]:
    """(PNG bytes, one-line summary) for an office up to ``today`` (its local date)."""
    t = translator or Translator("en", NullTranslations())
    data = await collect_rekap(svc, office_id, today)
    name = svc.office(office_id).name
    png = await asyncio.to_thread(draw_rekap, data, name, t)
    return png, summary_line(data, name, t)
