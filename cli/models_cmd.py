"""`triage retrain` and `triage models list|promote|rollback`: which version is the champion."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from models.model import Family

NO_VERSIONS = "No versions are registered yet: run `triage train` or `triage retrain`."


def _progress():
    from cli.quickstart_cmd import _console_log

    return _console_log()


def _show(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:.3f}"


def retrain(
    data: Path = typer.Option(..., "--data", exists=True, dir_okay=False, help="Contract extract."),
    linear_only: bool = typer.Option(False, "--linear-only", help="Skip the tree candidates."),
) -> None:
    """Train a challenger; it replaces the champion only if no worse on the same rows (else exit 1).

    The challenger's out-of-fold estimates and the champion's estimates of the same contacts are
    judged by the same quality and fairness gates; the challenger must pass every gate and lose
    no more than TRIAGE_RETRAIN_MAX_AUC_LOSS of AUC nor gain more than
    TRIAGE_RETRAIN_MAX_CALIBRATION_INCREASE of calibration error. Without a champion, this is
    `triage train`.
    """
    from config import get_settings
    from training.retrain import metrics_table, retrain_file

    settings = get_settings()
    families: tuple[Family, ...] = ("linear",) if linear_only else ("linear", "tree")
    try:
        result = retrain_file(
            data, settings, families=families, progress=_progress(), on_promotion=audit_hook()
        )
    except ValueError as error:
        typer.echo(f"Error: could not train a challenger on {data}: {error}", err=True)
        raise typer.Exit(2) from error
    challenger = result.challenger
    typer.echo(
        f"Registered challenger {settings.model_name} version {challenger.version} "
        f"(family {challenger.model.family}, {challenger.evaluation.metrics['rows']:,.0f} rows)."
    )
    if result.champion_version is not None:
        typer.echo(
            f"On the same rows: challenger out of fold, champion version "
            f"{result.champion_version} never trained on them."
        )
        typer.echo(f"  {'metric':<20}{'challenger':>12}{'champion':>12}")
        for name, new, old in metrics_table(result):
            typer.echo(f"  {name:<20}{_show(new):>12}{_show(old):>12}")
        for gate in result.champion_gates:
            typer.echo(
                f"  champion   {'PASS' if gate.passed else 'FAIL'} {gate.name}: {gate.detail}"
            )
    for gate in challenger.gates:
        typer.echo(f"  challenger {'PASS' if gate.passed else 'FAIL'} {gate.name}: {gate.detail}")
    for note in result.notes:
        typer.echo(f"Note: {note}")
    if not result.promoted:
        kept = result.champion_version or "none"
        typer.echo(
            f"Not promoted; the champion stays version {kept}. Why: " + "; ".join(result.reasons),
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(
        f"Version {challenger.version} is now the champion"
        + (f" (was {result.champion_version})." if result.champion_version else ".")
    )


def list_models(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List registered versions: alias, key metrics, gate results, when created."""
    import json

    from config import get_settings
    from training.promotion import list_versions

    versions = list_versions(get_settings())
    if as_json:
        typer.echo(json.dumps([v.to_dict() for v in versions], indent=2, allow_nan=False))
        return
    if not versions:
        typer.echo(NO_VERSIONS)
        return
    header = f"{'version':>7}  {'alias':<9} {'family':<7} {'AUC':>6} {'cal.err':>7}  "
    typer.echo(header + f"{'created':<25} gates")
    for v in versions:
        failed = v.failed_gates
        gates = (
            "pass" if v.gates and not failed else ("fail: " + ", ".join(failed) if failed else "-")
        )
        typer.echo(
            f"{v.version:>7}  {','.join(v.aliases) or '-':<9} {v.family or '-':<7} "
            f"{_show(v.metrics.get('auc', math.nan)):>6} "
            f"{_show(v.metrics.get('calibration_error', math.nan)):>7}  {v.created:<25} {gates}"
        )


def promote(
    version: str = typer.Argument(..., help="The version to make the champion."),
    force: bool = typer.Option(
        False, "--force", help="Promote even if a gate failed (needs --reason)."
    ),
    reason: str = typer.Option(
        None, "--reason", help="Why; recorded in the history (and on the version if forced)."
    ),
) -> None:
    """Make a version the champion if its gates passed and it is no worse than the champion.

    The same policy as `triage retrain` (docs/model.md, "Promotion policy"), on the figures each
    version's training recorded. --force overrides it only with --reason, which is recorded.
    """
    from config import get_settings
    from training.promotion import PromotionError
    from training.promotion import promote as promote_version

    try:
        event = promote_version(
            get_settings(), version, force=force, reason=reason, on_promotion=audit_hook()
        )
    except PromotionError as error:
        typer.echo(f"Refused: {error}", err=True)
        raise typer.Exit(1) from error
    forced = " (forced past failed gates)" if event["forced"] else ""
    typer.echo(f"Version {event['version']} is now the champion{forced} (was {event['previous']}).")
    if event["forced"]:
        typer.echo(f"Reason recorded: {reason}")


def rollback(
    reason: str = typer.Option("rolled back by hand", "--reason", help="Recorded in the history."),
) -> None:
    """Give the champion alias back to the previous champion."""
    from config import get_settings
    from training.promotion import PromotionError
    from training.promotion import rollback as rollback_champion

    try:
        event = rollback_champion(get_settings(), reason=reason, on_promotion=audit_hook())
    except PromotionError as error:
        typer.echo(f"Refused: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(
        f"Rolled back: version {event['version']} is the champion again (was {event['previous']})."
    )


def history(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of lines."),
) -> None:
    """Show every change of champion, oldest first."""
    import json

    from config import get_settings
    from training.promotion import champion_history

    events = champion_history(get_settings())
    if as_json:
        typer.echo(json.dumps(events, indent=2))
        return
    for e in events:
        change = f"version {e['version']} (was {e['previous']})"
        typer.echo(f"{e['at']}  {e['action']:<10} {change}: {e['reason']}")


def trust(
    force: bool = typer.Option(
        False, "--force", help="Record it even though a gate failed (needs --reason)."
    ),
    reason: str = typer.Option(None, "--reason", help="Why; recorded in the audit trail."),
) -> None:
    """Record the current champion in the service database so the service will load it.

    For a champion promoted before the service recorded champions (an upgrade): its model
    file's SHA-256 and its gates as the registry holds them now. Promotions record themselves.
    """
    from config import get_settings
    from service.model_trust.service import UntrustedModel, trust_event

    try:
        event = trust_event(get_settings(), force=force, reason=reason)
    except UntrustedModel as error:
        typer.echo(f"Refused: {error}", err=True)
        raise typer.Exit(1) from error
    audit_hook()(event)
    typer.echo(
        f"Recorded version {event['version']} (model file SHA-256 {event['artifact_sha256']})."
    )


def audit_hook():
    """A promotion hook that logs the change, records the champion's model-file hash and gates
    in the service database and appends the change to its audit trail (exit 1 if refused)."""
    from cli.service_cmd import _cli_caller, _open
    from service.model_trust.service import UntrustedModel, record_champion_change
    from training.promotion import log_promotion

    def hook(event):
        log_promotion(event)
        db = _open()
        try:
            record_champion_change(db, dict(event), by=_cli_caller())
        except UntrustedModel as error:
            typer.echo(f"Refused by the service database: {error}", err=True)
            raise typer.Exit(1) from error
        finally:
            db.dispose()

    return hook
