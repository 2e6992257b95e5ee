"""Every benchmark of the service in one run, side by side, so the figures read as ratios.

    .venv/bin/python -m benchmarks.bench [--quick] [--duration S] [--workers N]
        [--database-url URL] [--out DIR]          (or: make bench)

Stages, in order (about 3 minutes on 2 cores, one more the first time; ``--quick``: 1):

1. setup: a champion in ``--home`` (``triage quickstart`` on a small extract, once; reused), a
   duty worker's token;
2. in-process: assess + explain one contact as the service does (JSON body to assessment),
   against the bare model's probability for the same contact (``TriageModel.probability`` on
   its one-row matrix: the model's predict_proba); assess + explain a generated batch;
3. data: the fairness audit of 1M decisions and validating 1M contact rows;
4. HTTP at 32 connections with wrk: ``GET /health``, then ``POST /v1/contacts/score`` with a
   new contact each request, then ``POST /v1/contacts/{id}/decision`` on contacts scored first;
5. HTTP at a steady 200 requests/s (``benchmarks/paced.py``): scoring, then decisions.

One ``triage serve`` runs for stages 4-5, its log in ``OUT/server.log``. Writes
``OUT/results.json`` and ``OUT/results.md`` and prints the Markdown. Exits 1 when a stage could
not run (a missed target is a figure, not a failure of the harness).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from benchmarks.paced import Call, percentiles_ms, run_sync, summarise

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"
TRIAGE = Path(sys.executable).with_name("triage")
WRK_MARKER = "BENCH_JSON "
STAGES = ("inprocess", "data", "http", "paced")
STARTUP_SECONDS = 120
NARRATIVE = "School reports bruising; mother says there were arguments at home."
# Decisions the load cycles through: every kind, some flagged for review, some with a note.
DECISION_BODIES: tuple[dict[str, Any], ...] = (
    {"decision": "nfa", "reasons": ["no_concerns_identified"], "note": "Injury from PE."},
    {"decision": "early_help", "reasons": ["concerns_not_substantiated"], "note": ""},
    {
        "decision": "assessment",
        "reasons": [],
        "note": "Allocated for a child and family assessment.",
    },
    {
        "decision": "more_information",
        "reasons": ["insufficient_information"],
        "note": "Asked the school for attendance records.",
        "review_by": "2030-05-15",
    },
    {"decision": "signpost", "reasons": ["already_supported"], "note": "Open to CAMHS."},
    {"decision": "strategy_discussion", "reasons": [], "note": ""},
)


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
    Target("paced_score_p99", "score p99 at the steady rate", "<", 50, "ms"),
    Target("paced_decision_p99", "decision p99 at the steady rate", "<", 50, "ms"),
    Target("fairness_seconds", "fairness audit of the decisions", "<", 20, "s"),
)


# --- figures: pure functions -----------------------------------------------------------------


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

    def vs_health(name: str) -> tuple[float | None, int]:
        if name not in http or "health" not in http or not http["health"]["ok_per_second"]:
            return None, 0
        ratio = http[name]["ok_per_second"] / http["health"]["ok_per_second"]
        return round(ratio, 3), failures(http[name]) + failures(http["health"])

    def p99(name: str) -> tuple[float | None, int]:
        if name not in paced:
            return None, 0
        return paced[name]["latency_ms"]["p99"], failures(paced[name])

    batch = inproc.get("batch", {}).get("per_second")
    fairness = data.get("fairness", {}).get("audit_seconds")
    return {
        "batch_per_second": (batch, 0),
        "score_vs_health": vs_health("score"),
        "decision_vs_health": vs_health("decision"),
        "paced_score_p99": p99("score"),
        "paced_decision_p99": p99("decision"),
        "fairness_seconds": (fairness, 0),
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
                    f"p99 {f['latency_ms']['p99']:,.1f} ms{_failed_note(f)}",
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
                    f"{f['client_lag_ms']['p99']:,.1f} ms){_failed_note(f)}",
                    "",
                    "",
                    "",
                )
            )
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
    skipped = [s for s in STAGES if s not in results.get("stages", STAGES)]
    if skipped:
        lines += ["", f"Skipped (--skip): {', '.join(skipped)}."]
    if results.get("errors"):
        lines += ["", "Stages that did not run:", ""]
        lines += [f"- {stage}: {message}" for stage, message in results["errors"].items()]
    return "\n".join(lines) + "\n"


# --- request bodies ------------------------------------------------------------------------------


def contact_bodies(n: int, *, seed: int) -> list[dict[str, Any]]:
    """``n`` valid contact bodies (no ``contact_id``) from the synthetic generator."""
    from data.synthetic import GeneratorConfig, generate

    frame = generate(GeneratorConfig(rows=n, seed=seed))
    bodies = []
    for i, row in enumerate(frame.to_dict("records")):
        body = {
            "received_at": row["received_at"].isoformat(),
            "child_age_years": int(row["child_age_years"]),
            "referral_source": str(row["referral_source"]),
            "concerns": [c for c in str(row["concerns"]).split(";") if c],
            "prior_contacts_12m": int(row["prior_contacts_12m"]),
            "previous_cp_plan": bool(row["previous_cp_plan"]),
            "early_help_open": bool(row["early_help_open"]),
            "child_sex": str(row["child_sex"]),
            "child_ethnicity": str(row["child_ethnicity"]),
            "child_disability": str(row["child_disability"]),
        }
        if isinstance(row["team_id"], str):
            body["team_id"] = row["team_id"]
        if i % 2 == 0:  # half carry free text, which is stored whole
            body["narrative"] = row["narrative"] if isinstance(row["narrative"], str) else NARRATIVE
        bodies.append(body)
    return bodies


def with_id(contact_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body with its ``contact_id`` first."""
    return {"contact_id": contact_id, **body}


