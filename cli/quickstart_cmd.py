"""`triage quickstart`: from nothing to a champion trained on synthetic data, and a demo store."""

from __future__ import annotations

from pathlib import Path

import typer

QUICKSTART_ROWS = 30_000
QUICKSTART_SEED = 3


def quickstart(
    rows: int = typer.Option(QUICKSTART_ROWS, "--rows", min=1000, help="Synthetic contacts."),
    seed: int = typer.Option(QUICKSTART_SEED, "--seed", help="Seed of the synthetic extract."),
    demo_data: bool = typer.Option(
        True,
        "--demo-data/--no-demo-data",
        help="Load synthetic demonstration decisions into an empty store (triage demo seed).",
    ),
) -> None:
    """Generate a synthetic extract, train a default champion unless one exists, and load
    demonstration data into an empty store so the inbox and timeliness have something to show."""
    path = _champion(rows, seed)
    if demo_data:
        _demo(path)


def _champion(rows: int, seed: int) -> Path | None:
    """Train a default champion unless one exists; the synthetic extract to demonstrate with."""
    from cli.models_cmd import audit_hook
    from config import get_settings
    from data.io import write_contacts
    from data.synthetic import GeneratorConfig, generate
    from models.registry import NoChampionError, load_champion
    from training.pipeline import train_file

    settings = get_settings()
    path = settings.data_dir / f"synthetic-{rows}-seed{seed}.csv"
    try:
        loaded = load_champion(settings)
        typer.echo(f"Champion already registered: {loaded.name} version {loaded.version}.")
        if not _recorded(settings, loaded.version):
            typer.echo(
                "The service database has no trust record of it, so the service will not load "
                "it: check it, then run `triage models trust`.",
                err=True,
            )
        return path if path.exists() else None
    except NoChampionError:
        pass
    if not path.exists():
        typer.echo(f"Generating {rows:,} synthetic contacts into {path} ...")
        write_contacts(generate(GeneratorConfig(rows=rows, seed=seed)), path)
    typer.echo("Training a default model (a minute or two) ...")
    log = _console_log()
    result = train_file(path, settings, progress=log, on_promotion=audit_hook())
    if not result.champion:
        failed = ", ".join(g.name for g in result.gates if not g.passed)
        typer.echo(f"The default model failed its gates ({failed}); see `triage train`.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Champion: {settings.model_name} version {result.version}.")
    return path


def _demo(path: Path | None) -> None:
    """Seed an empty store with demonstration data; say why not when it is refused."""
    from cli.demo_cmd import describe, load_demo, quickstart_extract
    from config import get_settings
    from service.demo.seed import DemoOptions
    from service.errors import Conflict

    settings = get_settings()
    typer.echo("Loading synthetic demonstration data into the store (a minute or two) ...")
    try:
        result = load_demo(settings, path or quickstart_extract(settings), DemoOptions())
    except Conflict as error:
        typer.echo(f"No demonstration data loaded: {error.detail}")
        return
    typer.echo(describe(result))


def _recorded(settings, version: str) -> bool:
    """Whether the service database holds the trust record of ``version``."""
    from cli.service_cmd import _open
    from service.model_trust.tables import ModelTrust

    db = _open(settings)
    try:
        with db.read() as session:
            return session.get(ModelTrust, (settings.model_name, version)) is not None
    finally:
        db.dispose()


def _console_log():
    from rich.console import Console

    console = Console(stderr=True)
    return lambda message: console.log(message)
