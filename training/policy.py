"""The promotion policy: which gates a version must pass to become the ``champion``.

Every rule lives here and is pure (plain figures in, verdicts out; no MLflow, no I/O):

- :func:`quality_gates`: held-out metrics against the settings' thresholds;
- :func:`fairness_gate`: the model audit, judged by :func:`fairness.model_gate` with the settings'
  thresholds;
- :func:`compare_with_champion`: the challenger no worse than the champion beyond the margins;
- :func:`judge`: all of them for one version;
- :func:`may_promote`: whether those gates let the version take the alias, automatically
  (registration) or by hand (``triage models promote``, which may be forced with a reason).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from config.settings import Settings

if TYPE_CHECKING:
    from fairness.gate import GateResult
    from fairness.report import Report

FAIRNESS_GATE = "fairness"
AUC_GATE = "vs_champion_auc"
CALIBRATION_GATE = "vs_champion_calibration"
# Gates that compare a version with the champion of the day. A manual promotion judges them
# again against the champion it would replace, not the one a retrain judged it against.
COMPARISON_GATES: tuple[str, ...] = (AUC_GATE, CALIBRATION_GATE)
NO_GATES = "no gates recorded"
FORCE_NEEDS_REASON = 'a forced promotion needs a reason: add --reason "why"'
FORCE_IS_MANUAL = "only a promotion by hand can be forced"


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


def quality_gates(metrics: Mapping[str, float], settings: Settings) -> list[Gate]:
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


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def compare_with_champion(
    challenger: Mapping[str, float],
    champion: Mapping[str, float],
    *,
    max_auc_loss: float,
    max_calibration_increase: float,
) -> list[Gate]:
    """Gates that pass when the challenger is no worse than the champion beyond the margins.

    A retrain measures both on the same rows (acted-on contacts of the new file); a manual
    promotion compares the figures each version's training run recorded.
    """
    new_auc, old_auc = challenger.get("auc"), champion.get("auc")
    comparable = _finite(new_auc) and _finite(old_auc)
    # For mypy: `comparable` checked both are finite floats
    auc_change = float(new_auc - old_auc) if comparable else math.nan  # type: ignore[operator]
    auc_detail = (
        f"challenger AUC {new_auc:.3f} against the champion's {old_auc:.3f} on the same "
        f"contacts (may lose at most {max_auc_loss})"
        if comparable
        else "AUC could not be compared (n/a on these rows)"
    )
    new_error, old_error = challenger.get("calibration_error"), champion.get("calibration_error")
    comparable_error = _finite(new_error) and _finite(old_error)
    # For mypy: `comparable` checked both are finite floats
    error_change = float(new_error - old_error) if comparable_error else math.nan  # type: ignore[operator]
    error_detail = (
        f"challenger calibration error {new_error:.3f} against the champion's {old_error:.3f} "
        f"(may rise by at most {max_calibration_increase})"
        if comparable_error
        else "calibration error could not be compared (n/a on these rows)"
    )
    return [
        Gate(AUC_GATE, auc_change, -max_auc_loss, bool(auc_change >= -max_auc_loss), auc_detail),
        Gate(
            CALIBRATION_GATE,
            error_change,
            max_calibration_increase,
            bool(error_change <= max_calibration_increase),
            error_detail,
        ),
    ]


def champion_gates(
    metrics: Mapping[str, float], champion: Mapping[str, float], settings: Settings
) -> list[Gate]:
    """The beat-the-champion gates with the settings' margins."""
    return compare_with_champion(
        metrics,
        champion,
        max_auc_loss=settings.retrain_max_auc_loss,
        max_calibration_increase=settings.retrain_max_calibration_increase,
    )


def fairness_gate(
    report: Report | Mapping[str, Any], settings: Settings
) -> tuple[Gate, GateResult]:
    """The fairness gate from a model audit: block only large, significant, well-observed gaps."""
    from fairness.gate import model_gate

    result = model_gate(
        report,
        min_coverage=settings.fairness_gate_min_coverage,
        max_ratio=settings.fairness_gate_max_ratio,
    )
    detail = (
        "; ".join(result.reasons)
        if result.reasons
        else f"no blocking disparity in the model audit ({len(result.checked)} comparisons; "
        f"{len(result.caveated)} reported with the selective-labels caveat)"
    )
    gate = Gate(FAIRNESS_GATE, None, settings.fairness_gate_max_ratio, result.passed, detail)
    return gate, result


@dataclass(frozen=True)
class Judgement:
    """Every gate of one version, and the fairness verdict behind its fairness gate."""

    gates: list[Gate]
    fairness: GateResult

    @property
    def passed(self) -> bool:
        """True when every gate passed."""
        return all(g.passed for g in self.gates)


def judge(
    evaluation: Mapping[str, float],
    fairness_report: Report | Mapping[str, Any],
    *,
    champion: Mapping[str, float] | None = None,
    settings: Settings,
) -> Judgement:
    """Judge a version: quality, fairness and (given a champion's metrics) beat-the-champion gates.

    ``evaluation`` and ``champion`` are held-out metrics (``auc``, ``calibration_error``,
    ``acted_on_rows``, ...), measured on the same rows when both are given; ``fairness_report`` is
    the model audit (a :class:`fairness.report.Report` or its JSON).
    """
    fairness, result = fairness_gate(fairness_report, settings)
    gates = [*quality_gates(evaluation, settings), fairness]
    if champion is not None:
        gates += champion_gates(evaluation, champion, settings)
    return Judgement(gates, result)


@dataclass(frozen=True)
class Decision:
    """Whether a version may take the ``champion`` alias, and why not."""

    allowed: bool
    failed: list[str] = field(default_factory=list)
    own_failed: list[str] = field(default_factory=list)
    comparison_failed: list[str] = field(default_factory=list)
    forced: bool = False
    refusal: str | None = None


def may_promote(
    gates: Mapping[str, bool] | Sequence[Gate],
    *,
    manual: bool,
    force: bool = False,
    reason: str | None = None,
) -> Decision:
    """Decide a promotion from its gates' verdicts (name -> passed, or :class:`Gate` objects).

    Automatic promotion (registration) needs every gate to pass. A manual one needs the same,
    and a version with no gates of its own recorded is refused; ``force`` overrides the failed
    gates only by hand and only with a ``reason`` (recorded by the caller).
    """
    verdicts = gates if isinstance(gates, Mapping) else {g.name: g.passed for g in gates}
    if force and not manual:
        raise ValueError(FORCE_IS_MANUAL)
    if force and not (reason and reason.strip()):
        return Decision(False, refusal=FORCE_NEEDS_REASON)
    own = {n: ok for n, ok in verdicts.items() if n not in COMPARISON_GATES}
    own_failed = [n for n, ok in own.items() if not ok]
    if manual and not own:
        own_failed = [NO_GATES]
    comparison_failed = [n for n, ok in verdicts.items() if n in COMPARISON_GATES and not ok]
    failed = [*own_failed, *comparison_failed]
    if not failed:
        return Decision(True)
    if force:
        return Decision(True, failed, own_failed, comparison_failed, forced=True)
    return Decision(False, failed, own_failed, comparison_failed)
