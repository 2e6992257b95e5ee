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
    """Load and swap in the registry's champion if it changed and is trusted; True when it did.

    A champion the service database did not record (``service.model_trust``) is refused: the
    old one keeps serving, and the refusal is logged and audited once per version and reason.
    """
    from models.registry import champion_version
    from service.model_trust.service import UntrustedModel, load_trusted

    settings = app.state.settings
    current = app.state.champion
    version = champion_version(settings)
    if version is None or (current is not None and current.version == version):
        return False
    try:
        loaded = load_trusted(app.state.db, settings, version)
    except UntrustedModel as refused:
        _refused(app, version, str(refused))
        return False
    app.state.champion = loaded
    logger.info("now serving %s version %s (run %s)", loaded.name, loaded.version, loaded.run_id)
    details = {"previous": current.version if current else None, "run_id": loaded.run_id}
    _audit(app, "model.loaded", f"{loaded.name}:{loaded.version}", details, loaded.version)
    return True


def _refused(app: FastAPI, version: str, reason: str) -> None:
    """Log and audit a refused champion, once per version and reason (the watch polls)."""
    if getattr(app.state, "model_refused", None) == (version, reason):
        return
    app.state.model_refused = (version, reason)
    current = app.state.champion
    kept = current.version if current is not None else "none"
    logger.warning("not loading the champion (keeping version %s): %s", kept, reason)
    name = app.state.settings.model_name
    _audit(app, "model.refused", f"{name}:{version}", {"kept": kept, "reason": reason}, version)


def _audit(app: FastAPI, action: str, entity_id: str, details: dict, version: str) -> None:
    from service.audit import service as audit
    from service.auth.schemas import Caller, Role

    with app.state.db.write.begin() as session:  # this task's unit of work
        by = Caller("service", Role.ADMIN)
        audit.append(session, by, action, "model", entity_id, details, model_version=version)


async def watch_champion(app: FastAPI, interval: float) -> None:
    """Poll the registry every ``interval`` seconds until cancelled; errors are logged."""
    while True:
        await asyncio.sleep(interval)
        try:
            await run_in_threadpool(refresh_champion, app)
        except Exception:  # a registry hiccup must not stop the watch or the service
            logger.exception("could not check the registry for a new champion")
