"""Plots logged with each training run (matplotlib, no display)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from models import features as F
from models.model import TriageModel
from training.labels import acted_on


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_calibration_plot(frame: pd.DataFrame, model: TriageModel, path: Path) -> None:
    """Reliability diagram on acted-on contacts (and against the truth when known)."""
    plt = _pyplot()
    p = model.probability(F.build_matrix(frame))
    fig, ax = plt.subplots(figsize=(5, 5))
    rows = acted_on(frame) & frame["outcome_need_12m"].notna().to_numpy()
    y = frame["outcome_need_12m"].fillna(False).to_numpy(dtype=float)
    for label, mask, target in [("observed (acted on)", rows, y)] + (
        [
            (
                "true risk (synthetic)",
                np.ones(len(frame), bool),
                frame["true_risk"].to_numpy(dtype=float),
            )
        ]
        if "true_risk" in frame
        else []
    ):
        order = np.argsort(p[mask])
        chunks = np.array_split(order, 10)
        ax.plot(
            [p[mask][c].mean() for c in chunks],
            [target[mask][c].mean() for c in chunks],
            marker="o",
            label=label,
        )
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
    ax.set(xlabel="estimated probability", ylabel="observed rate", title="Calibration")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def save_shap_summary(model: TriageModel, frame: pd.DataFrame, path: Path) -> None:
    """Global SHAP summary: mean |contribution| per model column, top 20."""
    plt = _pyplot()
    _, values = model.shap_values(F.build_matrix(frame))
    importance = np.abs(values).mean(axis=0)
    top = np.argsort(importance)[::-1][:20][::-1]
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.barh([F.FEATURE_NAMES[i] for i in top], importance[top], color="#1d70b8")
    ax.set(xlabel="mean |SHAP| (log-odds)", title="What the model relies on")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
