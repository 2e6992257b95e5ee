"""One self-contained HTML page for a report: headlines, plots (embedded PNG) and findings.

Every piece of data is escaped and plots are embedded with :mod:`reporting.html`'s helpers
(matplotlib's Agg canvas, never pyplot's global state), so rendering is safe in a server.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fairness.groups import INTERSECTION
from fairness.report import Finding, Report
from reporting.html import caveats_section, page, png_img, settings_section, write_page
from reporting.html import escape as _e

MAX_LINES = 8  # groups per line plot; the largest, plus any with a disparity
COLOURS = {"disparity": "#b2182b", "reference": "#2166ac", "other": "#4d4d4d"}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222;
       line-height: 1.45; padding: 0 1rem; }
h1 { margin-bottom: 0.2rem; } .meta { color: #555; }
li { margin: 0.3rem 0; } img { max-width: 100%; border: 1px solid #ddd; margin: 0.5rem 0; }
table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.4rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.v-disparity { color: #b2182b; font-weight: 600; } .v-reference { color: #2166ac; }
.v-insufficient_data { color: #888; } pre { background: #f6f6f6; padding: 0.6rem; }
.caveat { color: #444; } section { margin-top: 2rem; }
"""
TITLES = {
    "nfa_rate": "NFA rate at the same estimated risk",
    "escalation_rate": "Escalation rate at the same estimated risk",
    "calibration_oe": "Observed / estimated outcome rate",
    "fnr": "False negative rate",
    "fpr": "False positive rate",
    "selection_rate": "Selection rate",
    "precision": "Precision",
    "auc": "AUC",
    "label_coverage": "Share with an observed outcome",
    "surface_share": "Share of estimate from surface features",
}


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    # Fixed margins rather than a layout engine: the engine draws every figure twice.
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(
        left=0.6 / width + 0.05, right=0.97, bottom=0.55 / height, top=1 - 0.45 / height, wspace=0.5
    )
    return figure


def _points(ax: Any, findings: Sequence[Finding]) -> None:
    """Each finding's value with its CI at y = its position, one call per colour."""
    for verdict in ("other", "reference", "disparity"):
        ys, xs, low, high = [], [], [], []
        for y, f in enumerate(findings):
            kind = f.verdict if f.verdict in ("reference", "disparity") else "other"
            if kind != verdict or not math.isfinite(f.value):
                continue
            lo, hi = (v if math.isfinite(v) else f.value for v in f.ci)
            ys.append(y)
            xs.append(f.value)
            low.append(max(f.value - lo, 0.0))
            high.append(max(hi - f.value, 0.0))
        if ys:
            ax.errorbar(
                xs,
                ys,
                xerr=[low, high],
                fmt="o",
                color=COLOURS[verdict],
                capsize=3,
                markersize=4,
                linestyle="none",
            )


