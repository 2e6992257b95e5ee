"""Quality gates: a new version becomes the ``champion`` only if every gate passes."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from config.settings import Settings


@dataclass(frozen=True)
class Gate:
    """One gate's verdict."""

    name: str
    value: float | None
    threshold: float
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def quality_gates(metrics: dict[str, float], settings: Settings) -> list[Gate]:
    """Judge held-out metrics against the settings' thresholds.

    AUC and calibration error are judged on contacts that were acted on, whose outcomes are
    always observed, so selective labels cannot flatter them. On synthetic data the AUC ratio
    to the truth is judged too.
    """

    def at_least(name: str, key: str, threshold: float, what: str) -> Gate:
        value = metrics.get(key)
        ok = value is not None and np.isfinite(value) and value >= threshold
        shown = _show(value)
        return Gate(name, value, threshold, bool(ok), f"{what} {shown} (needs >= {threshold})")

    gates = [
        at_least(
            "labelled_rows",
            "acted_on_rows",
            settings.gate_min_labelled_rows,
            "acted-on contacts with an observed outcome",
        ),
        at_least("auc", "auc", settings.gate_min_auc, "out-of-fold AUC on acted-on contacts"),
    ]
    error = metrics.get("calibration_error")
    ok = error is not None and np.isfinite(error) and error <= settings.gate_max_calibration_error
    shown = _show(error)
    gates.append(
        Gate(
            "calibration_error",
            error,
            settings.gate_max_calibration_error,
            bool(ok),
            f"out-of-fold calibration error on acted-on contacts {shown} "
            f"(needs <= {settings.gate_max_calibration_error})",
        )
    )
    if "truth_auc_ratio" in metrics:
        gates.append(
            at_least(
                "auc_ratio_to_truth",
                "truth_auc_ratio",
                settings.gate_min_auc_ratio_to_truth,
                "synthetic data: AUC as a share of the best possible",
            )
        )
    return gates


def _show(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:.3f}"
