"""`triage train`, `triage score` and `triage evaluate`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from models.model import Family


def _progress():
    from cli.quickstart_cmd import _console_log

    return _console_log()


def train(
    data: Path = typer.Option(..., "--data", exists=True, dir_okay=False, help="Contract extract."),
    linear_only: bool = typer.Option(False, "--linear-only", help="Skip the tree candidates."),
) -> None:
    """Train, evaluate, log to MLflow and register a version; `champion` only if gates pass."""
    from cli.models_cmd import audit_hook
    from config import get_settings
    from training.pipeline import train_file

    settings = get_settings()
    families: tuple[Family, ...] = ("linear",) if linear_only else ("linear", "tree")
    result = train_file(
        data, settings, families=families, progress=_progress(), on_promotion=audit_hook()
    )
    m = result.evaluation.metrics
    typer.echo(
        f"Registered {settings.model_name} version {result.version} "
        f"(family {result.model.family}, labels {result.model.label_strategy})."
    )
    typer.echo(
        f"Out-of-fold AUC {m['auc']:.3f} (95% CI {m['auc_ci_low']:.3f}-{m['auc_ci_high']:.3f}), "
        f"calibration error {m['calibration_error']:.3f}."
    )
    if "truth_auc_ratio" in m:
        typer.echo(
            f"Synthetic truth: AUC ratio {m['truth_auc_ratio']:.3f}, "
            f"mean estimate / mean true risk {m['truth_mean_ratio']:.3f}."
        )
    for gate in result.gates:
        typer.echo(f"  {'PASS' if gate.passed else 'FAIL'} {gate.name}: {gate.detail}")
    if not result.champion:
        typer.echo("Not promoted: the version was registered without the champion alias.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Version {result.version} is now the champion.")


def score(
    data: Path = typer.Option(
        ..., "--data", exists=True, dir_okay=False, help="Contacts to score."
    ),
    out: Path = typer.Option(..., "--out", help="Output file, .csv or .parquet."),
) -> None:
    """Batch-score a file with the champion: probability, band, surface share, top contributions."""
    from config import get_settings
    from data.io import read_contacts
    from models.assess import assess_frame
    from models.registry import NoChampionError, load_champion

    settings = get_settings()
    try:
        loaded = load_champion(settings)
    except NoChampionError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    frame = read_contacts(data)
    table = assess_frame(loaded.model, frame, surface_threshold=settings.surface_share_threshold)
    table["model_version"] = loaded.version
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".parquet":
        table.to_parquet(out, index=False)
    elif out.suffix.lower() == ".csv":
        table.to_csv(out, index=False)
    else:
        raise typer.BadParameter("must end in .csv or .parquet", param_hint="--out")
    typer.echo(f"Scored {len(table):,} contacts with {loaded.name} version {loaded.version}.")


def evaluate(
    data: Path = typer.Option(..., "--data", exists=True, dir_okay=False, help="Held-out extract."),
    version: str = typer.Option(None, "--version", help="Model version (default: champion)."),
) -> None:
    """Evaluate a registered version on a held-out extract (with truth, if synthetic)."""
    import json

    from config import get_settings
    from data.io import read_contacts
    from models import features as F
    from models.registry import NoChampionError, load_version
    from training.evaluate import evaluate as evaluate_frame

    settings = get_settings()
    try:
        loaded = load_version(settings, version=version)
    except NoChampionError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    frame = read_contacts(data)
    result = evaluate_frame(frame, loaded.model.probability(F.build_matrix(frame)))
    typer.echo(json.dumps({"model_version": loaded.version, **result.metrics}, indent=2))
    if result.has_truth:
        for g in result.groups:
            typer.echo(
                f"{g['attribute']:>15} {g['group']:>6} n={g['n']:>6} "
                f"estimate {g['mean_estimate']:.3f} truth {g['truth_mean']:.3f} "
                f"ratio {g['truth_mean_ratio']:.3f}"
            )