def body_line(body: dict[str, Any]) -> str:
    """A body's JSON without its opening brace: score.lua prepends ``{"contact_id":"...",``."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    if not body or not text.startswith("{"):
        raise ValueError("need a non-empty JSON object")
    return text[1:]


def compact(body: dict[str, Any]) -> bytes:
    """JSON bytes as a client sends them."""
    return json.dumps(body, separators=(",", ":")).encode()


def write_lines(path: Path, lines: list[str]) -> Path:
    """Write one item per line (none may contain a newline)."""
    if any("\n" in line for line in lines):
        raise ValueError("a line contains a newline")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


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


# --- progress ------------------------------------------------------------------------------------


class Progress:
    """Prints each stage as it starts, with how long it should take, and as it ends."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.began = total, 0, time.perf_counter()

    @contextmanager
    def stage(self, title: str, expected: float) -> Iterator[None]:
        self.done += 1
        print(
            f"[{self.done}/{self.total}] {title} (about {expected:,.0f} s; "
            f"{time.perf_counter() - self.began:,.0f} s so far) ...",
            flush=True,
        )
        started = time.perf_counter()
        yield
        print(f"      done in {time.perf_counter() - started:,.1f} s", flush=True)


# --- the server ----------------------------------------------------------------------------------


def server_env(home: Path, plan: Plan) -> dict[str, str]:
    """The environment of the bench's `triage` commands and server."""
    env = {
        **os.environ,
        "TRIAGE_HOME": str(home),
        "TRIAGE_RATE_LIMIT": "1000000000/minute",  # the bench measures speed, not the limiter
        "TRIAGE_MODEL_POLL_SECONDS": "0",
    }
    env.pop("TRIAGE_DATABASE_URL", None)
    if plan.database_url:
        env["TRIAGE_DATABASE_URL"] = plan.database_url
    return env


