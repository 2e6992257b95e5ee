"""The model's acceptance figures, measured: train on 30k generated rows, score 10k others.

For each seed: generate a 30k-row extract (default shortcuts on), train as `triage train` does
(both families, default labelling strategy), then score a fresh 10k-row extract and compare with
its `true_risk`. Also times training on 200k rows and assessing 100k contacts. Writes
var/bench/model_acceptance.{json,md}.

    .venv/bin/python benchmarks/model_acceptance.py [--seeds 1 2 3] [--skip-large]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from config.settings import Settings
from data.codes import age_band
from data.synthetic import GeneratorConfig, generate
from models import features as F
from models.assess import assess
from training.evaluate import expected_auc
from training.pipeline import train_frame


def one_seed(seed: int, settings: Settings) -> dict:
    """Train on 30k rows of one seed; judge on 10k rows of another."""
    started = time.perf_counter()
    result = train_frame(generate(GeneratorConfig(rows=30_000, seed=seed)), settings)
    seconds = time.perf_counter() - started
    test = generate(GeneratorConfig(rows=10_000, seed=seed + 1000))
    p = result.model.probability(F.build_matrix(test))
    truth = test["true_risk"].to_numpy()
    teens = (test["child_age_years"].map(age_band) == "13-15").to_numpy()
    anonymous = (test["referral_source"] == "9").to_numpy()
    row = {
        "seed": seed,
        "train_seconds": round(seconds, 1),
        "family": result.model.family,
        "auc_ratio": expected_auc(p, truth) / expected_auc(truth, truth),
        "mean_ratio": p.mean() / truth.mean(),
        "mean_ratio_13_15": p[teens].mean() / truth[teens].mean(),
        "mean_ratio_anonymous": p[anonymous].mean() / truth[anonymous].mean(),
        "gates_passed": result.passed,
    }
    row["passes"] = bool(
        row["auc_ratio"] >= 0.97
        and abs(row["mean_ratio"] - 1) <= 0.10
        and abs(row["mean_ratio_13_15"] - 1) <= 0.10
    )
    return row


def large(settings: Settings) -> dict:
    """Training time on 200k rows; assessing (probability, band, SHAP, texts) 100k contacts."""
    frame = generate(GeneratorConfig(rows=200_000, seed=77))
    started = time.perf_counter()
    result = train_frame(frame, settings)
    train_seconds = time.perf_counter() - started
    contacts = generate(GeneratorConfig(rows=100_000, seed=78))
    started = time.perf_counter()
    records = assess(result.model, contacts)
    assess_seconds = time.perf_counter() - started
    return {
        "train_200k_seconds": round(train_seconds, 1),
        "train_200k_family": result.model.family,
        "assess_100k_seconds": round(assess_seconds, 2),
        "assess_per_second": round(len(records) / assess_seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args()
    settings = Settings()
    rows = []
    for seed in args.seeds:
        rows.append(one_seed(seed, settings))
        print(json.dumps(rows[-1]), flush=True)
    summary = {
        "seeds": rows,
        "passing_seeds": sum(r["passes"] for r in rows),
        "mean_ratio_13_15_sd": float(np.std([r["mean_ratio_13_15"] for r in rows])),
    }
    if not args.skip_large:
        summary.update(large(settings))
        print(json.dumps({k: v for k, v in summary.items() if k != "seeds"}), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model_acceptance.json").write_text(json.dumps(summary, indent=2))
    lines = [
        "| seed | family | AUC / best | mean / truth | 13-15 mean / truth | anonymous | passes |",
        "|---|---|---|---|---|---|---|",
        *[
            f"| {r['seed']} | {r['family']} | {r['auc_ratio']:.3f} | {r['mean_ratio']:.3f} | "
            f"{r['mean_ratio_13_15']:.3f} | {r['mean_ratio_anonymous']:.3f} | {r['passes']} |"
            for r in rows
        ],
    ]
    (args.out / "model_acceptance.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
