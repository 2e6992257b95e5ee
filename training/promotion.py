"""Which version is the champion: list versions, promote, roll back, and the champion history.

The ``champion`` alias says which version scores contacts. Every move of it made here is
recorded in the registered model's tag ``champion_history`` (a JSON list of events) and passed
to an ``on_promotion`` hook (by default a log line; the service connects its audit trail), so a
rollback is exact: the history is a stack of champions, a promotion pushes onto it and a
rollback pops it.

Registration also moves the alias: ``triage train`` (and ``triage retrain``) give a version the
alias exactly when every gate recorded on it passed (its ``gates`` tag is ``pass``). So versions
registered with ``gates=pass`` after the last recorded event are read into the history as
``registered`` events, and an alias moved any other way as ``observed``: the history stays right
whichever command moved the alias last.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from models.registry import CHAMPION

if TYPE_CHECKING:
    from config.settings import Settings

logger = logging.getLogger(__name__)

HISTORY_TAG = "champion_history"
MAX_EVENTS = 200
GATE_TAG = "gate."
# Gates that compare a challenger with the champion of the day (training/retrain.py). They decide
# an automatic promotion but not a manual one: the champion they were judged against may be gone.
COMPARISON_PREFIX = "vs_champion"
HEADLINE_METRICS: tuple[str, ...] = ("auc", "calibration_error", "acted_on_rows", "rows")

Action = Literal["registered", "observed", "promote", "rollback", "retrain"]
PromotionHook = Callable[[dict[str, Any]], None]

UNKNOWN_VERSION = "{name} has no version {version}"
GATES_FAILED = "version {version} failed its gates ({failed}); promote it anyway with --force"
NO_GATES = "no gates recorded"
ALREADY_CHAMPION = "version {version} is already the champion"
NO_PREVIOUS = "there is no previous champion to roll back to"


class PromotionError(ValueError):
    """A promotion or rollback that was refused (the message says why)."""


def log_promotion(event: Mapping[str, Any]) -> None:
    """The default hook: log the change of champion."""
    logger.info(
        "%s: %s version %s is the champion (was %s): %s",
        event["action"],
        event["model"],
        event["version"],
        event["previous"],
        event["reason"],
    )


@dataclass(frozen=True)
class VersionInfo:
    """One registered version: aliases, gate results and headline metrics."""

    version: str
    aliases: tuple[str, ...]
    created: str
    run_id: str
    family: str | None
    gates: dict[str, str]
    metrics: dict[str, float]

    @property
    def failed_gates(self) -> list[str]:
        """Names of the gates this version failed."""
        return [name for name, verdict in self.gates.items() if verdict != "pass"]

    @property
    def own_gates_failed(self) -> list[str]:
        """Failed gates other than the comparisons with a champion (or a note that none exist)."""
        own = {n: v for n, v in self.gates.items() if not n.startswith(COMPARISON_PREFIX)}
        if not own:
            return [NO_GATES]
        return [name for name, verdict in own.items() if verdict != "pass"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "aliases": list(self.aliases), "failed_gates": self.failed_gates}


def _client(settings: Settings) -> Any:
    import mlflow

    from models.registry import configure

    configure(settings)
    return mlflow.MlflowClient()


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def _versions(client: Any, name: str) -> list[Any]:
    found = client.search_model_versions(f"name='{name}'")
    return sorted(found, key=lambda v: (int(v.creation_timestamp), int(v.version)))


def _registered(client: Any, name: str) -> Any | None:
    from mlflow.exceptions import MlflowException

    try:
        return client.get_registered_model(name)
    except MlflowException:
        return None


def _version_info(client: Any, version: Any, champion: str | None) -> VersionInfo:
    tags = dict(version.tags or {})
    run = client.get_run(version.run_id)
    metrics = {k: run.data.metrics[k] for k in HEADLINE_METRICS if k in run.data.metrics}
    aliases = set(version.aliases or ())
    if champion == str(version.version):
        aliases.add(CHAMPION)
    return VersionInfo(
        version=str(version.version),
        aliases=tuple(sorted(aliases)),
        created=_iso(int(version.creation_timestamp)),
        run_id=version.run_id,
        family=run.data.params.get("family"),
        gates={k[len(GATE_TAG) :]: v for k, v in tags.items() if k.startswith(GATE_TAG)},
        metrics=metrics,
    )


def list_versions(settings: Settings) -> list[VersionInfo]:
    """Every registered version of the settings' model, oldest first."""
    client = _client(settings)
    model = _registered(client, settings.model_name)
    if model is None:
        return []
    champion = (model.aliases or {}).get(CHAMPION)
    champion = None if champion is None else str(champion)
    return [_version_info(client, v, champion) for v in _versions(client, settings.model_name)]