def triage(args: list[str], env: dict[str, str], log: Path) -> str:
    """Run a `triage` command, its stderr appended to ``log``; its stdout, or raise."""
    with log.open("a") as err:
        done = subprocess.run(
            [str(TRIAGE), *args], env=env, stdout=subprocess.PIPE, stderr=err, text=True
        )
    if done.returncode != 0:
        raise RuntimeError(f"`triage {' '.join(args)}` exited {done.returncode}; see {log}")
    return done.stdout


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(env: dict[str, str], plan: Plan, log: Path) -> Iterator[str]:
    """Run `triage serve` (log to ``log``) until the block ends; yield its base URL."""
    import httpx

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(TRIAGE), "serve", "--port", str(port), "--workers", str(plan.workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"triage serve exited {process.returncode}; see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"triage serve did not answer in {STARTUP_SECONDS} s; see {log}")
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.25)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the stages ----------------------------------------------------------------------------------


def setup_home(home: Path, env: dict[str, str], plan: Plan, log: Path) -> str:
    """A champion in ``home`` (trained once) and a new duty worker's token."""
    home.mkdir(parents=True, exist_ok=True)
    triage(["quickstart", "--rows", str(plan.train_rows)], env, log)
    name = f"bench-{datetime.now(UTC):%Y%m%d%H%M%S}-{os.getpid()}"
    token = triage(["users", "add", name, "--role", "duty_worker"], env, log).strip().splitlines()
    if not token:
        raise RuntimeError(f"`triage users add` printed no token; see {log}")
    return token[-1]


def time_calls(fn: Callable[[], object], reps: int) -> list[float]:
    """Seconds each of ``reps`` calls took, after a few unmeasured ones."""
    for _ in range(min(20, reps)):
        fn()
    times = []
    for _ in range(reps):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return times


def one_row_frame(body: dict[str, Any]):
    """The typed one-row frame (data.contract dtypes) of a canonical body, for the bare model."""
    import pandas as pd

    from data.contract import CONCERN_SEPARATOR, FIELD_BY_NAME

    values = {**body, "concerns": CONCERN_SEPARATOR.join(body["concerns"])}
    columns = [c for c in FIELD_BY_NAME if c in values]
    return pd.DataFrame({c: pd.Series([values[c]], dtype=FIELD_BY_NAME[c].dtype) for c in columns})


def in_process(home: Path, plan: Plan) -> dict[str, Any]:
    """One contact as the service assesses it, the bare model on it, and a batch."""
    import numpy as np

    from config.settings import Settings
    from data.synthetic import GeneratorConfig, generate
    from models import features as F
    from models.assess import assess
    from models.registry import load_champion
    from service.contacts.canonical import canonicalise
    from service.contacts.schemas import CONTACT_EXAMPLE, ContactIn
    from service.contacts.service import assess_contacts

    settings = Settings(home=home)
    loaded = load_champion(settings)
    body = dict(CONTACT_EXAMPLE)

    def assess_one() -> list[dict[str, Any]]:
        # What POST /v1/contacts/score does between parsing the JSON and storing the result.
        item = canonicalise(ContactIn.model_validate(body))
        return assess_contacts(loaded, [item], settings)

    matrix = F.build_matrix(one_row_frame(canonicalise(ContactIn.model_validate(body)).body))
    bare = float(loaded.model.probability(matrix)[0])
    served = assess_one()[0]["risk"]["probability"]
    if not np.isclose(bare, served, rtol=1e-9, atol=1e-12):
        raise RuntimeError(f"the service's probability {served} is not the model's {bare}")

    assess_times = time_calls(assess_one, plan.reps)
    bare_times = time_calls(lambda: loaded.model.probability(matrix), plan.reps)
    figures: dict[str, Any] = {
        "model": {"family": loaded.model.family, "version": loaded.version},
        "assess_one": {"reps": plan.reps, "latency_ms": percentiles_ms(assess_times, (50, 99))},
        "bare_probability": {"reps": plan.reps, "latency_ms": percentiles_ms(bare_times, (50, 99))},
    }
    bare_p50 = figures["bare_probability"]["latency_ms"]["p50"]
    if bare_p50 > 0:
        figures["assess_vs_bare_p50"] = round(figures["assess_one"]["latency_ms"]["p50"] / bare_p50)
    frame = generate(GeneratorConfig(rows=plan.batch_rows, seed=78))
    began = time.perf_counter()
    records = assess(loaded.model, frame, surface_threshold=settings.surface_share_threshold)
    seconds = time.perf_counter() - began
    figures["batch"] = {
        "rows": len(records),
        "seconds": round(seconds, 2),
        "per_second": round(len(records) / seconds),
    }
    return figures


