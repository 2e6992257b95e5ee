"""Compare the labelling strategies on generated data, over several seeds (docs/labels.md).

For each seed, a 30k-row extract with the default shortcuts is cross-fitted under every strategy
(linear family) and each strategy's out-of-fold estimates are judged against the truth.

    .venv/bin/python benchmarks/labels_comparison.py [--seeds 1 2 3 4 5] [--rows 30000]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from config.settings import Settings
from data.synthetic import GeneratorConfig, generate
from training.pipeline import train_frame

COLUMNS = {
    "truth_auc_ratio": "AUC / best possible",
    "auc_acted_on": "AUC (acted on)",
    "calibration_error_acted_on": "calibration error (acted on)",
    "truth_mean_ratio": "mean / truth",
    "mean_ratio[age_band=13-15]": "13-15 mean / truth",
    "mean_ratio[age_band=0]": "age 0 mean / truth",
    "mean_ratio[referral_source=9]": "anonymous mean / truth",
    "mean_ratio[referral_source=1B]": "acquaintance mean / truth",
    "worst_group_mean_error": "worst group |mean / truth - 1|",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--out", type=Path, default=Path("var/bench"))
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        frame = generate(GeneratorConfig(rows=args.rows, seed=seed))
        result = train_frame(frame, Settings(), families=("linear",))
        for row in result.label_comparison:
            rows.append({"seed": seed, **row})
        print(f"seed {seed} done", flush=True)
    table = pd.DataFrame(rows)
    summary = table.groupby("strategy", sort=False)[list(COLUMNS)].agg(["mean", "std"])
    lines = [
        "| strategy | " + " | ".join(COLUMNS.values()) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
    ]
    for strategy, values in summary.iterrows():
        cells = [f"{values[(c, 'mean')]:.3f} ± {values[(c, 'std')]:.3f}" for c in COLUMNS]
        lines.append(f"| {strategy} | " + " | ".join(cells) + " |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "labels_comparison.json").write_text(
        json.dumps(table.replace({np.nan: None}).to_dict("records"), indent=2)
    )
    (args.out / "labels_comparison.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
