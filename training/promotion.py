"""Which version is the champion: list versions, promote, roll back, and the champion history.

The ``champion`` alias says which version scores contacts. Every move of it made here is
recorded in the registered model's champion history (a JSON list of events) and passed to an
``on_promotion`` hook (by default a log line; the service connects its audit trail), so a
rollback is exact: the history is a stack of champions, a promotion pushes onto it and a
rollback pops it.

A promotion by hand is judged by the same policy as an automatic one (:mod:`training.policy`):
the version's own gates as recorded, and the beat-the-champion gates judged now against the
champion it would replace, on the figures each version's training run recorded. ``force``
overrides failed gates only with a reason, which is recorded on the version and in the history.

Registration also moves the alias: ``triage train`` (and ``triage retrain``) give a version the
alias exactly when every gate recorded on it passed. So versions registered with every gate
passed after the last recorded event are read into the history as ``registered`` events, and an
alias moved any other way as ``observed``: the history stays right whichever command moved the
alias last. Every registry name and call is in :mod:`models.registry`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from models import registry
from models.registry import CHAMPION
from training.policy import COMPARISON_GATES, champion_gates, may_promote

if TYPE_CHECKING:
    from config.settings import Settings

logger = logging.getLogger(__name__)

MAX_EVENTS = 200
HEADLINE_METRICS: tuple[str, ...] = ("auc", "calibration_error", "acted_on_rows", "rows")

Action = Literal["registered", "observed", "promote", "rollback", "retrain"]
PromotionHook = Callable[[dict[str, Any]], None]

UNKNOWN_VERSION = "{name} has no version {version}"
GATES_FAILED = "version {version} failed its gates ({failed})"
NOT_BETTER = "version {version} is worse than the champion, version {champion} ({failed})"
FORCE_HINT = 'promote it anyway with --force --reason "why"'
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "aliases": list(self.aliases), "failed_gates": self.failed_gates}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def _words(gates: Mapping[str, bool]) -> dict[str, str]:
    return {name: "pass" if passed else "fail" for name, passed in gates.items()}


def _version_info(settings: Settings, record: registry.VersionRecord) -> VersionInfo:
    run = registry.read_run(settings, record.run_id, HEADLINE_METRICS)
    return VersionInfo(
        version=record.version,
        aliases=record.aliases,
        created=_iso(record.created_ms),
        run_id=record.run_id,
        family=run.family,
        gates=_words(record.gates),
        metrics=run.metrics,
    )


def list_versions(settings: Settings) -> list[VersionInfo]:
    """Every registered version of the settings' model, oldest first."""
    return [_version_info(settings, v) for v in registry.list_versions(settings)]


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


def _reconciled(settings: Settings) -> tuple[list[dict[str, Any]], str | None]:
    """The stored history, completed with moves of the alias made by registration or by hand."""
    if not registry.is_registered(settings):
        return [], None
    events = registry.read_history(settings)
    last_ms = events[-1]["at_ms"] if events else -1
    current = None
    for version in registry.list_versions(settings):
        if CHAMPION in version.aliases:
            current = version.version
        if version.all_gates_passed and version.created_ms > last_ms:
            top = champion_stack(events)[-1] if events else None
            reason = "registered with every gate passed"
            events.append(
                _event("registered", version.version, top, at_ms=version.created_ms, reason=reason)
            )
    stack = champion_stack(events)
    if current is not None and (not stack or stack[-1] != current):
        reason = "the alias was moved outside the promotion commands"
        top = stack[-1] if stack else None
        events.append(_event("observed", current, top, at_ms=_now_ms(), reason=reason))
    return events, current


def champion_history(settings: Settings) -> list[dict[str, Any]]:
    """Every recorded change of champion, oldest first (see the module docstring)."""
    return _reconciled(settings)[0]


def _save(settings: Settings, events: list[dict[str, Any]]) -> None:
    registry.save_history(settings, events[-MAX_EVENTS:])


def _announce(
    settings: Settings, event: dict[str, Any], on_promotion: PromotionHook
) -> dict[str, Any]:
    """Call the hook with the event, the model's name, the version's run and gates."""
    found = registry.get_version(settings, event["version"])
    payload = {
        "event": "champion_changed",
        "model": settings.model_name,
        "run_id": found.run_id,
        "gates": _words(found.gates),
        # What the service checks before it loads the version (service.model_trust).
        "artifact_sha256": registry.fetch_artifact(settings, version=found.version).sha256,
        **{k: v for k, v in event.items() if k != "at_ms"},
    }
    on_promotion(payload)
    return payload