def _rates_plot(findings: Sequence[Finding], metrics: Sequence[str], attribute: str) -> str:
    """Each group's value with its CI, one panel per metric; the reference in blue."""
    panels = [(m, [f for f in findings if f.metric == m]) for m in metrics]
    panels = [(m, p) for m, p in panels if p]
    if not panels:
        return ""
    rows = max(len(p) for _, p in panels)
    figure = _figure(3.6 * len(panels), 1.0 + 0.24 * rows)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (metric, items) in zip(axes, panels, strict=True):
        _points(ax, items)
        ax.set_yticks(range(len(items)), [f.group for f in items], fontsize=8)
        ax.set_ylim(len(items) - 0.5, -0.5)
        ax.set_title(TITLES.get(metric, metric), fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    figure.suptitle(f"{attribute}: blue = reference, red = disparity; bars are 95% CIs", fontsize=9)
    return png_img(figure, f"{attribute}: {', '.join(m for m, _ in panels)} by group with CIs")


def _chosen(
    groups: dict[str, Any], sizes: dict[str, int], flagged: set[str], ref: str
) -> list[str]:
    order = sorted(groups, key=lambda g: -sizes.get(g, 0))
    keep = [g for g in order if g in flagged or g == ref]
    keep += [g for g in order if g not in keep][: max(MAX_LINES - len(keep), 0)]
    return [g for g in order if g in keep]


def _legend(ax: Any, *, ncols: int) -> None:
    if ax.get_legend_handles_labels()[0]:  # an empty legend would warn
        ax.legend(fontsize=7, ncols=ncols)


def _by_band_plot(attribute: str, table: dict[str, Any], ref: str, flagged: set[str]) -> str:
    if not table:
        return ""
    sizes = {g: sum(v["n"]) for g, v in table.items()}
    figure = _figure(6.5, 3.6)
    ax = figure.subplots()
    for group in _chosen(table, sizes, flagged, ref):
        rates = table[group]["nfa_rate"]
        bands = [
            i + 1
            for i, (r, n) in enumerate(zip(rates, table[group]["n"], strict=True))
            if r is not None and math.isfinite(r) and n >= 10
        ]
        values = [rates[b - 1] for b in bands]
        style = "-" if group == ref else "--" if group in flagged else ":"
        ax.plot(bands, values, style, marker="o", markersize=3, label=group)
    ax.set_xlabel("risk band (1 = lowest estimated risk)")
    ax.set_ylabel("NFA rate")
    ax.set_title(f"NFA rate by risk band: {attribute}", fontsize=10)
    _legend(ax, ncols=2)
    ax.grid(alpha=0.3)
    return png_img(figure, f"NFA rate by risk band for each {attribute} group")


def _calibration_plot(attribute: str, table: dict[str, Any], ref: str, flagged: set[str]) -> str:
    if not table:
        return ""
    sizes = {g: sum(v["n"]) for g, v in table.items()}
    figure = _figure(4.6, 4.2)
    ax = figure.subplots()
    ax.plot([0, 1], [0, 1], color="#bbb", linewidth=1)
    for group in _chosen(table, sizes, flagged, ref):
        item = table[group]
        points = [
            (m, o)
            for m, o, n in zip(
                item["mean_probability"], item["observed_rate"], item["n"], strict=True
            )
            if n >= 10 and m is not None and o is not None
        ]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", markersize=3, label=group)
    ax.set_xlabel("mean estimate")
    ax.set_ylabel("observed outcome rate (rows with an outcome)")
    ax.set_title(f"Calibration by {attribute} (selective labels: see caveats)", fontsize=9)
    _legend(ax, ncols=1)
    ax.grid(alpha=0.3)
    return png_img(figure, f"Calibration by {attribute} group: observed against estimated risk")


def _workload_plot(findings: Sequence[Finding]) -> str:
    if not findings:
        return ""
    figure = _figure(5.5, 0.9 + 0.35 * len(findings))
    ax = figure.subplots()
    _points(ax, findings)
    ax.axvline(1.0, color="#999", linewidth=1)
    ax.set_yticks(range(len(findings)), [f.group for f in findings])
    ax.set_ylim(len(findings) - 0.5, -0.5)
    step = findings[0].details.get("volume_step", 1.25)
    ax.set_xlabel(f"odds ratio of NFA at the same risk, month {step - 1:.0%} busier than usual")
    ax.set_title("Workload: NFA and monthly volume by team", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return png_img(figure, "Odds ratio of NFA in busier months, by team, with CIs")


def _number(value: float, metric: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if metric.endswith("rate") or metric in (
        "fnr",
        "fpr",
        "precision",
        "label_coverage",
        "surface_share",
    ):
        return f"{value:.1%}"
    return f"{value:.3g}"


def _interval(ci: Sequence[float], metric: str) -> str:
    lo, hi = ci
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return ""
    return f" ({_number(lo, metric)}–{_number(hi, metric)})"


def _table(findings: Sequence[Finding]) -> str:
    head = (
        "<tr><th>audit</th><th>attribute</th><th>group</th><th>reference</th><th>metric</th>"
        "<th>n</th><th>value (95% CI)</th><th>reference value</th><th>ratio (95% CI)</th>"
        "<th>adjusted p</th><th>verdict</th></tr>"
    )
    rows = []
    for f in findings:
        ratio = "–" if not math.isfinite(f.ratio) else f"{f.ratio:.2f}"
        ratio_ci = "" if f.verdict == "reference" else _interval(f.ratio_ci, "ratio")
        p = "–" if not math.isfinite(f.p_adjusted) else f"{f.p_adjusted:.2g}"
        rows.append(
            "<tr>"
            f"<td>{_e(f.audit)}</td><td>{_e(f.attribute)}</td><td>{_e(f.group)}</td>"
            f"<td>{_e(f.reference)}</td><td>{_e(f.metric)}</td><td class='num'>{f.n}</td>"
            f"<td class='num'>{_e(_number(f.value, f.metric) + _interval(f.ci, f.metric))}</td>"
            f"<td class='num'>{_e(_number(f.reference_value, f.metric))}</td>"
            f"<td class='num'>{_e(ratio + ratio_ci)}</td><td class='num'>{_e(p)}</td>"
            f"<td class='v-{_e(f.verdict)}'>{_e(f.verdict.replace('_', ' '))}</td>"
            "</tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _timing_table(findings: Sequence[Finding]) -> str:
    """Working days to decision by group at the same bands as its reference, with intervals."""
    head = (
        "<p>Working days from receipt to decision, each group against its reference at the same "
        "risk bands (weighted by the group's band mix).</p><table><tr><th>attribute</th>"
        "<th>group</th><th>reference</th><th>n</th><th>median</th><th>reference median</th>"
        "<th>difference (95% CI)</th><th>90th percentile</th><th>reference 90th</th>"
        "<th>adjusted p</th><th>verdict</th></tr>"
    )
    rows = []
    for f in findings:
        if f.verdict == "reference":
            continue
        lo, hi = f.details.get("difference_ci", (math.nan, math.nan))
        ci = f" ({lo:+.1f} to {hi:+.1f})" if math.isfinite(lo) and math.isfinite(hi) else ""
        p = "–" if not math.isfinite(f.p_adjusted) else f"{f.p_adjusted:.2g}"
        verdict = f.verdict.replace("_", " ")
        if f.verdict == "disparity":
            verdict += f" ({f.details.get('direction', '')})"
        rows.append(
            "<tr>"
            f"<td>{_e(f.attribute)}</td><td>{_e(f.group)}</td><td>{_e(f.reference)}</td>"
            f"<td class='num'>{f.n}</td><td class='num'>{f.value:.1f}</td>"
            f"<td class='num'>{f.reference_value:.1f}</td>"
            f"<td class='num'>{f.difference:+.1f}{_e(ci)}</td>"
            f"<td class='num'>{f.details.get('p90', math.nan):.1f}</td>"
            f"<td class='num'>{f.details.get('reference_p90', math.nan):.1f}</td>"
            f"<td class='num'>{_e(p)}</td><td class='v-{_e(f.verdict)}'>{_e(verdict)}</td></tr>"
        )
    return f"{head}{''.join(rows)}</table>"


def _attribute_sections(report: Report) -> list[str]:
    parts = []
    singles = list(
        dict.fromkeys(
            f.attribute
            for f in report.findings
            if INTERSECTION not in f.attribute and f.audit in ("decisions", "model", "generic")
        )
    )
    nfa_tables = report.tables.get("nfa_by_band", {})
    calibration_tables = report.tables.get("calibration", {})
    for attribute in singles:
        mine = [f for f in report.findings if f.attribute == attribute]
        ref = next((f.group for f in mine if f.verdict == "reference"), "")
        flagged = {f.group for f in mine if f.verdict == "disparity" and f.metric == "nfa_rate"}
        miscalibrated = {
            f.group for f in mine if f.verdict == "disparity" and f.metric == "calibration_oe"
        }
        blocks = [f"<h3>{_e(attribute)}</h3>"]
        if report.mode == "generic":
            blocks.append(
                _rates_plot(mine, ["selection_rate", "precision", "fpr", "fnr"], attribute)
            )
        else:
            decisions = [f for f in mine if f.audit == "decisions"]
            blocks.append(_rates_plot(decisions, ["nfa_rate", "escalation_rate"], attribute))
            blocks.append(_by_band_plot(attribute, nfa_tables.get(attribute, {}), ref, flagged))
            model = [f for f in mine if f.audit == "model"]
            blocks.append(_rates_plot(model, ["calibration_oe", "fnr", "fpr"], attribute))
            blocks.append(
                _calibration_plot(
                    attribute, calibration_tables.get(attribute, {}), ref, miscalibrated
                )
            )
        parts.append("\n".join(b for b in blocks if b))
    return parts


def render_html(report: Report, *, title: str = "Fairness audit") -> str:
    """Return the report as one self-contained HTML page (plots embedded as base64 PNG)."""
    headlines = "".join(f"<li>{_e(h)}</li>" for h in report.headlines)
    adjustment = report.adjustment
    meta = (
        f"Created {_e(report.created)} · {report.rows:,} rows · mode {_e(report.mode)} · "
        f"p-values adjusted by {_e(adjustment.get('description', ''))} over "
        f"{_e(adjustment.get('comparisons', ''))} comparisons; a disparity needs adjusted p < "
        f"{_e(adjustment.get('alpha', ''))} and a ratio outside "
        f"{_e(report.settings.get('ratio_band', ''))}."
    )
    workload = [f for f in report.findings if f.audit == "workload"]
    shown = [
        f for f in report.findings if INTERSECTION not in f.attribute or f.verdict == "disparity"
    ]
    shown.sort(key=lambda f: (f.verdict != "disparity", f.audit, f.attribute, f.metric))
    sections = [
        f"<h1>{_e(title)}</h1><p class='meta'>{meta}</p>",
        f"<section><h2>What this report says</h2><ul>{headlines}</ul></section>",
        caveats_section(report.caveats),
        "<section><h2>By attribute</h2>" + "\n".join(_attribute_sections(report)) + "</section>",
    ]
    if workload:
        sections.append(f"<section><h2>Workload</h2>{_workload_plot(workload)}</section>")
    timing = [f for f in report.findings if f.metric == "days_to_decision"]
    if timing:
        sections.append(f"<section><h2>Time to decision</h2>{_timing_table(timing)}</section>")
    sections.append(
        "<section><h2>Findings</h2><p>Disparities first; intersections appear only when they "
        f"show a disparity.</p>{_table(shown)}</section>"
    )
    sections.append(settings_section(report.settings))
    return page(title, STYLE, "\n".join(sections))


def write_html(report: Report, path: str | Path, *, title: str = "Fairness audit") -> Path:
    """Write :func:`render_html` output to ``path`` and return the path."""
    return write_page(render_html(report, title=title), path)
