"""The timeliness report as one self-contained HTML page (every value escaped)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222;
       line-height: 1.45; padding: 0 1rem; }
.meta, .caveat { color: #555; } section { margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.85rem; width: 100%; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.4rem; text-align: left;
         vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.v-later_when_busier { color: #b2182b; font-weight: 600; } .v-insufficient_data { color: #888; }
"""
KIND_TITLES = {"decisions": "Decisions", "assessments": "Assessments"}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _share(block: dict[str, Any]) -> str:
    share, (low, high) = block["in_time_share"], block["in_time_ci"]
    if share is None:
        return "–"
    bounds = f" ({low:.0%}–{high:.0%})" if low is not None and high is not None else ""
    return f"{share:.0%}{bounds} of {block['recorded']:,}"


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def _reasons(block: dict[str, Any], labels: dict[str, str]) -> str:
    parts = [f"{_e(labels.get(code, code))}: {count:,}" for code, count in block["late_reasons"]
             .items()]  # fmt: skip
    if block["late_without_reasons"]:
        parts.append(f"no reason given: {block['late_without_reasons']:,}")
    return "; ".join(parts) or "–"


def _row(label: str, block: dict[str, Any], labels: dict[str, str]) -> str:
    return (
        f"<tr><td>{_e(label)}</td><td class='num'>{_e(_share(block))}</td>"
        f"<td class='num'>{_e(_days(block['median_working_days']))}</td>"
        f"<td class='num'>{_e(_days(block['p90_working_days']))}</td>"
        f"<td class='num'>{block['late']:,}</td><td class='num'>{block['overdue_now']:,}</td>"
        f"<td>{_reasons(block, labels)}</td></tr>"
    )


HEADER = (
    "<tr><th>{first}</th><th>In time (95% CI)</th><th>Median working days</th>"
    "<th>90th percentile</th><th>Late</th><th>Overdue now</th><th>Why late</th></tr>"
)


def _table(kind: str, rows: list[tuple[str, dict[str, Any]]], labels: dict[str, str]) -> str:
    body = "".join(_row(label, block, labels) for label, block in rows)
    return f"<h3>{_e(KIND_TITLES[kind])}</h3><table>{HEADER.format(first='')}{body}</table>"


def render_html(report: dict[str, Any]) -> str:
    """The report as an HTML page: overall, each team by month, and volume effects."""
    labels = report["reason_labels"]
    rules = report["rules"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Timeliness as at {_e(report['as_at'])}</title><style>{STYLE}</style></head><body>",
        "<h1>Timeliness of decisions and assessments</h1>",
        f"<p class='meta'>As at {_e(report['as_at'])}. Decisions due "
        f"{_e(rules['decision_due_working_days'])} working day(s) after receipt, assessments "
        f"{_e(rules['assessment_due_working_days'])}; working days are "
        f"{_e(rules['working_days'])}. Every late record's reasons are counted beside the share "
        "in time.</p>",
        "<section><h2>All teams</h2>",
    ]
    for kind, block in report["overall"].items():
        parts.append(_table(kind, [("All months", block)], labels))
    parts.append("</section>")
    for team in report["teams"]:
        parts.append(f"<section><h2>Team {_e(team['team_id'])}</h2>")
        for kind in report["overall"]:
            rows = [("All months", team["overall"][kind])]
            rows += [(m["month"], m[kind]) for m in team["months"]]
            parts.append(_table(kind, rows, labels))
        if report.get("with_notes") and team.get("late_notes"):
            notes = "".join(
                f"<tr><td>{_e(n['contact_id'])}</td><td>{_e(n['kind'])}</td>"
                f"<td>{_e(n['due_on'])}</td><td>{_e(n['recorded_on'])}</td>"
                f"<td>{_e(', '.join(n['late_reasons']))}</td><td>{_e(n['note'])}</td></tr>"
                for n in team["late_notes"]
            )
            parts.append(
                "<h3>Late notes</h3><table><tr><th>Contact</th><th>Kind</th><th>Due</th>"
                f"<th>Recorded</th><th>Reasons</th><th>Note</th></tr>{notes}</table>"
            )
        parts.append("</section>")
    effects = "".join(
        f"<tr><td>{_e(v['team_id'])}</td><td>{_e(v['kind'])}</td><td class='num'>{v['n']:,}</td>"
        f"<td class='num'>{_e(_days(v['odds_ratio']))}</td>"
        f"<td class='num'>{_e(_days(v['ci'][0]))}–{_e(_days(v['ci'][1]))}</td>"
        f"<td class='v-{_e(v['verdict'])}'>{_e(v['verdict'].replace('_', ' '))}</td></tr>"
        for v in report["volume"]
    )
    parts += [
        "<section><h2>Lateness against the team's monthly volume</h2>",
        "<table><tr><th>Team</th><th>Kind</th><th>Records</th><th>Odds ratio of late</th>"
        f"<th>95% CI</th><th>Verdict</th></tr>{effects}</table>",
        f"<p class='caveat'>{_e(report['volume_caveat'])}</p></section></body></html>",
    ]
    return "\n".join(parts)


def write_html(report: dict[str, Any], path: Path) -> None:
    """Write :func:`render_html`'s page, creating parent directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
