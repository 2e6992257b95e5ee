"""The run's summary: what it ran on, and one Markdown table of figures and verdicts."""

from __future__ import annotations

import math
import os
import platform
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.judging import failures
from benchmarks.plan import ROOT, STAGES, Plan


def _n(value: float | None, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def figure_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The Markdown table's rows: figure, measured, target, measured / target, verdict."""
    plan = results["plan"]
    rows: list[tuple[str, str, str, str, str]] = []
    inproc = results.get("in_process", {})
    for key, label in (
        ("assess_one", "assess + explain one contact, as the service does"),
        ("bare_probability", "the bare model's probability, same contact (one-row matrix)"),
    ):
        if key in inproc:
            ms = inproc[key]["latency_ms"]
            rows.append((label, f"p50 {ms['p50']:.4f} ms, p99 {ms['p99']:.4f} ms", "", "", ""))
    if "assess_vs_bare_p50" in inproc:
        rows.append(
            ("assess ÷ bare model, p50", f"{inproc['assess_vs_bare_p50']:,.0f} ×", "", "", "")
        )
    http = results.get("http", {})
    for name, label in (
        ("health", "GET /health"),
        ("score", "POST /v1/contacts/score, new contacts"),
        ("decision", "POST /v1/contacts/{id}/decision"),
    ):
        if name in http:
            f = http[name]
            rows.append(
                (
                    f"{label} at {plan['connections']} connections",
                    f"{f['ok_per_second']:,.0f} req/s; p50 {f['latency_ms']['p50']:,.1f} ms, "
                    f"p99 {f['latency_ms']['p99']:,.1f} ms{_cpu_note(f)}{_failed_note(f)}",
                    "",
                    "",
                    "",
                )
            )
    for name in ("score", "decision"):
        if name in results.get("paced", {}):
            f = results["paced"][name]
            ms = f["latency_ms"]
            rows.append(
                (
                    f"{name} at {f['offered_rate']:g} req/s offered",
                    f"p50 {ms['p50']:,.1f}, p95 {ms['p95']:,.1f}, p99 {ms['p99']:,.1f} ms; "
                    f"{f['achieved_rate']:,.0f} req/s sent (client lag p99 "
                    f"{f['client_lag_ms']['p99']:,.1f} ms){_cpu_note(f)}{_failed_note(f)}",
                    "",
                    "",
                    "",
                )
            )
    rows += narrative_rows(results)
    data = results.get("data", {})
    if "validate" in data:
        v = data["validate"]
        rows.append(
            (
                f"`triage data validate` of {v['rows']:,} rows",
                f"{v['validate_seconds']:,.1f} s ({v['rows_per_second']:,} rows/s)",
                "",
                "",
                "",
            )
        )
    reports = results.get("reports", {})
    if "job_seconds" in reports:
        rows.append(
            (
                f"`triage reports record` (both reports) over {reports['seeded']['contacts']:,} "
                "contacts",
                f"{reports['job_seconds']:,.1f} s",
                "",
                "",
                "",
            )
        )
    for kind in ("fairness", "monitoring"):
        if kind in reports:
            f = reports[kind]
            ms = f["latency_ms"]
            rows.append(
                (
                    f"GET /v1/{kind}/report, stored, {f['contacts']:,} contacts, one at a time",
                    f"p50 {ms['p50']:,.1f}, p95 {ms['p95']:,.1f}, p99 {ms['p99']:,.1f} ms "
                    f"({f['requests']:,} requests, {f['bytes']:,} bytes)",
                    "",
                    "",
                    "",
                )
            )
    for t in results["targets"]:
        digits = 0 if t["unit"] in ("contacts/s",) else 2
        note = f" ({t['failed']:,} failed requests)" if t["failed"] else ""
        figure = t["figure"]
        if t["key"] == "batch_per_second" and "batch" in inproc:
            figure = f"batch assess + explain of {inproc['batch']['rows']:,} contacts"
        if t["key"] == "fairness_seconds" and "fairness" in data:
            figure = f"fairness audit of {data['fairness']['rows']:,} decisions"
        rows.append(
            (
                figure,
                f"{_n(t['measured'], digits)} {t['unit']}{note}",
                f"{t['op'].replace('>=', '≥')} {t['limit']:,g} {t['unit']}",
                _n(t["ratio"], 2),
                f"**{t['verdict']}**" if t["verdict"] != "pass" else t["verdict"],
            )
        )
    return rows


def narrative_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """The narrative check's figures: in process (wall and CPU), and scoring over HTTP."""
    rows: list[tuple[str, str, str, str, str]] = []
    found = results.get("features", {}).get("narrative")
    if found and "wall_p95_ms" in found:
        rows.append(
            (
                f"narrative check of {found['sentences']} sentences in process, "
                f"{found['runs']} runs, {found.get('threads', 1)} thread(s)",
                f"wall p50 {found['wall_p50_ms']:,.1f}, p95 {found['wall_p95_ms']:,.1f} ms; "
                f"CPU p50 {found['cpu_p50_ms']:,.1f}, p95 {found['cpu_p95_ms']:,.1f} ms; "
                f"+{found['rss_added_mib']:,.0f} MiB RSS; "
                f"load {found.get('load_average_1m', '?')}, loaded in {found['load_s']:,.1f} s",
                "",
                "",
                "",
            )
        )
    http = results.get("narrative_http")
    for name, label in (("with_narrative", "with"), ("without_narrative", "without")):
        if http and name in http:
            f = http[name]
            rows.append(
                (
                    f"POST /v1/contacts/score one at a time, {label} a {http['sentences']}-"
                    f"sentence narrative ({http['runs']} requests)",
                    f"p50 {f['p50_ms']:,.1f} ms, p95 {f['p95_ms']:,.1f} ms"
                    + ("" if f["check_available"] else " (narrative check unavailable)"),
                    "",
                    "",
                    "",
                )
            )
    return rows


def _cpu_note(figures: dict[str, Any]) -> str:
    """The server's own CPU time per request (all its workers), when it was measured."""
    cpu = figures.get("server_cpu_ms_per_request")
    return "" if cpu is None else f"; server CPU {cpu:.2f} ms/request"


def _failed_note(figures: dict[str, Any]) -> str:
    failed = failures(figures)
    return f" — **{failed:,} requests failed** {figures.get('statuses', {})}" if failed else ""


def render_markdown(results: dict[str, Any]) -> str:
    """The summary: machine facts, one table of figures, and any stage that did not run."""
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"{m['date']}, commit {m['git_commit']}{' + uncommitted changes' * m['git_dirty']}; "
        f"{m['cpus']} CPUs ({m['cpu_model']}), load {m['load_average']}; Python {m['python']}; "
        f"{m['wrk'] or 'no wrk'}; server: {results['plan']['workers']} worker(s), "
        f"{m['database']}; model {m.get('model', '–')}; took {results.get('seconds', 0):,.0f} s.",
        "",
        "| figure | measured | target | measured / target | verdict |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {' | '.join(row)} |" for row in figure_rows(results)),
    ]
    if "second_database" in results:
        lines += ["", *side_by_side(results, results["second_database"])]
    skipped = [s for s in STAGES if s not in results.get("stages", STAGES)]
    if skipped:
        lines += ["", f"Skipped (--skip): {', '.join(skipped)}."]
    if results.get("errors"):
        lines += ["", "Stages that did not run:", ""]
        lines += [f"- {stage}: {message}" for stage, message in results["errors"].items()]
    return "\n".join(lines) + "\n"


