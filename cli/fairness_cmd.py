"""`triage fairness audit`: audit a contract extract or any decisions table for disparities."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

GENERIC_OPTIONS_NEED_LABEL = (
    "generic mode needs --label, at least one --group, and --prediction or --score"
)
THRESHOLD_IN_CONTRACT_MODE = (
    "--threshold turns a --score into predictions (generic mode); for the model audit's review "
    "threshold use --review-threshold"
)
BAD_REFERENCE = "--reference must look like ATTRIBUTE=GROUP, e.g. age_band=5-9; got {value!r}"
BAD_SUFFIX = "must end in .csv or .parquet"
CANNOT_SCORE = (
    "the data has no 'probability' column and the champion model could not score it ({error}); "
    "add a probability column or train a champion first"
)


class AdjustMethod(StrEnum):
    """How p-values are adjusted for the report's many comparisons."""

    holm = "holm"
    fdr_bh = "fdr_bh"


def audit(
    data: Path = typer.Option(
        ...,
        "--data",
        exists=True,
        dir_okay=False,
        help="Extract or decisions table (.csv/.parquet).",
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the JSON report."),
    html: Path | None = typer.Option(None, "--html", help="Also write a self-contained HTML page."),
    label: str | None = typer.Option(None, "--label", help="Generic mode: the outcome column."),
    prediction: str | None = typer.Option(
        None, "--prediction", help="Generic mode: binary prediction column."
    ),
    score: str | None = typer.Option(None, "--score", help="Generic mode: numeric score column."),
    threshold: float | None = typer.Option(
        None, "--threshold", help="Generic mode: predicted positive when score >= threshold."
    ),
    group: list[str] | None = typer.Option(
        None, "--group", help="Generic mode: a column to compare groups of (repeatable)."
    ),
    reference: list[str] | None = typer.Option(
        None,
        "--reference",
        help="ATTRIBUTE=GROUP: the group others are compared with (repeatable).",
    ),
    min_n: int = typer.Option(30, "--min-n", min=1, help="Smallest denominator for a verdict."),
    alpha: float = typer.Option(0.05, "--alpha", min=0.0, max=1.0, help="Significance level."),
    adjust: AdjustMethod = typer.Option(
        AdjustMethod.holm, "--adjust", help="p-value adjustment across the whole report."
    ),
    min_ratio: float = typer.Option(0.8, "--min-ratio", help="Ratios below this matter."),
    max_ratio: float = typer.Option(1.25, "--max-ratio", help="Ratios above this matter."),
    review_threshold: float | None = typer.Option(
        None,
        "--review-threshold",
        help="Contract mode: model review threshold (default: 0.7 quantile).",
    ),
    intersections: bool = typer.Option(
        True, "--intersections/--no-intersections", help="Contract mode: audit pairs of attributes."
    ),
) -> None:
    """Audit decisions (and the model) for disparities between groups; write JSON and HTML.

    Contract mode (no --label): the data is a contract extract with a `probability` column (if
    it has none, the champion model scores it). Generic mode: --label, --group, and --prediction
    or --score with --threshold. See docs/fairness.md.
    """
    from fairness import audit_contract, audit_generic, write_html

    groups = list(group or [])
    generic = any(v is not None for v in (label, prediction, score)) or bool(groups)
    references = _references(reference or [])
    if data.suffix.lower() not in (".csv", ".parquet"):
        raise typer.BadParameter(BAD_SUFFIX, param_hint="--data")
    options: dict[str, Any] = {
        "reference": references,
        "min_n": min_n,
        "alpha": alpha,
        "adjust": adjust.value,
        "ratio_band": (min_ratio, max_ratio),
    }
    frame = _read(data)
    try:
        if generic:
            if label is None or not groups or (prediction is None and score is None):
                raise ValueError(GENERIC_OPTIONS_NEED_LABEL)
            report = audit_generic(
                frame,
                label=label,
                groups=groups,
                prediction=prediction,
                score=score,
                threshold=threshold,
                **options,
            )
        else:
            if threshold is not None:
                raise ValueError(THRESHOLD_IN_CONTRACT_MODE)
            scored_by = None
            if "probability" not in frame.columns:
                frame, scored_by = _score(frame, data)
            report = audit_contract(
                frame, threshold=review_threshold, intersections=intersections, **options
            )
            if scored_by is not None:
                report.settings["scored_by"] = scored_by
    except ValueError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from error
    out.parent.mkdir(parents=True, exist_ok=True)
    report.write_json(out)
    written = [str(out)]
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        write_html(report, html)
        written.append(str(html))
    verdicts = [f.verdict for f in report.findings]
    typer.echo(
        f"Audited {report.rows:,} rows: {verdicts.count('disparity')} disparities, "
        f"{verdicts.count('insufficient_data')} comparisons with too little data "
        f"({report.adjustment['comparisons']} comparisons, {report.adjustment['method']} "
        f"adjustment). Wrote {' and '.join(written)}."
    )
    for line in report.headlines[:5]:
        typer.echo(f"- {line}")


def _references(values: list[str]) -> dict[str, str]:
    out = {}
    for value in values:
        attribute, sep, group = value.partition("=")
        if not sep or not attribute.strip() or not group.strip():
            raise typer.BadParameter(BAD_REFERENCE.format(value=value), param_hint="--reference")
        out[attribute.strip()] = group.strip()
    return out


def _read(path: Path) -> pd.DataFrame:
    """Read every column as text (so codes like ``09`` survive); the audit parses what it needs."""
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix == ".csv":
        return pd.read_csv(path, dtype="string", keep_default_na=False, na_values=[""])
    if suffix == ".parquet":
        return pd.read_parquet(path)
    raise typer.BadParameter(BAD_SUFFIX, param_hint="--data")


def _score(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    """Add the champion's probability, band and surface share (via the one assess function).

    Returns the frame and the scoring model's name, version and run id, for the report.
    """
    try:
        from data.io import read_contacts
        from models.assess import assess_frame
        from models.registry import load_champion

        loaded = load_champion()
        assessed = assess_frame(loaded.model, read_contacts(path))
    except Exception as error:  # any failure to load or score is reported, not hidden
        typer.echo(f"Error: {CANNOT_SCORE.format(error=error)}", err=True)
        raise typer.Exit(2) from error
    if len(assessed) != len(frame) or list(assessed["contact_id"].astype(str)) != list(
        frame["contact_id"].astype(str)
    ):
        typer.echo("Error: the scored contacts do not line up with the file's rows", err=True)
        raise typer.Exit(2)
    scored = frame.assign(
        probability=assessed["probability"].to_numpy(),
        band=assessed["band"].to_numpy(),
        surface_share=assessed["surface_share"].to_numpy(),
    )
    model = {"name": loaded.name, "version": loaded.version, "run_id": loaded.run_id}
    return scored, model
