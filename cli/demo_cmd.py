"""`triage demo seed`: fill an empty store with synthetic demonstration data (never production)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from config.settings import Settings
    from service.demo.seed import DemoOptions, SeedResult


def seed(
    data: Path | None = typer.Option(
        None, "--data", help="Extract to load (default: the quickstart's, made if missing)."
    ),
    months: int = typer.Option(3, "--months", min=1, max=24, help="Months back from today."),
    per_team: int = typer.Option(300, "--per-team", min=1, help="Most contacts per team."),
    undecided: int = typer.Option(
        5, "--undecided", min=0, help="Newest contacts per team left undecided for the inbox."
    ),
) -> None:
    """Load a recent slice of a synthetic extract, moved to end today, through the service.

    Refuses a store that already holds contacts and TRIAGE_ENVIRONMENT=production. Every row is
    recorded by "demo-seed" in the audit trail.
    """
    from config import get_settings
    from service.demo.seed import DemoOptions
    from service.errors import Conflict

    settings = get_settings()
    path = data or quickstart_extract(settings)
    options = DemoOptions(months=months, per_team=per_team, undecided=undecided)
    try:
        result = load_demo(settings, path, options)
    except Conflict as error:
        typer.echo(f"Refused: {error.detail}", err=True)
        raise typer.Exit(1) from None
    typer.echo(describe(result))


def quickstart_extract(settings: Settings) -> Path:
    """The quickstart's synthetic extract, generated first if it is not there."""
    from cli.quickstart_cmd import QUICKSTART_ROWS, QUICKSTART_SEED
    from data.io import write_contacts
    from data.synthetic import GeneratorConfig, generate

    path = settings.data_dir / f"synthetic-{QUICKSTART_ROWS}-seed{QUICKSTART_SEED}.csv"
    if not path.exists():
        typer.echo(f"Generating {QUICKSTART_ROWS:,} synthetic contacts into {path} ...")
        config = GeneratorConfig(rows=QUICKSTART_ROWS, seed=QUICKSTART_SEED)
        write_contacts(generate(config), path)
    return path


def load_demo(settings: Settings, path: Path, options: DemoOptions) -> SeedResult:
    """Seed the settings' store from ``path`` with a progress bar; Conflict when refused."""
    from rich.progress import Progress

    from cli.service_cmd import _open
    from data.io import read_contacts
    from data.workdays import SystemClock
    from models.registry import load_champion
    from service.demo.seed import check_can_seed, seed_demo

    db = _open(settings)
    try:
        check_can_seed(db, settings)  # before the slow part: reading and scoring
        frame = read_contacts(path)
        loaded = load_champion(settings)
        with Progress(transient=True) as bar:
            tasks: dict[str, object] = {}

            def show(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(f"Demonstration {stage}", total=total)
                bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

            return seed_demo(
                db,
                loaded,
                frame,
                settings=settings,
                now=SystemClock().now(),
                options=options,
                progress=show,
            )
    finally:
        db.dispose()


def describe(result: SeedResult) -> str:
    """One line saying what was loaded."""
    return (
        f"Loaded synthetic demonstration data (actor demo-seed): {result.contacts:,} contacts, "
        f"{result.decisions:,} decisions, {result.completions:,} completed assessments, "
        f"{result.undecided:,} left undecided for the inbox. Teams: {', '.join(result.teams)}; "
        "a user sees a team's work once added to it (triage users add NAME --role duty_worker "
        "--team TEAM)."
    )