def champion_stack(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """The versions that have been champion, oldest first, as the events leave them."""
    stack: list[str] = []
    for event in events:
        if event["action"] == "rollback" and stack:
            stack.pop()
        if not stack or stack[-1] != event["version"]:
            stack.append(str(event["version"]))
    return stack


def _event(
    action: Action,
    version: str,
    previous: str | None,
    *,
    at_ms: int,
    reason: str,
    forced: bool = False,
    actor: str | None = None,
) -> dict[str, Any]:
    return {
        "action": action,
        "version": str(version),
        "previous": previous,
        "at": _iso(at_ms),
        "at_ms": at_ms,
        "reason": reason,
        "forced": forced,
        "actor": actor,
    }


def _reconciled(client: Any, name: str) -> tuple[list[dict[str, Any]], str | None]:
    """The stored history, completed with moves of the alias made by registration or by hand."""
    model = _registered(client, name)
    if model is None:
        return [], None
    events = json.loads((model.tags or {}).get(HISTORY_TAG, "[]"))
    last_ms = events[-1]["at_ms"] if events else -1
    for version in _versions(client, name):
        created = int(version.creation_timestamp)
        if (version.tags or {}).get("gates") == "pass" and created > last_ms:
            top = champion_stack(events)[-1] if events else None
            reason = "registered with every gate passed"
            events.append(
                _event("registered", str(version.version), top, at_ms=created, reason=reason)
            )
    current = (model.aliases or {}).get(CHAMPION)
    stack = champion_stack(events)
    if current is not None and (not stack or stack[-1] != str(current)):
        reason = "the alias was moved outside the promotion commands"
        top = stack[-1] if stack else None
        events.append(_event("observed", str(current), top, at_ms=_now_ms(), reason=reason))
    return events, None if current is None else str(current)


def champion_history(settings: Settings) -> list[dict[str, Any]]:
    """Every recorded change of champion, oldest first (see the module docstring)."""
    return _reconciled(_client(settings), settings.model_name)[0]


def _save(client: Any, name: str, events: list[dict[str, Any]]) -> None:
    client.set_registered_model_tag(name, HISTORY_TAG, json.dumps(events[-MAX_EVENTS:]))


def _announce(
    client: Any,
    settings: Settings,
    event: dict[str, Any],
    on_promotion: PromotionHook,
) -> dict[str, Any]:
    """Call the hook with the event, the model's name, the version's run and gates."""
    found = client.get_model_version(settings.model_name, event["version"])
    tags = dict(found.tags or {})
    payload = {
        "event": "champion_changed",
        "model": settings.model_name,
        "run_id": found.run_id,
        "gates": {k[len(GATE_TAG) :]: v for k, v in tags.items() if k.startswith(GATE_TAG)},
        **{k: v for k, v in event.items() if k != "at_ms"},
    }
    on_promotion(payload)
    return payload


def promote(
    settings: Settings,
    version: str,
    *,
    force: bool = False,
    reason: str = "promoted by hand",
    actor: str | None = None,
    on_promotion: PromotionHook = log_promotion,
) -> dict[str, Any]:
    """Make ``version`` the champion; refuse one that failed its own gates unless ``force``.

    Returns the event passed to ``on_promotion``. Raises :class:`PromotionError` when refused.
    """
    from mlflow.exceptions import MlflowException

    client = _client(settings)
    name = settings.model_name
    try:
        found = client.get_model_version(name, str(version))
    except MlflowException as error:
        raise PromotionError(UNKNOWN_VERSION.format(name=name, version=version)) from error
    events, current = _reconciled(client, name)
    if current == str(found.version):
        raise PromotionError(ALREADY_CHAMPION.format(version=found.version))
    failed = _version_info(client, found, current).own_gates_failed
    if failed and not force:
        raise PromotionError(GATES_FAILED.format(version=found.version, failed=", ".join(failed)))
    client.set_registered_model_alias(name, CHAMPION, str(found.version))
    if failed:
        reason = f"{reason} (forced past failed gates: {', '.join(failed)})"
    event = _event(
        "promote",
        str(found.version),
        current,
        at_ms=_now_ms(),
        reason=reason,
        forced=bool(failed),
        actor=actor,
    )
    _save(client, name, [*events, event])
    return _announce(client, settings, event, on_promotion)


def rollback(
    settings: Settings,
    *,
    reason: str = "rolled back by hand",
    actor: str | None = None,
    on_promotion: PromotionHook = log_promotion,
) -> dict[str, Any]:
    """Give the alias back to the previous champion; return the event passed to the hook."""
    client = _client(settings)
    name = settings.model_name
    events, current = _reconciled(client, name)
    stack = champion_stack(events)
    if len(stack) < 2:
        raise PromotionError(NO_PREVIOUS)
    target = stack[-2]
    client.set_registered_model_alias(name, CHAMPION, target)
    event = _event("rollback", target, current, at_ms=_now_ms(), reason=reason, actor=actor)
    _save(client, name, [*events, event])
    return _announce(client, settings, event, on_promotion)


def record_promotion(
    settings: Settings,
    version: str,
    *,
    action: Action,
    previous: str | None,
    reason: str,
    actor: str | None = None,
    on_promotion: PromotionHook = log_promotion,
) -> dict[str, Any]:
    """Record a move of the alias made by registration (``retrain``) and call the hook."""
    client = _client(settings)
    events, _ = _reconciled(client, settings.model_name)
    if events and events[-1]["action"] == "registered" and events[-1]["version"] == str(version):
        events.pop()  # the same move, now with its reason
    event = _event(action, str(version), previous, at_ms=_now_ms(), reason=reason, actor=actor)
    _save(client, settings.model_name, [*events, event])
    return _announce(client, settings, event, on_promotion)
