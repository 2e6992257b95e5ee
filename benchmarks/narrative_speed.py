"""How fast the narrative check is in process, and how much memory its model adds.

Run on its own: ``.venv/bin/python benchmarks/narrative_speed.py [--runs 200]``. It loads the
packaged sentence model once, then checks a written 10-sentence narrative ``--runs`` times and
prints the load time, the p50, p90 and p95 of one check (wall clock and this process's CPU
time), the load average and the resident memory before and after loading. The narrative is
written for the benchmark.
``measure()`` returns the same figures as a dict, for a harness to record; ``measure_http()``
times ``POST /v1/contacts/score`` on a running service with and without that narrative.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path
from typing import Any

NARRATIVE = (
    "Police attended the address at 22:40 after a neighbour reported shouting. "
    "Mum had a cut to her lip and said her partner had pushed her into the door. "
    "The partner had left before officers arrived. "
    "Two children, aged 3 and 7, were upstairs and said they had heard everything. "
    "There were empty cans and a bottle of vodka on the kitchen table. "
    "Mum said she has not been sleeping and feels she cannot cope. "
    "The house was cold and there was very little food in the cupboards. "
    "The 7-year-old told officers she often makes breakfast for her brother. "
    "Mum agreed to a referral to the domestic abuse service. "
    "Officers will notify the school in the morning."
)


def rss_mib() -> float:
    """This process's resident memory in MiB (Linux /proc; 0 elsewhere)."""
    status = Path("/proc/self/status")
    if not status.exists():
        return 0.0
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(runs: int = 200) -> dict[str, float | str]:
    """Load the model and time ``runs`` checks; return the figures (for bench.py to record)."""
    before = rss_mib()
    started = time.perf_counter()
    import narrative
    from config.settings import get_settings

    settings = get_settings()
    reader = narrative.load_reader(settings)
    loaded = time.perf_counter() - started
    if not reader.available:
        raise SystemExit(f"the sentence model is unavailable: {reader.reason}")
    after = rss_mib()
    coded = ["3B"]
    for _ in range(10):  # warm-up: first runs allocate onnxruntime's buffers
        narrative.check(NARRATIVE, coded, reader=reader)
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        narrative.check(NARRATIVE, coded, reader=reader)
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {
        "model": reader.name,
        "sentences": len(narrative.split_sentences(NARRATIVE)),
        "threads": settings.narrative_threads,
        "runs": runs,
        "load_s": loaded,
        "wall_p50_ms": statistics.median(wall),
        "wall_p90_ms": statistics.quantiles(wall, n=10)[-1],
        "wall_p95_ms": statistics.quantiles(wall, n=20)[-1],
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p90_ms": statistics.quantiles(cpu, n=10)[-1],
        "cpu_p95_ms": statistics.quantiles(cpu, n=20)[-1],
        "rss_before_mib": before,
        "rss_after_load_mib": after,
        "rss_added_mib": after - before,
        # Wall time on a shared machine is mostly waiting for a core: say how busy it was.
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def measure_http(base: str, token: str, *, runs: int, run_id: str) -> dict[str, Any]:
    """Score ``runs`` new contacts one at a time with the narrative, then ``runs`` without;
    each run's latency p50 and p95 (ms) over HTTP, and whether every check was available."""
    import httpx

    from benchmarks.bodies import contact_bodies

    bodies = contact_bodies(runs, seed=91)
    figures: dict[str, Any] = {"runs": runs, "sentences": 10}
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        for name, text in (("with_narrative", NARRATIVE), ("without_narrative", None)):
            times, available = [], True
            for n, body in enumerate(bodies):
                sent = {"contact_id": f"{run_id}-{name}-{n}", **body, "narrative": text}
                if text is None:
                    del sent["narrative"]
                began = time.perf_counter()
                response = client.post("/v1/contacts/score", json=sent)
                times.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"scoring: {response.status_code} {response.text[:300]}")
                check = response.json().get("narrative_check") or {}
                available = available and bool(check.get("available"))
            figures[name] = {
                "p50_ms": statistics.median(times),
                "p95_ms": statistics.quantiles(times, n=20)[-1],
                "check_available": available,
            }
    return figures


def measure_fresh(runs: int = 200) -> dict[str, float | str]:
    """:func:`measure` in a new Python process, so the memory it adds is the model's alone."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "benchmarks.narrative_speed", "--runs", str(runs), "--json"]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure and print the figures (``--json``: one JSON line, for a harness)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args()
    f = measure(args.runs)
    if args.json:
        import json

        print(json.dumps(f))
        return
    print(f"model: {f['model']}")
    print(f"load (import + model + references): {f['load_s']:.1f} s")
    print(
        f"one check of a {f['sentences']}-sentence narrative, {f['runs']} runs, "
        f"TRIAGE_NARRATIVE_THREADS={f['threads']}:"
    )
    print(f"  wall p50 {f['wall_p50_ms']:.1f} ms, p95 {f['wall_p95_ms']:.1f} ms")
    print(f"  CPU  p50 {f['cpu_p50_ms']:.1f} ms, p95 {f['cpu_p95_ms']:.1f} ms")
    print(f"  load average (1 min) at the end: {f['load_average_1m']}")
    print(
        f"RSS: {f['rss_before_mib']:.0f} MiB before, {f['rss_after_load_mib']:.0f} MiB after "
        f"loading (+{f['rss_added_mib']:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
