"""Time the full contract-mode fairness audit (no HTML) on one million synthetic decisions.

Usage: ``.venv/bin/python benchmarks/fairness_1m.py [--rows N]``. The risk estimate is the
generator's ``true_risk``; the target is under 20 s on 2 cores.
"""

from __future__ import annotations

import argparse
import time


def measure(rows: int = 1_000_000, *, seed: int = 1) -> dict:
    """Generate ``rows`` decisions, audit them; the seconds each step took and what it found."""
    from data.synthetic import GeneratorConfig, generate
    from fairness import audit_contract

    started = time.perf_counter()
    frame = generate(GeneratorConfig(rows=rows, seed=seed))
    frame["probability"] = frame["true_risk"]
    generated = time.perf_counter() - started

    started = time.perf_counter()
    report = audit_contract(frame)
    audited = time.perf_counter() - started
    started = time.perf_counter()
    report.to_json()
    serialised = time.perf_counter() - started
    return {
        "rows": rows,
        "generate_seconds": round(generated, 2),
        "audit_seconds": round(audited, 2),
        "serialise_seconds": round(serialised, 2),
        "findings": len(report.findings),
        "comparisons": report.adjustment["comparisons"],
    }


def main() -> None:
    """Generate the extract, run every audit, print the seconds the audit took."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    m = measure(args.rows, seed=args.seed)
    print(f"rows: {m['rows']:,} (generated in {m['generate_seconds']:.1f} s)")
    print(f"findings: {m['findings']:,}; comparisons: {m['comparisons']:,}")
    print(
        f"audit seconds: {m['audit_seconds']:.2f} "
        f"(+ {m['serialise_seconds']:.2f} s to serialise the JSON)"
    )


if __name__ == "__main__":
    main()
