"""`triage monitor`: drift, decision patterns, workload and performance, month by month."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

    from config.settings import Settings
    from monitoring.registry import Reference

# Columns a file may add to the contract: the estimate each contact was given and its model.
ESTIMATE_COLUMNS: tuple[str, ...] = ("probability", "band", "surface_share")
BAD_SUFFIX = "must end in .csv or .parquet"
CANNOT_SCORE = (
    "the data has no 'probability' column and version {version} could not score it ({error})"
)
ALERTS_SHOWN = 10


def monitor(
    data: Path = typer.Option(
        None,
        "--data",
        exists=True,
        dir_okay=False,
        help="Contacts, .csv or .parquet (default: the service's own store).",
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the JSON report."),
    html: Path | None = typer.Option(None, "--html", help="Also write a self-contained HTML page."),
    record: bool = typer.Option(
        False, "--record", help="Add the report's summary to the reference version's model card."
    ),
    version: str | None = typer.Option(
        None, "--version", help="Reference model version (default: the champion)."
    ),
    now: str | None = typer.Option(
        None, "--now", help="Judge as of this date, e.g. 2026-01-31 (default: now)."
    ),
    min_n: int | None = typer.Option(
        None, "--min-n", min=1, help="Fewest contacts to judge a month (TRIAGE_MONITOR_MIN_N)."
    ),
    alpha: float | None = typer.Option(
        None, "--alpha", min=0.0, max=1.0, help="Level of Holm-adjusted p (TRIAGE_MONITOR_ALPHA)."
    ),
) -> None:
    """Monitor contacts (a file, or the service's store) against the champion, month by month.

    Months are calendar months of `received_at` in Europe/London. If the file has no
    `probability` column, the reference version scores it. See docs/monitoring.md.
    """
    from config import get_settings
    from models.registry import NoChampionError
    from monitoring import monitor as run_monitor
    from monitoring import write_html
    from monitoring.registry import load_reference, record_summary
    from timeliness import TimelinessOptions

    settings = get_settings()
    if data is not None and data.suffix.lower() not in (".csv", ".parquet"):
        raise typer.BadParameter(BAD_SUFFIX, param_hint="--data")
    try:
        reference = load_reference(settings, version=version)
    except (NoChampionError, LookupError) as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from error
    reviews = flags = break_glass = None
    if data is None:
        frame, reviews, flags, break_glass = _stored(settings)
    else:
        frame = _read(data)
    if frame.empty:
        typer.echo("Error: there are no contacts to monitor.", err=True)
        raise typer.Exit(2)
    if "probability" not in frame.columns:
        frame = _score(frame, settings, reference)
    try:
        report = run_monitor(
            frame,
            reference_profile=reference.profile,
            reference_model=reference.model,
            reviews=reviews,
            review_flags=flags,
            min_n=min_n or settings.monitor_min_n,
            alpha=alpha or settings.monitor_alpha,
            min_auc=settings.gate_min_auc,
            now=now,
            break_glass=break_glass,
            timeliness=TimelinessOptions(
                decision_due_working_days=settings.decision_due_working_days,
                assessment_due_working_days=settings.assessment_due_working_days,
            ),
        )
    except ValueError as error:
        typer.echo(f"Error: {error}", err=True)
        raise typer.Exit(2) from error
    out.parent.mkdir(parents=True, exist_ok=True)
    written = [str(report.write_json(out))]
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        written.append(str(write_html(report, html)))
    months = report.months
    typer.echo(
        f"Monitored {report.rows:,} contacts, {months[0]['month']} to {months[-1]['month']}, "
        f"against {reference.name} version {reference.version}: {len(report.alerts)} alerts. "
        f"Wrote {' and '.join(written)}."
    )
    for row in report.tables.get("flags") or []:
        typer.echo(flag_line(row))
    for alert in report.alerts[:ALERTS_SHOWN]:
        typer.echo(f"- [{alert.kind}] {alert.message}")
    if len(report.alerts) > ALERTS_SHOWN:
        typer.echo(f"- ... and {len(report.alerts) - ALERTS_SHOWN} more in {out}.")
    if record:
        path = record_summary(settings, report, version=reference.version)
        typer.echo(
            f"Recorded {path} and the monitoring history in version {reference.version}'s card."
        )


def flag_line(row: dict[str, Any]) -> str:
    """One flag's counts in words: raised, open, upheld, overturned."""
    return (
        f"- flag {row['code']}: raised {row['raised']:,} times; {row['upheld']:,} upheld, "
        f"{row['overturned']:,} overturned, {row['open']:,} open."
    )


def _stored(
    settings: Settings,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """The service's store as a contract frame with its estimates, its resolved reviews, every
    review's flag codes with its outcome, and its break-glass reads."""
    from cli.service_cmd import _open
    from service.auth.teams import break_glass_reads
    from service.exports.contract import contract_extract
    from service.monitoring.service import resolved_reviews, review_flags
    from service.timeliness.service import options_for

    rules = options_for(settings, with_notes=False)
    db = _open()
    try:
        with db.read() as session:
            return (
                contract_extract(session, with_assessment=True, rules=rules),
                resolved_reviews(session),
                review_flags(session),
                break_glass_reads(session),
            )
    finally:
        db.dispose()


def _read(path: Path) -> pd.DataFrame:
    """The typed contract frame, plus any estimate columns and ``model_version`` of the file."""
    import pandas as pd

    from data.io import read_raw
    from data.validate import ContractError, validate_frame

    raw = read_raw(path)
    checked = validate_frame(raw)
    if not checked.ok or checked.frame is None:
        typer.echo(f"Error: {path}: {ContractError(checked)}", err=True)
        raise typer.Exit(2)
    frame = checked.frame
    for column in ESTIMATE_COLUMNS:
        if column in raw.columns:
            frame[column] = pd.to_numeric(raw[column], errors="coerce").to_numpy(dtype=float)
    if "model_version" in raw.columns:
        frame["model_version"] = raw["model_version"].astype("string").to_numpy()
    return frame


def _score(frame: pd.DataFrame, settings: Settings, reference: Reference) -> pd.DataFrame:
    """Add the reference version's probability, band and surface share (the one assess)."""
    from models.assess import assess_frame
    from models.registry import load_version

    try:
        loaded = load_version(settings, version=reference.version)
        assessed = assess_frame(
            loaded.model, frame, surface_threshold=settings.surface_share_threshold
        )
    except Exception as error:  # any failure to load or score is reported, not hidden
        message = CANNOT_SCORE.format(version=reference.version, error=error)
        typer.echo(f"Error: {message}", err=True)
        raise typer.Exit(2) from error
    return frame.assign(
        probability=assessed["probability"].to_numpy(),
        band=assessed["band"].to_numpy(),
        surface_share=assessed["surface_share"].to_numpy(),
        model_version=reference.version,
    )