def _http_cell(figures: dict[str, Any] | None) -> str:
    if figures is None:
        return "–"
    cell = f"{figures['ok_per_second']:,.0f} req/s, p99 {figures['latency_ms']['p99']:,.1f} ms"
    return cell + _cpu_note(figures) + _failed_note(figures)


def _paced_cell(figures: dict[str, Any] | None) -> str:
    if figures is None:
        return "–"
    ms = figures["latency_ms"]
    cell = f"p50 {ms['p50']:,.1f}, p99 {ms['p99']:,.1f} ms"
    return cell + _cpu_note(figures) + _failed_note(figures)


def side_by_side(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """The HTTP figures of two databases as Markdown, with the second database's targets
    (issue 12): p99 < 50 ms at the steady rate with no failed request, and at 32 connections
    at least the first's requests/s."""
    names = (_short(first["machine"]["database"]), _short(second["machine"]["database"]))
    plan = first["plan"]
    rows: list[tuple[str, str, str, str, str]] = []
    one, two = first.get("http", {}), second.get("http", {})
    for name, label in (
        ("health", "GET /health"),
        ("score", "POST /v1/contacts/score, new contacts"),
        ("decision", "POST /v1/contacts/{id}/decision"),
    ):
        target, verdict = "", ""
        if name != "health":
            target = f"{names[1]} ≥ {names[0]} req/s"
            if name in one and name in two:
                met = two[name]["ok_per_second"] >= one[name]["ok_per_second"]
                verdict = "pass" if met and not failures(two[name]) else "**fail**"
        rows.append(
            (
                f"{label} at {plan['connections']} connections",
                _http_cell(one.get(name)),
                _http_cell(two.get(name)),
                target,
                verdict,
            )
        )
    for name in ("score", "decision"):
        a, b = first.get("paced", {}).get(name), second.get("paced", {}).get(name)
        verdict = ""
        if b is not None:
            met = b["latency_ms"]["p99"] < 50 and not failures(b)
            verdict = "pass" if met else "**fail**"
        rate = (b or a or {}).get("offered_rate", plan.get("rate", 200))
        rows.append(
            (
                f"{name} at {rate:g} req/s offered",
                _paced_cell(a),
                _paced_cell(b),
                f"{names[1]} p99 < 50 ms",
                verdict,
            )
        )
    return [
        f"## {names[0]} beside {names[1]}, {plan['workers']} worker(s) each",
        "",
        f"{names[1]}: {second['machine']['date']}, load {second['machine']['load_average']}.",
        "",
        f"| figure | {names[0]} | {names[1]} | target | verdict |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {' | '.join(row)} |" for row in rows),
    ]


def _short(database: str) -> str:
    """ "SQLite" or "PostgreSQL" (else the description as it is)."""
    if database.startswith("SQLite"):
        return "SQLite"
    if database.startswith("postgresql"):
        return "PostgreSQL"
    return database


# --- machine facts -------------------------------------------------------------------------------


def _run_text(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (done.stdout or done.stderr).strip()


def wrk_version() -> str | None:
    """``wrk <version>``, or None when wrk is not installed."""
    if shutil.which("wrk") is None:
        return None
    first = _run_text(["wrk", "-v"]).splitlines()
    return first[0].split(" Copyright")[0].strip() if first else "wrk (unknown version)"


def machine_facts(plan: Plan) -> dict[str, Any]:
    """What the figures were measured on."""
    model = ""
    if Path("/proc/cpuinfo").exists():
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu_model": model or platform.processor() or "unknown",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": _run_text(["git", "rev-parse", "--short", "HEAD"]) or "unknown",
        "git_dirty": bool(_run_text(["git", "status", "--porcelain", "--untracked-files=no"])),
        "wrk": wrk_version(),
        "database": describe_database(plan.database_url),
    }


def describe_database(url: str | None) -> str:
    """The database, password hidden."""
    if url is None:
        return "SQLite (default, under the bench home)"
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
