"""The measuring stages: in-process, data, HTTP at full load (wrk) and at a steady rate."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.bodies import DECISION_BODIES, compact, with_id
from benchmarks.judging import failures, parse_wrk
from benchmarks.paced import Call, percentiles_ms, run_sync, summarise
from benchmarks.plan import WRK_DIR, Plan
from benchmarks.server import tree_cpu_seconds

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
    from narrative import load_reader
    from service.contacts.canonical import canonicalise
    from service.contacts.schemas import CONTACT_EXAMPLE, ContactIn
    from service.contacts.service import assess_contacts

    settings = Settings(home=home)
    loaded = load_champion(settings)
    reader = load_reader(settings)  # as the service's lifespan loads it, once
    body = dict(CONTACT_EXAMPLE)

    def assess_one() -> list[dict[str, Any]]:
        # What POST /v1/contacts/score does between parsing the JSON and storing the result,
        # the narrative check of its one-sentence narrative included.
        item = canonicalise(ContactIn.model_validate(body))
        return assess_contacts(loaded, [item], settings, narrative=reader)

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
    pid: int | None = None,
) -> None:
    """wrk at ``plan.connections`` connections: /health, scoring, decisions, into ``figures``.

    Scoring sends contacts without narratives (``files["plain"]``): a narrative runs the
    sentence model, whose cost is measured on its own (``benchmarks/narrative_speed.py``). With
    the server's ``pid``, each run also gives the server's own CPU time per request (all its
    workers), which other load on the machine does not change the way it changes requests/s.
    """
    plain, ids, decisions = str(files["plain"]), str(files["ids"]), str(files["decisions"])
    runs = {
        "health": ("GET /health", "health.lua", []),
        "score": ("POST /v1/contacts/score", "score.lua", [token, f"{run_id}-s", plain]),
        "decision": ("POST /v1/contacts/{id}/decision", "decision.lua", [token, ids, decisions]),
    }
    for name, (title, script, args) in runs.items():
        with progress.stage(
            f"wrk {title}, {plan.connections} connections, {plan.warmup:g} s warm-up + "
            f"{plan.duration:g} s",
            plan.warmup + plan.duration + 1,
        ):
            warm_args = [token, f"{run_id}-w", plain] if name == "score" else args
            wrk(base, script, warm_args, plan, plan.warmup)
            before = tree_cpu_seconds(pid) if pid is not None else None
            figures[name] = wrk(base, script, args, plan, plan.duration)
            if before is not None and pid is not None and figures[name]["requests"]:
                used = tree_cpu_seconds(pid) - before
                figures[name]["server_cpu_ms_per_request"] = round(
                    used * 1000 / figures[name]["requests"], 3
                )
            print(f"      {one_line(figures[name])}", flush=True)


def one_line(f: dict[str, Any]) -> str:
    """A run's figures in a line for the progress display."""
    ms = f["latency_ms"]
    rate = f.get("ok_per_second", f.get("achieved_rate"))
    quantiles = ", ".join(f"{k} {v:,.1f}" for k, v in ms.items() if k in ("p50", "p95", "p99"))
    per = f.get("server_cpu_ms_per_request")
    cpu = f"; server CPU {per:.2f} ms/request" if per is not None else ""
    return f"{rate:,.0f} req/s; {quantiles} ms; {failures(f):,} failed{cpu}"


def paced_stage(
    base: str,
    token: str,
    bodies: list[dict[str, Any]],
    ids: list[str],
    run_id: str,
    plan: Plan,
    progress: Progress,
    figures: dict[str, Any],
    pid: int | None = None,
) -> None:
    """Scoring, then decisions, at a steady ``plan.rate`` requests/s, into ``figures`` (with the
    server's ``pid``, its CPU time per request too)."""
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
            before = tree_cpu_seconds(pid) if pid is not None else None
            result = run_sync(
                base, calls, rate=plan.rate, connections=plan.paced_connections, headers=headers
            )
            figures[name] = summarise(result)
            if before is not None and pid is not None and result.sent:
                used = tree_cpu_seconds(pid) - before
                figures[name]["server_cpu_ms_per_request"] = round(used * 1000 / result.sent, 3)
            print(f"      {one_line(figures[name])}", flush=True)


def expected_seconds(plan: Plan, stages: tuple[str, ...]) -> float:
    """A rough total for the progress display (when a champion already exists)."""
    per = {
        "inprocess": plan.reps * 0.006 + plan.batch_rows / 15_000 + 5,
        "data": plan.data_rows / 25_000 + plan.data_rows / 30_000,
        "http": 3 * (plan.warmup + plan.duration + 1),
        "paced": 2 * (plan.paced_seconds + 1),
        # seeding (the first time only), the job, the reads
        "reports": plan.report_contacts / 2_000 + plan.report_contacts / 5_000 + 10,
        "features": plan.inbox_items / 200 + plan.cin_children / 1_000 + 30,
    }
    server = 15 + plan.prescore / 200 if {"http", "paced", "reports"} & set(stages) else 0
    return 10 + server + sum(per[s] for s in stages)


def attempt(results: dict[str, Any], stage: str, fn: Callable[[], Any]) -> Any:
    """``fn()``, or None with the error recorded: one stage failing must not hide the rest."""
    try:
        return fn()
    except Exception as exc:
        results["errors"][stage] = f"{type(exc).__name__}: {exc}"
        print(f"      FAILED: {results['errors'][stage]}", flush=True)
        return None
