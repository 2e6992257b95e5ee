"""`triage serve`, `triage users ...` and `triage audit verify|head`: the service and its database.

Every command that opens the database first brings its schema up to date, so a fresh
``TRIAGE_HOME`` needs no setup step. Heavy imports happen inside the commands.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

if TYPE_CHECKING:
    from config.settings import Settings
    from service.auth.schemas import Caller
    from service.db import Database

ROLES = ("duty_worker", "team_leader", "data_team", "admin")
DEFAULT_TOKEN_DAYS = (
    90  # as service.auth.service.DEFAULT_TOKEN_DAYS (not imported: keeps start-up fast)
)
T = TypeVar("T")


def serve(
    host: str = typer.Option(
        None, "--host", help="Address to bind (default TRIAGE_HOST, 127.0.0.1)."
    ),
    port: int = typer.Option(
        None, "--port", min=1, max=65535, help="Port (default TRIAGE_PORT, 8000)."
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
) -> None:
    """Run the HTTP service (OpenAPI document at /docs and /openapi.json).

    Outside development it refuses default secrets (TRIAGE_SECRET_KEY ...): see SECURITY.md.
    """
    import uvicorn

    from config import get_settings
    from config.settings import insecure_settings
    from service.migrate import upgrade

    settings = get_settings()
    if problems := insecure_settings(settings):  # before the database or a port is touched
        typer.echo(f"Refusing to start (TRIAGE_ENVIRONMENT={settings.environment}):", err=True)
        for problem in problems:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(1)
    upgrade(settings)
    uvicorn.run(
        "service.app:serve_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        access_log=False,  # the service logs one line per request, without query strings
        log_config=log_config(),
    )


def log_config() -> dict:
    """Uvicorn's logging configuration plus the service's own logger."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["triage"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def users_add(
    name: str = typer.Argument(
        ..., metavar="NAME", help="A unique name (letters, digits, . _ @ -)."
    ),
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    expires_in_days: int = typer.Option(
        DEFAULT_TOKEN_DAYS,
        "--expires-in-days",
        help="Token lifetime (TRIAGE_TOKEN_MAX_DAYS caps it).",
    ),
    team: list[str] = typer.Option(
        [],
        "--team",
        help="A team whose work they see; repeat for more (duty workers and leaders need one).",
    ),
) -> None:
    """Create a user and print their API token once (only its hash is stored)."""
    from service.auth.schemas import Role
    from service.auth.service import add_user

    if role not in ROLES:
        raise typer.BadParameter(f"must be one of {', '.join(ROLES)}", param_hint="--role")
    max_days = _token_max_days(expires_in_days)
    db = _open()
    try:
        with db.write.begin() as session:  # the command is the unit of work
            token = _domain(
                lambda: add_user(
                    session,
                    name,
                    Role(role),
                    by=_cli_caller(),
                    days=expires_in_days,
                    max_days=max_days,
                    teams=team,
                )
            )
    finally:
        db.dispose()
    typer.echo(token)
    in_teams = f" in {', '.join(dict.fromkeys(team))}" if team else ""
    typer.echo(
        f"Created {role} {name}{in_teams}; the token expires in {expires_in_days} days. "
        "It is shown once; keep it safe.",
        err=True,
    )


def _token_max_days(expires_in_days: int) -> int:
    """The longest lifetime a token may have (TRIAGE_TOKEN_MAX_DAYS), after checking this one."""
    from config.settings import get_settings

    max_days = get_settings().token_max_days
    if not 1 <= expires_in_days <= max_days:
        raise typer.BadParameter(f"must be 1 to {max_days} days", param_hint="--expires-in-days")
    return max_days


def users_rotate(
    name: str = typer.Argument(..., metavar="NAME", help="The user whose token to replace."),
    expires_in_days: int = typer.Option(
        DEFAULT_TOKEN_DAYS, "--expires-in-days", help="New token's lifetime (capped as for add)."
    ),
    overlap_hours: float = typer.Option(
        0.0, "--overlap-hours", min=0, help="Hours the old token keeps working (0: stops now)."
    ),
) -> None:
    """Print a new API token for NAME once; the old one stops (after the overlap, if any)."""
    from service.auth.service import rotate_token

    max_days = _token_max_days(expires_in_days)
    db = _open()
    try:
        with db.write.begin() as session:  # the command is the unit of work
            token = _domain(
                lambda: rotate_token(
                    session,
                    name,
                    by=_cli_caller(),
                    days=expires_in_days,
                    max_days=max_days,
                    overlap_hours=overlap_hours,
                )
            )
    finally:
        db.dispose()
    typer.echo(token)
    old = f"works {overlap_hours:g} more hours" if overlap_hours else "has stopped working"
    typer.echo(f"Rotated {name}'s token; the old one {old}. Shown once; keep it safe.", err=True)


