"""One self-contained HTML page for a monitoring report: alerts, plots (embedded PNG), tables.

Every piece of text is escaped and plots are embedded with :mod:`reporting.html`'s helpers
(matplotlib's Agg canvas, never pyplot's global state), so rendering is safe inside a server.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from monitoring.checks import Check
from monitoring.report import MonitorReport
from reporting.html import caveats_section, page, png_img, settings_section, write_page
from reporting.html import escape as _e

MAX_SERIES = 6  # decision series per plot: the alerting ones first, then the most extreme
MAX_CONCERNS = 8  # concern rows in the drift heatmap, by largest PSI
MAX_TABLE_ROWS = 200
COLOURS = ("#b2182b", "#2166ac", "#1b7837", "#762a83", "#e08214", "#4d4d4d")
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222;
       line-height: 1.45; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .meta { color: #555; }
li { margin: 0.3rem 0; } img { max-width: 100%; border: 1px solid #ddd; margin: 0.5rem 0; }
table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.4rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.alert { color: #b2182b; font-weight: 600; } .none { color: #1b7837; }
.caveat { color: #444; } pre { background: #f6f6f6; padding: 0.6rem; }
section { margin-top: 2rem; }
"""


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(
        left=1.6 / width, right=0.97, bottom=0.7 / height, top=1 - 0.45 / height, wspace=0.35
    )
    return figure


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _month_axis(ax: Any, months: Sequence[str]) -> None:
    step = max(1, len(months) // 12)
    ticks = list(range(0, len(months), step))
    ax.set_xticks(ticks, [months[i] for i in ticks], rotation=45, ha="right", fontsize=7)
    ax.set_xlim(-0.5, len(months) - 0.5)


def _drift_heatmap(report: MonitorReport, months: Sequence[str]) -> str:
    checks = report.select(kind="input_drift")
    if not checks:
        return ""
    peak: dict[str, float] = {}
    for c in checks:
        if math.isfinite(c.strength):
            peak[c.what] = max(peak.get(c.what, 0.0), c.strength)
    concerns = sorted((f for f in peak if f.startswith("concerns:")), key=lambda f: -peak[f])
    fields = [f for f in dict.fromkeys(c.what for c in checks) if not f.startswith("concerns:")]
    fields += concerns[:MAX_CONCERNS]
    grid = np.full((len(fields), len(months)), np.nan)
    alerting = np.zeros(grid.shape, dtype=bool)
    row, col = {f: i for i, f in enumerate(fields)}, {m: j for j, m in enumerate(months)}
    for c in checks:
        if c.what in row and c.status == "tested":
            grid[row[c.what], col[c.month]] = c.strength
            alerting[row[c.what], col[c.month]] = c.alert
    figure = _figure(2.0 + 0.55 * len(months), 1.2 + 0.3 * len(fields))
    ax = figure.subplots()
    high = report.settings["psi_bands"][1]
    image = ax.imshow(np.nan_to_num(grid, nan=0.0), aspect="auto", cmap="Reds", vmin=0, vmax=high)
    for i, j in zip(*np.nonzero(alerting), strict=True):
        ax.text(j, i, "!", ha="center", va="center", fontsize=9, fontweight="bold")
    ax.set_yticks(range(len(fields)), fields, fontsize=7)
    _month_axis(ax, months)
    figure.colorbar(image, ax=ax, label="PSI")
    ax.set_title("Input drift: PSI by field and month (! = alert)", fontsize=9)
    return png_img(figure, "Heatmap of PSI by input field and month; alerts marked")


def _series_plot(
    checks: Sequence[Check], months: Sequence[str], *, title: str, ylabel: str, line: float | None
) -> str:
    if not checks:
        return ""
    figure = _figure(9.5, 3.2)
    figure.subplots_adjust(right=0.66)
    ax = figure.subplots()
    position = {m: j for j, m in enumerate(months)}
    for colour, (label, series) in zip(COLOURS, _by_key(checks).items(), strict=False):
        series = [c for c in series if math.isfinite(c.strength)]
        if not series:
            continue
        x = [position[c.month] for c in series]
        y = [c.strength for c in series]
        low = [max(c.strength - c.ci[0], 0.0) if math.isfinite(c.ci[0]) else 0.0 for c in series]
        high = [max(c.ci[1] - c.strength, 0.0) if math.isfinite(c.ci[1]) else 0.0 for c in series]
        ax.errorbar(
            x, y, yerr=[low, high], fmt="o-", color=colour, capsize=2, markersize=3, label=label
        )
    if line is not None:
        ax.axhline(line, color="#999", linewidth=1, linestyle="--")
    _month_axis(ax, months)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return png_img(figure, title)


def _by_key(checks: Sequence[Check]) -> dict[str, list[Check]]:
    out: dict[str, list[Check]] = {}
    for c in sorted(checks, key=lambda c: c.month):
        out.setdefault(f"{c.what} · {c.where}", []).append(c)
    return out


def _chosen_series(checks: Sequence[Check]) -> list[Check]:
    """The decision series worth plotting: those that alert, then the most extreme ratios."""
    tested = [c for c in checks if c.status == "tested" and math.isfinite(c.strength)]
    score: dict[tuple[str, str, str], tuple[bool, float]] = {}
    for c in tested:
        extreme = abs(math.log(c.strength)) if c.strength > 0 else math.inf
        old = score.get(c.key, (False, 0.0))
        score[c.key] = (old[0] or c.alert, max(old[1], extreme))
    keys = sorted(score, key=lambda k: (not score[k][0], -score[k][1]))[:MAX_SERIES]
    return [c for c in tested if c.key in set(keys)]


def _workload_plot(team_months: Sequence[dict[str, Any]]) -> str:
    points = [
        r
        for r in team_months or []
        if r.get("volume_ratio") is not None and r.get("nfa_observed_expected") is not None
    ]
    if not points:
        return ""
    figure = _figure(6.0, 3.6)
    ax = figure.subplots()
    teams = list(dict.fromkeys(r["team_id"] for r in points))
    for colour, team in zip(COLOURS * 10, teams, strict=False):
        mine = [r for r in points if r["team_id"] == team]
        x = [r["volume_ratio"] for r in mine]
        y = [r["nfa_observed_expected"] for r in mine]
        ax.scatter(x, y, s=14, color=colour, label=str(team))
    ax.axhline(1.0, color="#999", linewidth=1)
    ax.axvline(1.0, color="#999", linewidth=1)
    ax.set_xlabel("month's volume / team's usual monthly volume", fontsize=8)
    ax.set_ylabel("NFA observed / expected at the same risk", fontsize=8)
    ax.set_title("Workload: NFA against volume, one point per team and month", fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    return png_img(figure, "NFA observed over expected against monthly volume, by team")


def _alerts_table(report: MonitorReport) -> str:
    if not report.alerts:
        return "<p class='none'>No alerts.</p>"
    head = (
        "<tr><th>kind</th><th>what</th><th>where</th><th>strength</th><th>since</th>"
        "<th>adjusted p</th><th>message</th></tr>"
    )
    rows = "".join(
        "<tr>"
        f"<td class='alert'>{_e(a.kind)}</td><td>{_e(a.what)}</td><td>{_e(a.where)}</td>"
        f"<td class='num'>{_e(a.measure)} {_e(_num(a.strength))}</td><td>{_e(a.since)}</td>"
        f"<td class='num'>{_e(_num(a.p_adjusted, 2))}</td><td>{_e(a.message)}</td>"
        "</tr>"
        for a in report.alerts
    )
    return f"<table>{head}{rows}</table>"


def _checks_table(checks: Sequence[Check]) -> str:
    shown = sorted((c for c in checks if c.alert), key=lambda c: (c.what, c.where, c.month))
    if not shown:
        return "<p class='none'>No month alerts.</p>"
    head = (
        "<tr><th>month</th><th>what</th><th>where</th><th>n</th><th>strength</th>"
        "<th>95% CI</th><th>adjusted p</th></tr>"
    )
    rows = "".join(
        "<tr>"
        f"<td>{_e(c.month)}</td><td>{_e(c.what)}</td><td>{_e(c.where)}</td>"
        f"<td class='num'>{c.n}</td><td class='num'>{_e(c.measure)} {_e(_num(c.strength))}</td>"
        f"<td class='num'>{_e(_num(c.ci[0]))}–{_e(_num(c.ci[1]))}</td>"
        f"<td class='num'>{_e(_num(c.p_adjusted, 2))}</td>"
        "</tr>"
        for c in shown[:MAX_TABLE_ROWS]
    )
    more = len(shown) - MAX_TABLE_ROWS
    note = f"<p>… and {more} more alerting checks in the JSON.</p>" if more > 0 else ""
    return f"<table>{head}{rows}</table>{note}"


def _flags_table(rows: Sequence[dict[str, Any]] | None) -> str:
    if not rows:
        return "<p>No review flags in the store (or no store given).</p>"
    head = "".join(
        f"<th>{h}</th>"
        for h in ("flag", "raised", "open", "upheld", "overturned", "overturn rate (95% CI)")
    )
    body = "".join(
        f"<tr><td>{_e(r['code'])}</td><td>{r['raised']}</td><td>{r['open']}</td>"
        f"<td>{r['upheld']}</td><td>{r['overturned']}</td>"
        f"<td>{_num(r['overturn_rate'])} ({_num(r['ci'][0])} to {_num(r['ci'][1])})</td></tr>"
        for r in rows
    )
    return f"<h3>Review flags</h3><table><tr>{head}</tr>{body}</table>"


def _section(title: str, intro: str, *blocks: str) -> str:
    body = "\n".join(b for b in blocks if b)
    return f"<section><h2>{_e(title)}</h2><p>{_e(intro)}</p>{body}</section>"


def render_html(report: MonitorReport, *, title: str = "Monitoring report") -> str:
    """Return the report as one self-contained HTML page (plots embedded as base64 PNG)."""
    months = [m["month"] for m in report.months]
    reference = report.reference
    meta = (
        f"Created {report.created} · {report.rows:,} contacts · months "
        f"{months[0] if months else '–'} to {months[-1] if months else '–'} · reference "
        f"{reference.get('name', 'profile')} version {reference.get('version', '–')} · "
        f"{report.adjustment.get('description', '')}"
    )
    decisions = report.select(kind="decision_disparity")
    overall = report.select(kind="performance", where="all contacts")
    bands = report.settings["psi_bands"]
    estimate_plot = _series_plot(
        report.select(kind="estimate_drift"),
        months,
        title="PSI of the estimates by month",
        ylabel="PSI",
        line=bands[0],
    )
    decision_plot = _series_plot(
        _chosen_series(decisions),
        months,
        title="Risk ratios by month (alerting and most extreme series)",
        ylabel="risk ratio",
        line=1.0,
    )
    workload_plot = _series_plot(
        report.select(kind="workload"),
        months,
        title="Odds ratio of NFA in a month 25% busier than usual, by team",
        ylabel="odds ratio",
        line=1.0,
    )
    auc_plot = _series_plot(
        [c for c in overall if c.what == "auc"],
        months,
        title="AUC by cohort month (all contacts)",
        ylabel="AUC",
        line=report.settings["min_auc"],
    )
    oe_plot = _series_plot(
        [c for c in overall if c.what == "calibration_oe"],
        months,
        title="Observed / expected by cohort month (all contacts)",
        ylabel="observed / expected",
        line=1.0,
    )
    sections = [
        f"<h1>{_e(title)}</h1><p class='meta'>{_e(meta)}</p>",
        f"<section><h2>Alerts now</h2>{_alerts_table(report)}</section>",
        _section(
            "Input drift",
            "Each month's mix of the model's inputs against the champion's training population.",
            _drift_heatmap(report, months),
            _checks_table(report.select(kind="input_drift")),
        ),
        _section(
            "Estimate drift",
            "Each month's estimates over the deciles of the training population's estimates.",
            estimate_plot,
            _checks_table(report.select(kind="estimate_drift")),
        ),
        _section(
            "Decision patterns",
            "Decisions of each group against its reference group at the same estimated risk "
            "(Mantel-Haenszel risk ratios by month; 1 = treated alike).",
            decision_plot,
            _checks_table(decisions),
            _flags_table(report.tables.get("flags")),
        ),
        _section(
            "Workload",
            "NFA at the same risk against each team's monthly volume; the odds ratio is for a "
            "month 25% busier than usual, over a trailing window.",
            _workload_plot(report.tables.get("team_months") or []),
            workload_plot,
            _checks_table(report.select(kind="workload")),
        ),
        _section(
            "Performance",
            "AUC and observed / expected outcomes on acted-on contacts, by cohort month, once "
            "outcomes have matured.",
            auc_plot,
            oe_plot,
            _checks_table(report.select(kind="performance")),
        ),
        _section(
            "Break-glass reads",
            "Reads of another team's contact for urgent work, each with a reason kept in the "
            "service (not shown here).",
            _break_glass_table(report.tables.get("break_glass")),
        ),
        caveats_section(report.caveats),
        settings_section(report.settings),
    ]
    return page(title, STYLE, "\n".join(sections))


def _break_glass_table(reads: Sequence[dict[str, Any]] | None) -> str:
    if reads is None:
        return "<p>Not read: the report was not made from the service's store.</p>"
    if not reads:
        return "<p>None.</p>"
    head = "<tr><th>When</th><th>Who</th><th>Contact</th><th>Team</th></tr>"
    rows = "".join(
        f"<tr><td>{_e(r['read_at'])}</td><td>{_e(r['read_by'])}</td>"
        f"<td>{_e(r['contact_id'])}</td><td>{_e(r['team_id'] or '')}</td></tr>"
        for r in reads
    )
    return f"<table>{head}{rows}</table>"


def write_html(
    report: MonitorReport, path: str | Path, *, title: str = "Monitoring report"
) -> Path:
    """Write :func:`render_html` output to ``path`` and return the path."""
    return write_page(render_html(report, title=title), path)
