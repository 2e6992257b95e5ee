"""`triage data ...`: contact-record files.

Heavy imports (pandas, pandera) happen inside each command, so `triage --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer


def validate(
    file: Path = typer.Argument(
        ..., help="A contact-record file (.csv or .parquet) to check against the data contract."
    ),
) -> None:
    """Check a contact-record file: list every problem; exit 1 if any is an error."""
    from data.io import validate_file

    try:
        report = validate_file(file)
    except (OSError, ValueError) as exc:  # missing file, unknown extension, unparseable file
        typer.secho(f"cannot read {file}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    for problem in report.problems:
        colour = typer.colors.RED if problem.severity == "error" else typer.colors.YELLOW
        typer.secho(f"{problem.severity}: {problem}", fg=colour)
    errors, warnings = len(report.errors), len(report.warnings)
    typer.echo(
        f"{report.rows:,} rows: {errors:,} {'error' if errors == 1 else 'errors'}, "
        f"{warnings:,} {'warning' if warnings == 1 else 'warnings'}"
    )
    raise typer.Exit(0 if report.ok else 1)
