"""The model card: what a version is for, what it is not for, and how well it works, by group."""

from __future__ import annotations

from typing import Any

from training.labels import DESCRIPTIONS


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.{digits}f}"
    return str(value)


def _inputs_note(data: dict[str, Any]) -> list[str]:
    """Surface reliance, and a warning when no concerns were recorded (a census import)."""
    if "mean_surface_share" not in data:
        return []
    lines = [f"- Mean surface share (age and referral source) {data['mean_surface_share']:.0%}."]
    if data.get("no_concerns_share", 0.0) >= 0.95:
        lines.append(
            f"- **Census-only inputs**: {data['no_concerns_share']:.0%} of rows have no concerns "
            "(a CIN census import holds none at contact), so the estimate rests on age, referral "
            "source and history; expect high surface reliance. See docs/cin-census.md."
        )
    return lines


def model_card(info: dict[str, Any]) -> str:
    """Render the model card as Markdown from the training run's facts."""
    m = info["metrics"]
    lines = [
        f"# Model card: {info['name']} version {info.get('version', '(unregistered)')}",
        "",
        "## Intended use",
        "A **second opinion** for duty workers at a children's services front door: a calibrated",
        "estimate that a contact's child will be assessed as in need within 12 months, explained",
        "in the contact's own terms, with a warning when it rests mainly on the child's age or the",
        "referral source. Team leaders use its flags to review NFA decisions.",
        "",
        "## Out of scope",
        "- **Any automated decision.** The estimate never decides, screens out or prioritises a",
        "  contact on its own; a professional decides, with reasons and free text.",
        "- Judging a family, a referrer or a worker; use outside the front door; children 18+.",
        "- Protected characteristics (ethnicity, sex, disability) are never inputs.",
        "",
        "## Data",
        f"- File `{info['data']['path']}` (sha256 `{info['data']['sha256'][:16]}...`), "
        f"{info['data']['rows']:,} rows, outcomes observed for "
        f"{info['data']['label_coverage']:.1%}.",
        f"- Metrics are out of fold ({info['data']['folds']} folds): each contact is estimated by "
        "models that never saw it.",
        *_inputs_note(info["data"]),
        "",
        "## Labelling strategy",
        f"`{info['label_strategy']}`: {DESCRIPTIONS[info['label_strategy']]}. See docs/labels.md.",
        "",
        "## Model",
        f"Family `{info['family']}` chosen by cross-validated log-loss among:",
        "",
        "| candidate | CV log-loss |",
        "| --- | --- |",
        *[f"| {c['name']} | {c['cv_log_loss']:.4f} |" for c in info["candidates"]],
        "",
        f"Calibration: probability = sigmoid({info['calibration'][0]:.4f} x model_output + "
        f"{info['calibration'][1]:.4f}) (Platt, fitted on out-of-fold outputs). Bands 1-"
        f"{info['bands']} are equal-frequency on the training population.",
        "",
        "## Metrics (out of fold; observed outcomes of acted-on contacts)",
        f"- AUC {_fmt(m.get('auc'))} (95% CI {_fmt(m.get('auc_ci_low'))}-"
        f"{_fmt(m.get('auc_ci_high'))})",
        f"- Calibration error {_fmt(m.get('calibration_error'))} (95% CI "
        f"{_fmt(m.get('calibration_error_ci_low'))}-{_fmt(m.get('calibration_error_ci_high'))})",
        f"- AUC on every observed outcome (naive, flattered by selective labels): "
        f"{_fmt(m.get('auc_all_observed_naive'))}",
    ]
    if "truth_auc_ratio" in m:
        lines += [
            f"- Synthetic truth: AUC {_fmt(m['truth_auc_model'])} against the best possible "
            f"{_fmt(m['truth_auc_best'])} (ratio {_fmt(m['truth_auc_ratio'])}); mean estimate "
            f"{_fmt(m['mean_estimate'])} against mean true risk {_fmt(m['truth_mean'])}.",
        ]
    lines += ["", "## Results by group", ""]
    truth = "truth_mean" in (info["groups"][0] if info["groups"] else {})
    header = "| attribute | group | n | label coverage | mean estimate | AUC (acted on) |"
    lines += [header + (" mean true risk |" if truth else ""), "|---" * (6 + truth) + "|"]
    for g in info["groups"]:
        row = (
            f"| {g['attribute']} | {g['group']} | {g['n']:,} | {g['label_coverage']:.1%} | "
            f"{g['mean_estimate']:.3f} | {_fmt(g['auc_acted_on'])} |"
        )
        lines.append(row + (f" {g['truth_mean']:.3f} |" if truth else ""))
    lines += ["", "## Gates", ""]
    lines += [
        f"- {'PASS' if g['passed'] else 'FAIL'} {g['name']}: {g['detail']}" for g in info["gates"]
    ]
    notes = info.get("fairness_notes") or []
    lines += ["", "## Fairness (model audit by group)", ""]
    lines += [f"- {note}" for note in notes] or ["- No caveats were raised."]
    lines += [
        "",
        "## Limitations",
        "- Outcomes are observed selectively: after NFA only if the child comes back. Metrics are",
        "  computed on acted-on contacts; if workers act on knowledge the record does not hold,",
        "  those outcomes overstate risk for contacts like them.",
        "- The estimate knows only what the contact record holds; the narrative is not read.",
        "- Trained on one authority's history; practice and populations drift: monitor it.",
        "",
    ]
    return "\n".join(lines)