def users_teams(
    name: str = typer.Argument(..., metavar="NAME", help="The duty worker or team leader."),
    team: list[str] = typer.Option(
        ..., "--team", help="A team whose work they see; repeat for more. Replaces their teams."
    ),
) -> None:
    """Set the teams whose work a duty worker or team leader sees (audited)."""
    from service.auth.service import change_teams

    db = _open()
    try:
        with db.write.begin() as session:  # the command is the unit of work
            teams = _domain(lambda: change_teams(session, name, team, by=_cli_caller()))
    finally:
        db.dispose()
    typer.echo(f"{name} now works in {', '.join(teams)}.")


def users_list() -> None:
    """List users, their roles and teams, whether revoked, and when their token expires."""
    from service.auth.service import list_users
    from service.auth.teams import user_teams

    db = _open()
    try:
        with db.read() as session:
            users = list_users(session)
            teams = {user.name: sorted(user_teams(session, user.name)) for user in users}
    finally:
        db.dispose()
    if not users:
        typer.echo("No users yet: add one with `triage users add NAME --role ROLE`.")
    for user in users:
        state = f"revoked {user.revoked_at:%Y-%m-%d %H:%M}" if user.revoked_at else "active"
        created, expires = f"{user.created_at:%Y-%m-%d %H:%M}", f"{user.expires_at:%Y-%m-%d %H:%M}"
        scoped = user.role in ("duty_worker", "team_leader")
        team_list = ",".join(teams[user.name]) or ("no team" if scoped else "all teams")
        typer.echo(
            f"{user.name}\t{user.role}\t{team_list}\t{state}\tcreated {created}\texpires {expires}"
        )


def users_revoke(
    name: str = typer.Argument(..., metavar="NAME", help="The user to revoke."),
) -> None:
    """Revoke a user's token at once; their past actions stay attributed to them."""
    from service.auth.service import revoke_user

    db = _open()
    try:
        with db.write.begin() as session:  # the command is the unit of work
            user = _domain(lambda: revoke_user(session, name, by=_cli_caller()))
    finally:
        db.dispose()
    typer.echo(f"Revoked {user.name} ({user.role}).")


def audit_verify(
    head: Path = typer.Option(
        None,
        "--head",
        exists=True,
        dir_okay=False,
        help="A head file from `triage audit head`: the chain must still hold it.",
    ),
) -> None:
    """Check the audit chain (HMAC), its head against a kept head file, and that every stored
    note and contact body still matches its audited fingerprint; exit 1 naming what fails."""
    import json

    from service.audit import anchor
    from service.audit.service import verify
    from service.integrity import stored_text

    db = _open()
    try:
        with db.read() as session:
            result = verify(session)
            problems = [] if result.ok else [result.describe()]
            if head is not None:
                kept = json.loads(head.read_text(encoding="utf-8"))
                if (problem := anchor.head_problem(session, kept)) is not None:
                    problems.append(f"head file {head.name}: {problem}")
            problems += stored_text.problems(session)
    finally:
        db.dispose()
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        raise typer.Exit(1)
    anchored = f"; the chain holds the head file's entry {kept['seq']}" if head else ""
    typer.echo(f"{result.describe()}{anchored}; every stored note and body matches the trail")


def audit_head(
    out: Path = typer.Option(..., "--out", dir_okay=False, help="Where to write the head (JSON)."),
) -> None:
    """Write the audit chain's signed head (sequence, hash, time) to keep outside the database."""
    import json

    from service.audit.anchor import head_record

    db = _open()
    try:
        with db.read() as session:
            record = head_record(session)
    finally:
        db.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    typer.echo(f"Wrote the head (entry {record['seq']}, {record['at']}) to {out}.")


def _open(settings: Settings | None = None) -> Database:
    """The settings' database, its schema brought up to date first."""
    from config import get_settings
    from service.db import open_database
    from service.migrate import upgrade_engine

    db = open_database(settings or get_settings())
    upgrade_engine(db.engine)
    return db


def _cli_caller() -> Caller:
    """Who the audit trail names for a command run at the terminal."""
    from service.auth.schemas import Caller, Role

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Caller(f"cli:{who}", Role.ADMIN)


def _domain(action: Callable[[], T]) -> T:
    """Run a service call; print a domain error's detail and exit 1 instead of a traceback."""
    from service.errors import DomainError

    try:
        return action()
    except DomainError as error:
        detail = error.detail
        if isinstance(detail, list):  # field errors
            detail = "; ".join(f"{e['loc'][-1]} {e['msg']}" for e in detail)
        typer.echo(f"Error: {detail}", err=True)
        raise typer.Exit(1) from None
