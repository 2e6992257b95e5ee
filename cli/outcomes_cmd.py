"""`triage outcomes import` and `triage export`: outcomes in, the service's history out."""

from __future__ import annotations

from pathlib import Path

import typer


def import_outcomes(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="CSV with contact_id and outcome_need_12m."
    ),
) -> None:
    """Record outcomes from a CSV (all or nothing); every bad row is named."""
    import pandas as pd

    from cli.service_cmd import _cli_caller, _domain, _open
    from data.contract import FALSE_STRINGS, TRUE_STRINGS
    from service.outcomes.service import record_outcomes

    raw = pd.read_csv(file, dtype=str, keep_default_na=False)
    missing = [c for c in ("contact_id", "outcome_need_12m") if c not in raw.columns]
    if missing:
        typer.echo(f"{file}: missing column(s) {', '.join(missing)}", err=True)
        raise typer.Exit(1)
    values = raw["outcome_need_12m"].str.strip().str.lower()
    bad = ~values.isin(TRUE_STRINGS | FALSE_STRINGS)
    for row in raw.index[bad]:
        typer.echo(
            f"row {row + 1}, column outcome_need_12m: {raw.at[row, 'outcome_need_12m']!r} "
            "is not a boolean (true/false, 1/0, Y/N)",
            err=True,
        )
    if bad.any():
        raise typer.Exit(1)
    pairs = list(zip(raw["contact_id"].str.strip(), values.isin(TRUE_STRINGS), strict=True))
    db = _open()
    try:
        with db.write.begin() as session:  # the command is the unit of work
            stored = _domain(lambda: record_outcomes(session, pairs, by=_cli_caller()))
    finally:
        db.dispose()
    typer.echo(f"Recorded {len(stored):,} outcomes.")


def export(
    out: Path = typer.Option(..., "--out", help="Output file, .csv or .parquet."),
    with_free_text: bool = typer.Option(
        False,
        "--with-free-text",
        help="Include narratives, decision notes and late notes (left out by default).",
    ),
) -> None:
    """Write the stored contacts, current decisions (with due days and late reasons), the
    assessments' completions and the outcomes as a contract extract.

    In a CSV, text cells starting with = + - @ tab or CR are prefixed with ' (CSV injection).
    """
    from cli.service_cmd import _open
    from config import get_settings
    from data.io import write_contacts
    from service.exports.contract import contract_extract, spreadsheet_safe
    from service.timeliness.service import options_for

    if out.suffix.lower() not in (".csv", ".parquet"):
        raise typer.BadParameter("must end in .csv or .parquet", param_hint="--out")
    db = _open()
    try:
        with db.read() as session:
            frame = contract_extract(
                session,
                free_text=with_free_text,
                rules=options_for(get_settings(), with_notes=False),
            )
    finally:
        db.dispose()
    # Spreadsheets run cells like "=..." as formulas; Parquet is read by code, kept exact.
    write_contacts(spreadsheet_safe(frame) if out.suffix.lower() == ".csv" else frame, out)
    labelled = int(frame["outcome_need_12m"].notna().sum())
    typer.echo(f"Wrote {len(frame):,} contacts ({labelled:,} with an outcome) to {out}.")
