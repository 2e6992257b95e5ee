"""`triage data generate`: write a synthetic historical extract."""

from __future__ import annotations

from pathlib import Path

import typer


def generate(
    rows: int = typer.Option(10_000, "--rows", min=1, help="Number of contacts."),
    seed: int = typer.Option(0, "--seed", help="Random seed: same seed, same bytes."),
    out: Path = typer.Option(
        ..., "--out", help="Output file, .csv or .parquet (a folder with --format cin-xml)."
    ),
    months: int = typer.Option(24, "--months", min=1, help="Months of contacts to spread over."),
    start: str = typer.Option("2023-04-01", "--start", help="First month (YYYY-MM-DD)."),
    teen_resilience: float = typer.Option(
        0.9, help="Shortcut: 13-15-year-olds seen as resilient (log-odds; 0 = off)."
    ),
    anonymous_malicious: float = typer.Option(
        1.2, help="Shortcut: anonymous contacts seen as malicious (log-odds; 0 = off)."
    ),
    individual_suspect: float = typer.Option(
        0.6, help="Shortcut: family and neighbour contacts seen as suspect (log-odds; 0 = off)."
    ),
    workload: float = typer.Option(
        1.0, help="Shortcut: rise of the NFA cut per 100% of volume above usual (0 = off)."
    ),
    no_shortcuts: bool = typer.Option(False, "--no-shortcuts", help="Set every shortcut to 0."),
    format: str = typer.Option(
        "table",
        "--format",
        help="table: one contract file; cin-xml: CIN census returns, one per collection year.",
    ),
) -> None:
    """Write a synthetic front-door extract from the documented generating process.

    See docs/synthetic-data.md for every parameter and where it comes from.
    """
    from config.settings import get_settings
    from data.io import write_contacts
    from data.synthetic import GeneratorConfig, Shortcuts
    from data.synthetic import generate as generate_frame

    if format not in ("table", "cin-xml"):
        raise typer.BadParameter("must be table or cin-xml", param_hint="--format")
    if format == "table" and out.suffix.lower() not in (".csv", ".parquet"):
        raise typer.BadParameter("must end in .csv or .parquet", param_hint="--out")
    shortcuts = (
        Shortcuts.none()
        if no_shortcuts
        else Shortcuts(teen_resilience, anonymous_malicious, individual_suspect, workload)
    )
    settings = get_settings()
    config = GeneratorConfig(
        rows=rows,
        seed=seed,
        start=start,
        months=months,
        shortcuts=shortcuts,
        decision_due_working_days=settings.decision_due_working_days,
        assessment_due_working_days=settings.assessment_due_working_days,
    )
    with _status(f"Generating {rows:,} contacts"):
        frame = generate_frame(config)
    if format == "cin-xml":
        _write_census(frame, out, seed)
        return
    with _status(f"Writing {out}"):
        write_contacts(frame, out)
    observed = frame["outcome_need_12m"].notna().mean()
    typer.echo(
        f"Wrote {rows:,} contacts to {out} (mean true risk {frame['true_risk'].mean():.3f}, "
        f"outcomes observed for {observed:.1%})."
    )


def _write_census(frame, out: Path, seed: int) -> None:
    from data.cin_census.writer import write_returns

    with _status(f"Writing census returns to {out}"):
        paths, truth = write_returns(frame, out, seed=seed)
    typer.echo(
        f"Wrote {len(truth):,} referrals ({len(frame):,} contacts generated; early help, "
        f"signposting and more-information are not census referrals) as {len(paths)} CIN "
        f"census returns in {out}: {', '.join(p.name for p in paths)}."
    )


def _status(message: str):
    from rich.console import Console

    return Console(stderr=True).status(message)
