"""Hot swap: pick up a new champion without a restart, never serving a half-loaded model.

The new version is loaded completely first; only then is ``app.state.champion`` replaced (one
reference assignment), so a request sees either the old model or the new one. Every stored
assessment keeps the model name, version and run id that made it. Each process polls the
registry on its own, so several replicas behind a load balancer all follow the alias.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

logger = logging.getLogger("triage.service")


def refresh_champion(app: FastAPI) -> bool:
    """Load and swap in the registry's champion if it changed; True when it did."""
    from models.registry import champion_version, load_version
    from service.audit import service as audit
    from service.auth.schemas import Caller, Role

    settings = app.state.settings
    current = app.state.champion
    version = champion_version(settings)
    if version is None or (current is not None and current.version == version):
        return False
    loaded = load_version(settings, version=version)
    app.state.champion = loaded
    logger.info("now serving %s version %s (run %s)", loaded.name, loaded.version, loaded.run_id)
    with app.state.db.write.begin() as session:  # this task's unit of work
        details = {"previous": current.version if current else None, "run_id": loaded.run_id}
        audit.append(
            session,
            Caller("service", Role.ADMIN),
            "model.loaded",
            "model",
            f"{loaded.name}:{loaded.version}",
            details,
            model_version=loaded.version,
        )
    return True


async def watch_champion(app: FastAPI, interval: float) -> None:
    """Poll the registry every ``interval`` seconds until cancelled; errors are logged."""
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(refresh_champion, app)
        except Exception:  # a registry hiccup must not stop the watch or the service
            logger.exception("could not check the registry for a new champion")
