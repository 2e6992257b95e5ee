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


def import_cin(
    files: list[Path] = typer.Argument(..., help="CIN census returns (XML), any years, any order."),
    out: Path = typer.Option(..., "--out", help="The extract to write, .csv or .parquet."),
    problems: Path | None = typer.Option(
        None, "--problems", help="Write every problem found to this CSV (holds LAchildID)."
    ),
) -> None:
    """Import CIN census returns into a contract extract; name every problem; exit 1 if none
    could be imported."""
    from config.settings import InsecureSettings, get_settings
    from data.cin_census.importer import import_returns, write_problems
    from data.cin_census.keys import pseudonym_key
    from data.io import file_format, write_contacts

    try:
        file_format(out)
        key = pseudonym_key(get_settings())
    except (ValueError, InsecureSettings) as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        typer.secho(f"cannot read {', '.join(missing)}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    result = import_returns(files, key=key)
    if result.written:
        write_contacts(result.frame, out)
    if problems is not None:
        write_problems(result.problems, problems)
    typer.echo(
        f"{result.children:,} children, {result.referrals_read:,} referrals read, "
        f"{result.merged:,} merged across returns, {result.written:,} written to "
        f"{out if result.written else '(nothing)'}."
    )
    for reason, count in sorted(result.skipped_by_reason().items()):
        typer.echo(f"skipped {count:,}: {reason}")
    named = len(result.problems)
    where = f" in {problems}" if problems is not None else " (use --problems to list them)"
    typer.echo(f"{named:,} {'problem' if named == 1 else 'problems'} named{where}")
    raise typer.Exit(0 if result.written else 1)
