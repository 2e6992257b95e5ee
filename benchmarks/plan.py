"""What a bench run measures and its targets: the plan, quick plan, stages and limits."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"
TRIAGE = Path(sys.executable).with_name("triage")
STAGES = ("inprocess", "data", "features", "reports", "http", "paced")
SERVED_STAGES = ("http", "paced")  # the stages run again on a second database (--database-url)
STARTUP_SECONDS = 120


@dataclass(frozen=True)
class Plan:
    """How much of everything to run."""

    reps: int = 2_000  # single-contact assessments timed
    batch_rows: int = 100_000
    data_rows: int = 1_000_000
    train_rows: int = 10_000  # `triage quickstart --rows`, only when no champion exists
    warmup: float = 3.0  # seconds of wrk before each measured run
    duration: float = 15.0  # seconds of each measured wrk run
    connections: int = 32
    threads: int = 2
    prescore: int = 2_000  # contacts scored before the decision runs
    rate: float = 200.0
    paced_seconds: float = 20.0
    paced_connections: int = 16
    report_contacts: int = 100_000  # the store the stored reports are served from
    report_requests: int = 200  # reads of each stored-report route
    inbox_items: int = 10_000  # open items in the team whose inbox is read
    inbox_requests: int = 100
    cin_children: int = 100_000  # children in the census returns imported
    narrative_runs: int = 200  # narrative checks of a 10-sentence narrative
    workers: int = 1
    database_url: str | None = None


QUICK = Plan(
    reps=200,
    batch_rows=10_000,
    data_rows=50_000,
    warmup=1.0,
    duration=3.0,
    prescore=200,
    paced_seconds=3.0,
    report_contacts=5_000,
    report_requests=50,
    inbox_items=1_000,
    inbox_requests=20,
    cin_children=2_000,
    narrative_runs=20,
)


@dataclass(frozen=True)
class Target:
    """A figure with its limit: ``measured op limit`` passes."""

    key: str
    figure: str
    op: Literal[">=", "<"]
    limit: float
    unit: str


TARGETS: tuple[Target, ...] = (
    Target("batch_per_second", "batch assess + explain", ">=", 20_000, "contacts/s"),
    Target("score_vs_health", "score ÷ /health requests/s at 32 connections", ">=", 0.5, "×"),
    Target("decision_vs_health", "decision ÷ /health requests/s at 32 connections", ">=", 0.5, "×"),
    # Issue 12, item 5: the ratio that one worker on SQLite must reach (issue 8's 0.5 is above).
    Target(
        "score_vs_health_one_sqlite_worker",
        "score ÷ /health requests/s at 32 connections, one worker on SQLite",
        ">=",
        0.25,
        "×",
    ),
    Target("paced_score_p99", "score p99 at the steady rate", "<", 50, "ms"),
    Target("paced_decision_p99", "decision p99 at the steady rate", "<", 50, "ms"),
    Target("fairness_seconds", "fairness audit of the decisions", "<", 20, "s"),
    Target("report_p95", "stored fairness and monitoring reports, the slower p95", "<", 100, "ms"),
    Target("inbox_p95", "inbox of one team with many open items, p95", "<", 100, "ms"),
    Target("cin_import_seconds", "census import of the children (wall)", "<", 60, "s"),
    Target("cin_import_peak_mb", "census import peak memory", "<", 1024, "MB"),
    Target("narrative_cpu_p50", "narrative check of 10 sentences, CPU p50", "<", 20, "ms"),
    Target("narrative_wall_p50", "narrative check of 10 sentences, wall p50", "<", 20, "ms"),
    Target("narrative_rss_added", "memory the sentence model adds", "<", 300, "MiB"),
)
