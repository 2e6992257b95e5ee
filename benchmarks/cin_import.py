"""Time and peak memory of importing CIN census returns for N children (default 100,000).

`python -m benchmarks.cin_import [--children N] [--json PATH]`: writes synthetic returns (one
per collection year) in a temporary directory, then runs `triage data import-cin` on them in a
separate process and reports its wall time and peak resident memory. The issue's bar: under a
minute and under 1 GB for 100,000 children.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIME_LIMIT_SECONDS = 60.0
MEMORY_LIMIT_MB = 1024.0


def write_returns_for(children: int, folder: Path, seed: int = 0) -> list[Path]:
    """Synthetic returns holding exactly ``children`` children (before re-referrals)."""
    from data.cin_census.writer import REFERRAL_DECISIONS, write_returns
    from data.synthetic import GeneratorConfig, generate

    frame = generate(GeneratorConfig(rows=int(children / 0.65) + 1_000, seed=seed))
    frame = frame[frame["decision"].isin(REFERRAL_DECISIONS)].head(children)
    if len(frame) < children:
        raise RuntimeError(f"generated only {len(frame):,} referrals for {children:,} children")
    paths, _ = write_returns(frame, folder, seed=seed)
    return paths


def run(children: int) -> dict:
    """Write the returns, import them in a child process, and return the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        paths = write_returns_for(children, folder / "returns")
        written_s = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in paths) / 2**20
        command = [
            sys.executable,
            "-m",
            "cli.main",
            "data",
            "import-cin",
            *map(str, paths),
            "--out",
            str(folder / "extract.parquet"),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        import_s = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time is what the import itself costs; wall time also counts waiting on a busy machine.
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # ru_maxrss is in kilobytes on Linux: the largest child process so far, i.e. the import.
    peak_mb = after.ru_maxrss / 1024
    return {
        "children": children,
        "files": len(paths),
        "xml_mb": round(size_mb, 1),
        "write_seconds": round(written_s, 1),
        "import_seconds": round(import_s, 1),
        "import_cpu_seconds": round(cpu_s, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "import_peak_mb": round(peak_mb, 0),
        "summary": done.stdout.strip().splitlines()[0],
        "within_limits": import_s < TIME_LIMIT_SECONDS and peak_mb < MEMORY_LIMIT_MB,
    }


def main() -> None:
    """Run the benchmark and print (and optionally write) its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--json", type=Path, help="Also write the figures to this JSON file.")
    args = parser.parse_args()
    figures = run(args.children)
    for key, value in figures.items():
        print(f"{key}: {value}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    sys.exit(0 if figures["within_limits"] else 1)


if __name__ == "__main__":
    main()
