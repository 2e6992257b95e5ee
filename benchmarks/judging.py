"""Figures from the clients' output and verdicts against the targets (pure functions)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from benchmarks.plan import TARGETS

WRK_MARKER = "BENCH_JSON "
ROUTE_KINDS = ("fairness", "monitoring")  # the stored reports served by the API


def parse_wrk(output: str) -> dict[str, Any]:
    """The figures of one wrk run from the ``BENCH_JSON`` line its script prints."""
    lines = [line for line in output.splitlines() if line.startswith(WRK_MARKER)]
    if not lines:
        raise ValueError(f"wrk printed no {WRK_MARKER.strip()} line:\n{output[-2000:]}")
    raw = json.loads(lines[-1][len(WRK_MARKER) :])
    seconds = raw["duration_us"] / 1e6
    statuses = {str(k): int(v) for k, v in sorted(raw["statuses"].items())}
    ok = sum(n for status, n in statuses.items() if status.startswith("2"))
    errors = raw["errors"]
    socket_errors = sum(errors[k] for k in ("connect", "read", "write", "timeout"))
    return {
        "seconds": round(seconds, 2),
        "requests": raw["requests"],
        "requests_per_second": round(raw["requests"] / seconds, 1),
        "ok_per_second": round(ok / seconds, 1),
        "latency_ms": {k: round(v / 1000, 2) for k, v in raw["latency_us"].items()},
        "statuses": statuses,
        "non_2xx": raw["requests"] - ok,
        "socket_errors": socket_errors,
        "socket_error_kinds": {k: errors[k] for k in ("connect", "read", "write", "timeout")},
    }


def failures(figures: dict[str, Any]) -> int:
    """Requests of an HTTP run that did not get a 2xx answer (either client)."""
    return int(figures.get("non_2xx", 0)) + int(
        figures.get("socket_errors", figures.get("errors", 0))
    )


def measured_values(results: dict[str, Any]) -> dict[str, tuple[float | None, int]]:
    """Each target's measured value (None when its stage did not run) and its failed requests."""
    http, paced = results.get("http", {}), results.get("paced", {})
    inproc, data = results.get("in_process", {}), results.get("data", {})
    features = results.get("features", {})

    def vs_health(name: str) -> tuple[float | None, int]:
        if name not in http or "health" not in http or not http["health"]["ok_per_second"]:
            return None, 0
        ratio = http[name]["ok_per_second"] / http["health"]["ok_per_second"]
        return round(ratio, 3), failures(http[name]) + failures(http["health"])

    def p99(name: str) -> tuple[float | None, int]:
        if name not in paced:
            return None, 0
        return paced[name]["latency_ms"]["p99"], failures(paced[name])

    plan = results.get("plan", {})
    one_sqlite_worker = plan.get("workers") == 1 and str(plan.get("database_url")).startswith(
        "SQLite"
    )
    batch = inproc.get("batch", {}).get("per_second")
    fairness = data.get("fairness", {}).get("audit_seconds")
    reports = results.get("reports", {})
    report_p95 = [reports[k]["latency_ms"]["p95"] for k in ROUTE_KINDS if k in reports]
    return {
        "batch_per_second": (batch, 0),
        "score_vs_health": vs_health("score"),
        "decision_vs_health": vs_health("decision"),
        "score_vs_health_one_sqlite_worker": (
            vs_health("score") if one_sqlite_worker else (None, 0)
        ),
        "paced_score_p99": p99("score"),
        "paced_decision_p99": p99("decision"),
        "fairness_seconds": (fairness, 0),
        "report_p95": (max(report_p95) if len(report_p95) == 2 else None, 0),
        "inbox_p95": (features.get("inbox", {}).get("p95_ms"), 0),
        "cin_import_seconds": (features.get("cin_import", {}).get("import_seconds"), 0),
        "cin_import_peak_mb": (features.get("cin_import", {}).get("import_peak_mb"), 0),
        "narrative_cpu_p50": (features.get("narrative", {}).get("cpu_p50_ms"), 0),
        "narrative_wall_p50": (features.get("narrative", {}).get("wall_p50_ms"), 0),
        "narrative_rss_added": (features.get("narrative", {}).get("rss_added_mib"), 0),
    }


def judge(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target with its measured value, ratio to the limit, and verdict."""
    values = measured_values(results)
    judged = []
    for target in TARGETS:
        value, failed = values[target.key]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            verdict, ratio = "not measured", None
        else:
            ratio = round(value / target.limit, 3)
            met = value >= target.limit if target.op == ">=" else value < target.limit
            verdict = "pass" if met and not failed else "fail"
        judged.append(
            {
                **asdict(target),
                "measured": value,
                "ratio": ratio,
                "failed": failed,
                "verdict": verdict,
            }
        )
    return judged