def manual_gates(settings: Settings, version: str) -> dict[str, bool]:
    """A version's gates for a promotion by hand: its own as recorded, and against the champion.

    The comparison is judged now, against the current champion, on the out-of-fold AUC and
    calibration error each version's training run recorded.
    """
    found = registry.get_version(settings, version)
    gates = {n: ok for n, ok in found.gates.items() if n not in COMPARISON_GATES}
    current = registry.champion_version(settings)
    if current is not None and current != found.version:
        names = ("auc", "calibration_error")
        mine = registry.read_run(settings, found.run_id, names).metrics
        champion = registry.find_version(settings)
        theirs = registry.read_run(settings, champion.run_id, names).metrics
        gates |= {g.name: g.passed for g in champion_gates(mine, theirs, settings)}
    return gates


def promote(
    settings: Settings,
    version: str,
    *,
    force: bool = False,
    reason: str | None = None,
    actor: str | None = None,
    on_promotion: PromotionHook = log_promotion,
) -> dict[str, Any]:
    """Make ``version`` the champion if the promotion policy allows it by hand.

    Its own gates must have passed and it must be no worse than the current champion
    (:func:`manual_gates`); ``force`` overrides that only with a ``reason``, which is recorded
    on the version. Returns the event passed to ``on_promotion``; raises
    :class:`PromotionError` when refused.
    """
    name = settings.model_name
    try:
        found = registry.get_version(settings, str(version))
    except registry.UnknownVersionError as error:
        raise PromotionError(UNKNOWN_VERSION.format(name=name, version=version)) from error
    events, current = _reconciled(settings)
    if current == found.version:
        raise PromotionError(ALREADY_CHAMPION.format(version=found.version))
    decision = may_promote(
        manual_gates(settings, found.version), manual=True, force=force, reason=reason
    )
    if decision.refusal:
        raise PromotionError(decision.refusal)
    if not decision.allowed:
        why = []
        if decision.own_failed:
            why.append(
                GATES_FAILED.format(version=found.version, failed=", ".join(decision.own_failed))
            )
        if decision.comparison_failed:
            failed = ", ".join(decision.comparison_failed)
            why.append(NOT_BETTER.format(version=found.version, champion=current, failed=failed))
        raise PromotionError("; ".join([*why, FORCE_HINT]))
    reason = reason or "promoted by hand"
    if decision.forced:
        registry.record_forced_reason(settings, found.version, reason)
        reason = f"{reason} (forced past failed gates: {', '.join(decision.failed)})"
    registry.set_champion(settings, found.version)
    event = _event(
        "promote",
        found.version,
        current,
        at_ms=_now_ms(),
        reason=reason,
        forced=decision.forced,
        actor=actor,
    )
    _save(settings, [*events, event])
    return _announce(settings, event, on_promotion)


def rollback(
    settings: Settings,
    *,
    reason: str = "rolled back by hand",
    actor: str | None = None,
    on_promotion: PromotionHook = log_promotion,
) -> dict[str, Any]:
    """Give the alias back to the previous champion; return the event passed to the hook."""
    events, current = _reconciled(settings)
    stack = champion_stack(events)
    if len(stack) < 2:
        raise PromotionError(NO_PREVIOUS)
    target = stack[-2]
    registry.set_champion(settings, target)
    event = _event("rollback", target, current, at_ms=_now_ms(), reason=reason, actor=actor)
    _save(settings, [*events, event])
    return _announce(settings, event, on_promotion)


def announce_registered(
    settings: Settings, version: str, previous: str | None, on_promotion: PromotionHook
) -> dict[str, Any]:
    """Call the hook for a version that registration made the champion (``triage train``).

    The history needs no event: it reads such versions in as ``registered`` (see above).
    """
    reason = "registered with every gate passed"
    event = _event("registered", str(version), previous, at_ms=_now_ms(), reason=reason)
    return _announce(settings, event, on_promotion)


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
    events, _ = _reconciled(settings)
    if events and events[-1]["action"] == "registered" and events[-1]["version"] == str(version):
        events.pop()  # the same move, now with its reason
    event = _event(action, str(version), previous, at_ms=_now_ms(), reason=reason, actor=actor)
    _save(settings, [*events, event])
    return _announce(settings, event, on_promotion)
