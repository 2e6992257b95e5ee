"""Trust records for tests: the shared champion was trained without a service database, so a
test's fresh database records it as the champion's promotion would have (service.model_trust)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from config.settings import Settings
from service.auth.schemas import Caller, Role


def trust_champion(settings: Settings) -> None:
    """Record the registry's champion in the settings' database, as its promotion would have
    (the shared champion was trained without a service database)."""
    from service.db import open_database
    from service.migrate import upgrade_engine
    from service.model_trust.service import record_champion_change, trust_event

    db = open_database(settings)
    try:
        upgrade_engine(db.engine)
        record_champion_change(db, trust_event(settings), by=Caller("cli:test", Role.ADMIN))
    finally:
        db.dispose()


def promotion_recorder(settings: Settings) -> Callable[[dict[str, Any]], None]:
    """A promotion hook recording each new champion in the settings' database, as the command
    line's does (``train_file(..., on_promotion=promotion_recorder(settings))``)."""
    from service.db import open_database
    from service.model_trust.service import record_champion_change

    def record(event: dict[str, Any]) -> None:
        db = open_database(settings)
        try:
            record_champion_change(db, dict(event), by=Caller("cli:test", Role.ADMIN))
        finally:
            db.dispose()

    return record