def data_stage(plan: Plan, progress: Progress, results: dict[str, Any]) -> dict[str, Any]:
    """The fairness audit and validation of ``plan.data_rows`` rows."""
    from benchmarks import fairness_1m, validate_1m

    figures = {}
    n = plan.data_rows
    with progress.stage(f"fairness audit of {n:,} generated decisions", n / 25_000):
        figures["fairness"] = attempt(results, "fairness", lambda: fairness_1m.measure(n))
    with progress.stage(f"write and validate {n:,} contact rows", n / 30_000):
        figures["validate"] = attempt(results, "validate", lambda: validate_1m.measure(n))
    return {k: v for k, v in figures.items() if v is not None}


def wrk(base: str, script: str, args: list[str], plan: Plan, seconds: float) -> dict[str, Any]:
    """One wrk run of a script in benchmarks/wrk; its figures."""
    command = [
        "wrk",
        f"-t{plan.threads}",
        f"-c{plan.connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(WRK_DIR / script),
        base,
        "--",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited {done.returncode}: {done.stderr.strip()[-500:]}")
    return parse_wrk(done.stdout)


def prescore(base: str, token: str, ids: list[str], bodies: list[dict[str, Any]]) -> None:
    """Score contacts through the batch endpoint, so decisions have something to follow."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
        for start in range(0, len(ids), 500):
            chunk = [
                with_id(i, bodies[n % len(bodies)])
                for n, i in enumerate(ids[start : start + 500], start)
            ]
            response = client.post("/v1/contacts/score/batch", json={"contacts": chunk})
            if response.status_code != 200:
                raise RuntimeError(
                    f"scoring contacts first: {response.status_code} {response.text[:500]}"
                )


def http_stage(
    base: str,
    token: str,
    files: dict[str, Path],
    run_id: str,
    plan: Plan,
    progress: Progress,
    figures: dict[str, Any],
) -> None:
    """wrk at ``plan.connections`` connections: /health, scoring, decisions, into ``figures``."""
    contacts, ids, decisions = str(files["contacts"]), str(files["ids"]), str(files["decisions"])
    runs = {
        "health": ("GET /health", "health.lua", []),
        "score": ("POST /v1/contacts/score", "score.lua", [token, f"{run_id}-s", contacts]),
        "decision": ("POST /v1/contacts/{id}/decision", "decision.lua", [token, ids, decisions]),
    }
    for name, (title, script, args) in runs.items():
        with progress.stage(
            f"wrk {title}, {plan.connections} connections, {plan.warmup:g} s warm-up + "
            f"{plan.duration:g} s",
            plan.warmup + plan.duration + 1,
        ):
            warm_args = [token, f"{run_id}-w", contacts] if name == "score" else args
            wrk(base, script, warm_args, plan, plan.warmup)
            figures[name] = wrk(base, script, args, plan, plan.duration)
            print(f"      {one_line(figures[name])}", flush=True)


def one_line(f: dict[str, Any]) -> str:
    """A run's figures in a line for the progress display."""
    ms = f["latency_ms"]
    rate = f.get("ok_per_second", f.get("achieved_rate"))
    quantiles = ", ".join(f"{k} {v:,.1f}" for k, v in ms.items() if k in ("p50", "p95", "p99"))
    return f"{rate:,.0f} req/s; {quantiles} ms; {failures(f):,} failed"


def paced_stage(
    base: str,
    token: str,
    bodies: list[dict[str, Any]],
    ids: list[str],
    run_id: str,
    plan: Plan,
    progress: Progress,
    figures: dict[str, Any],
) -> None:
    """Scoring, then decisions, at a steady ``plan.rate`` requests/s, into ``figures``."""
    n = max(1, round(plan.rate * plan.paced_seconds))
    score = [
        Call(
            "POST",
            "/v1/contacts/score",
            compact(with_id(f"{run_id}-p-{i}", bodies[i % len(bodies)])),
        )
        for i in range(n)
    ]
    decide = [
        Call(
            "POST",
            f"/v1/contacts/{ids[i % len(ids)]}/decision",
            compact(DECISION_BODIES[i % len(DECISION_BODIES)]),
        )
        for i in range(n)
    ]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for name, calls in (("score", score), ("decision", decide)):
        with progress.stage(
            f"{name} at {plan.rate:g} req/s for {plan.paced_seconds:g} s ({n:,} requests)",
            plan.paced_seconds + 1,
        ):
            result = run_sync(
                base, calls, rate=plan.rate, connections=plan.paced_connections, headers=headers
            )
            figures[name] = summarise(result)
            print(f"      {one_line(figures[name])}", flush=True)


def expected_seconds(plan: Plan, stages: tuple[str, ...]) -> float:
    """A rough total for the progress display (when a champion already exists)."""
    per = {
        "inprocess": plan.reps * 0.006 + plan.batch_rows / 15_000 + 5,
        "data": plan.data_rows / 25_000 + plan.data_rows / 30_000,
        "http": 3 * (plan.warmup + plan.duration + 1),
        "paced": 2 * (plan.paced_seconds + 1),
    }
    server = 15 + plan.prescore / 200 if {"http", "paced"} & set(stages) else 0
    return 10 + server + sum(per[s] for s in stages)


def attempt(results: dict[str, Any], stage: str, fn: Callable[[], Any]) -> Any:
    """``fn()``, or None with the error recorded: one stage failing must not hide the rest."""
    try:
        return fn()
    except Exception as exc:
        results["errors"][stage] = f"{type(exc).__name__}: {exc}"
        print(f"      FAILED: {results['errors'][stage]}", flush=True)
        return None


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
    counts = {"inprocess": 1, "data": 2, "http": 3, "paced": 2}
    served = bool({"http", "paced"} & set(stages))
    progress = Progress(1 + served + sum(counts[s] for s in stages))
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
            base = stack.enter_context(serving(env, plan, out / "server.log"))
            prescore(base, token, ids, bodies)
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
                    lambda: http_stage(base, token, files, run_id, plan, progress, figures),
                )
        if "paced" in stages:
            figures = {}
            results["paced"] = figures
            attempt(
                results,
                "paced",
                lambda: paced_stage(base, token, bodies, ids, run_id, plan, progress, figures),
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
    parser.add_argument("--database-url", help="the server's database (default SQLite in --home)")
    parser.add_argument("--home", type=Path, default=ROOT / "var" / "bench-home")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--skip", nargs="+", choices=STAGES, default=[], help="stages to leave out")
    args = parser.parse_args(argv)
    plan = replace(
        QUICK if args.quick else Plan(), workers=args.workers, database_url=args.database_url
    )
    if args.duration:
        plan = replace(plan, duration=args.duration)
    if args.paced_seconds:
        plan = replace(plan, paced_seconds=args.paced_seconds)
    if args.rate:
        plan = replace(plan, rate=args.rate)
    stages = tuple(s for s in STAGES if s not in args.skip)
    results = run(plan, home=args.home.resolve(), out=args.out, stages=stages)
    markdown = render_markdown(results)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown)
    print()
    print(markdown)
    print(f"wrote {args.out / 'results.json'} and {args.out / 'results.md'}")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
