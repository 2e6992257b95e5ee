"""Every benchmark of the service in one run, side by side, so the figures read as ratios.

    .venv/bin/python -m benchmarks.bench [--quick] [--duration S] [--workers N]
        [--database-url URL] [--out DIR]          (or: make bench BENCH_ARGS="...")

With ``--database-url`` (e.g. ``postgresql+psycopg://...``) the HTTP stages (4 and 5) run twice,
on SQLite in ``--home`` and then on that database, and the summary sets the two side by side
with that database's targets: p99 < 50 ms at the steady rate, and at 32 connections at least
SQLite's requests/s (issue 12).

Stages, in order (about 3 minutes on 2 cores, one more the first time, plus the reports job:
minutes over 100,000 contacts; ``--quick``: a few):

1. setup: a champion in ``--home`` (``triage quickstart`` on a small extract, once; reused), a
   duty worker's token;
2. in-process: assess + explain one contact as the service does (JSON body to assessment),
   against the bare model's probability for the same contact (``TriageModel.probability`` on
   its one-row matrix: the model's predict_proba); assess + explain a generated batch;
3. data: the fairness audit of 1M decisions and validating 1M contact rows;
3b. reports: a store of 100,000 contacts (inserted in bulk the first time), `triage reports
   record`, then the stored fairness and monitoring reports read 200 times each
   (``benchmarks/reports_stage.py``);
4. HTTP at 32 connections with wrk: ``GET /health``, then ``POST /v1/contacts/score`` with a
   new contact each request, then ``POST /v1/contacts/{id}/decision`` on contacts scored first;
4b. HTTP one at a time: ``POST /v1/contacts/score`` with a 10-sentence narrative (the narrative
   check runs in the request), then without (``benchmarks/narrative_speed.py``);
5. HTTP at a steady 200 requests/s (``benchmarks/paced.py``): scoring, then decisions.

One ``triage serve`` runs for stages 3b-5, its log in ``OUT/server.log``. Writes
``OUT/results.json`` and ``OUT/results.md`` and prints the Markdown. Exits 1 when a stage could
not run (a missed target is a figure, not a failure of the harness).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from benchmarks import narrative_speed
from benchmarks.bodies import (
    DECISION_BODIES,
    body_line,
    compact,
    contact_bodies,
    without_narrative,
    write_lines,
)
from benchmarks.features_stage import features_stage
from benchmarks.judging import failures, judge, parse_wrk
from benchmarks.plan import QUICK, ROOT, SERVED_STAGES, STAGES, TARGETS, WRK_DIR, Plan
from benchmarks.report import describe_database, machine_facts, render_markdown, wrk_version
from benchmarks.reports_stage import measure_reports, seed_store
from benchmarks.server import free_port, server_env, serving_process, setup_home
from benchmarks.stages import (
    Progress,
    attempt,
    data_stage,
    expected_seconds,
    http_stage,
    in_process,
    paced_stage,
    prescore,
)

# The harness's parts, as `bench.X` (tests/test_bench_harness.py and other scripts use them).
__all__ = [
    "DECISION_BODIES",
    "QUICK",
    "TARGETS",
    "WRK_DIR",
    "Plan",
    "body_line",
    "contact_bodies",
    "failures",
    "free_port",
    "judge",
    "main",
    "parse_wrk",
    "render_markdown",
    "run",
    "write_lines",
]


def run(plan: Plan, *, home: Path, out: Path, stages: tuple[str, ...]) -> dict[str, Any]:
    """Run the stages; every figure, target and error in one JSON-ready dict."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {"plan": asdict(plan), "stages": list(stages), "errors": {}}
    results["plan"]["database_url"] = describe_database(plan.database_url)
    results["machine"] = machine_facts(plan)
    env = server_env(home, plan)
    setup_log = out / "setup.log"
    setup_log.write_text("")
    counts = {"inprocess": 1, "data": 2, "features": 3, "reports": 2, "http": 3, "paced": 2}
    served = bool({"http", "paced", "reports"} & set(stages))
    progress = Progress(1 + 2 * served + sum(counts[s] for s in stages))
    print(
        f"bench: about {expected_seconds(plan, stages) / 60:.1f} min; home {home}; out {out}",
        flush=True,
    )
    with progress.stage(f"setup: a champion in {home} (a minute more the first time)", 10):
        token = attempt(results, "setup", lambda: setup_home(home, env, plan, setup_log))
    if token is not None:
        if "inprocess" in stages:
            with progress.stage(
                f"in-process: {plan.reps:,} single assessments, {plan.batch_rows:,} in a batch",
                expected_seconds(plan, ("inprocess",)) - 10,
            ):
                figures = attempt(results, "in_process", lambda: in_process(home, plan))
            if figures is not None:
                results["in_process"] = figures
                results["machine"]["model"] = "{family} v{version}".format(**figures["model"])
        if "data" in stages:
            results["data"] = data_stage(plan, progress, results)
        if "features" in stages:
            results["features"] = features_stage(plan, progress, results)
        if "reports" in stages:
            with progress.stage(
                f"a store of {plan.report_contacts:,} contacts for the stored reports "
                "(inserted in bulk the first time)",
                plan.report_contacts / 2_000,
            ):
                seeded = attempt(results, "reports", lambda: seed_store(home, plan))
            if seeded is not None:
                results["reports"] = {"seeded": seeded}
        if served:
            attempt(
                results,
                "server",
                lambda: serve_and_load(plan, env, token, out, stages, progress, results),
            )
    results["targets"] = judge(results)
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def serve_and_load(
    plan: Plan,
    env: dict[str, str],
    token: str,
    out: Path,
    stages: tuple[str, ...],
    progress: Progress,
    results: dict[str, Any],
) -> None:
    """Start the server, score contacts for the decisions, run the HTTP stages, stop it."""
    run_id = f"b{int(time.time()):x}"
    bodies = contact_bodies(max(500, min(plan.prescore, 2_000)), seed=int(time.time()) % 10_000)
    ids = [f"{run_id}-d-{i}" for i in range(plan.prescore)]
    files = {
        "contacts": write_lines(out / "wrk" / "contacts.jsonl", [body_line(b) for b in bodies]),
        "plain": write_lines(
            out / "wrk" / "contacts-plain.jsonl", [body_line(without_narrative(b)) for b in bodies]
        ),
        "ids": write_lines(out / "wrk" / "ids.txt", ids),
        "decisions": write_lines(
            out / "wrk" / "decisions.jsonl", [compact(d).decode() for d in DECISION_BODIES]
        ),
    }
    with ExitStack() as stack:
        with progress.stage(
            f"start `triage serve --workers {plan.workers}`, score {plan.prescore:,} contacts",
            15 + plan.prescore / 200,
        ):
            base, pid = stack.enter_context(serving_process(env, plan, out / "server.log"))
            prescore(base, token, ids, bodies)
        if "reports" in results:
            with progress.stage(
                "`triage reports record`, then each stored report read "
                f"{plan.report_requests:,} times",
                plan.report_contacts / 5_000 + 5,
            ):
                figures = attempt(
                    results,
                    "reports",
                    lambda: measure_reports(base, env, plan, out / "setup.log"),
                )
            if figures is not None:
                results["reports"].update(figures)
        if "http" in stages:
            if wrk_version() is None:
                results["errors"]["http"] = (
                    "wrk is not installed: `apt-get install -y wrk` (Debian), then run again"
                )
                print(f"      SKIPPED: {results['errors']['http']}", flush=True)
            else:
                figures = {}
                results["http"] = figures
                attempt(
                    results,
                    "http",
                    lambda: http_stage(
                        base,
                        token,
                        files,
                        run_id,
                        plan,
                        progress,
                        figures,
                        pid,
                    ),
                )
        with progress.stage(
            f"score {plan.narrative_runs} contacts with a 10-sentence narrative, then without",
            plan.narrative_runs / 5,
        ):
            found = attempt(
                results,
                "narrative_http",
                lambda: narrative_speed.measure_http(
                    base, token, runs=plan.narrative_runs, run_id=run_id
                ),
            )
            if found is not None:
                results["narrative_http"] = found
        if "paced" in stages:
            figures = {}
            results["paced"] = figures
            # New contacts without narratives, as the wrk stage sends: half the generated
            # contacts carry one, and at 200/s their sentence model alone (about 20 ms of CPU
            # each, measured on its own by benchmarks/narrative_speed.py) would need both cores.
            plain = [without_narrative(b) for b in bodies]
            attempt(
                results,
                "paced",
                lambda: paced_stage(base, token, plain, ids, run_id, plan, progress, figures, pid),
            )


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run, write OUT/results.{json,md}, print the Markdown."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--quick", action="store_true", help="a fast smoke run (about a minute)")
    parser.add_argument("--duration", type=float, help="seconds of each wrk run (default 15)")
    parser.add_argument("--paced-seconds", type=float, help="seconds of each paced run (20)")
    parser.add_argument("--rate", type=float, help="requests/s of the paced runs (200)")
    parser.add_argument("--workers", type=int, default=1, help="`triage serve --workers`")
    parser.add_argument(
        "--database-url",
        help="a second database (e.g. postgresql+psycopg://...): the HTTP stages run on SQLite "
        "in --home and then on it, reported side by side",
    )
    parser.add_argument("--home", type=Path, default=ROOT / "var" / "bench-home")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--skip", nargs="+", choices=STAGES, default=[], help="stages to leave out")
    args = parser.parse_args(argv)
    plan = replace(QUICK if args.quick else Plan(), workers=args.workers)
    if args.duration:
        plan = replace(plan, duration=args.duration)
    if args.paced_seconds:
        plan = replace(plan, paced_seconds=args.paced_seconds)
    if args.rate:
        plan = replace(plan, rate=args.rate)
    stages = tuple(s for s in STAGES if s not in args.skip)
    results = run(plan, home=args.home.resolve(), out=args.out, stages=stages)
    served = tuple(s for s in stages if s in SERVED_STAGES)
    if args.database_url and served:
        other = replace(plan, database_url=args.database_url)
        print(f"\nThe HTTP stages again, on {describe_database(args.database_url)}", flush=True)
        second = run(
            other, home=args.home.resolve(), out=args.out / "second-database", stages=served
        )
        results["second_database"] = second
        results["errors"].update({f"second database: {k}": v for k, v in second["errors"].items()})
    markdown = render_markdown(results)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown)
    print()
    print(markdown)
    print(f"wrote {args.out / 'results.json'} and {args.out / 'results.md'}")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
