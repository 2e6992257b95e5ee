"""The model-trust chain: a champion is loaded only as the service database recorded it.

When a version becomes champion (``triage train``, ``retrain``, ``models promote``,
``models rollback``, ``quickstart``) the command line records the SHA-256 of its model file and
its gate results here, and in the audit trail (:func:`record_champion`). The service fetches
the file's bytes from the registry, hashes them, compares them with that record and only then
unpickles the same bytes (:func:`load_trusted`). Anyone who can write to MLflow can move the
alias or replace a file, but not make the service run what the database did not record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from service.audit import service as audit
from service.audit.chain import canonical_json
from service.db import Database, utcnow
from service.model_trust.tables import ModelTrust

if TYPE_CHECKING:
    from config.settings import Settings
    from models.registry import LoadedModel

NOT_RECORDED = (
    "{model} version {version} has no trust record in the service database "
    "(promote it with `triage models promote`, or record it with `triage models trust`)"
)
CHANGED = "{model} version {version}'s model file does not match the SHA-256 recorded at promotion"
GATES_FAILED = "{model} version {version} failed its gates and was not forced with a reason"
RECORDED_OTHERWISE = (
    "{model} version {version} was recorded with another model file (SHA-256 {recorded}); "
    "its file in the registry has changed since: the service will not load it"
)
UNTRUSTED_GATES = (
    "{model} version {version} failed its gates ({failed}): "
    'record it only with --force --reason "why"'
)


class UntrustedModel(LookupError):
    """The champion may not be loaded (the message says why)."""


def refusal(record: ModelTrust | None, sha256: str, *, model: str, version: str) -> str | None:
    """Why a model file may not be loaded under this record, or None when it may."""
    names = {"model": model, "version": version}
    if record is None:
        return NOT_RECORDED.format(**names)
    if record.sha256 != sha256:
        return CHANGED.format(**names)
    if not record.gates_passed and not (record.forced and (record.reason or "").strip()):
        return GATES_FAILED.format(**names)
    return None


def load_trusted(db: Database, settings: Settings, version: str) -> LoadedModel:
    """Load ``version`` if its file's hash matches the record and its gates passed (or it was
    forced with a reason); else raise :class:`UntrustedModel`. Nothing is unpickled before."""
    from models import registry

    model = settings.model_name
    with db.read() as session:
        record = session.get(ModelTrust, (model, str(version)))
    if record is None:  # nothing to compare with: do not even fetch the file
        raise UntrustedModel(NOT_RECORDED.format(model=model, version=version))
    artifact = registry.fetch_artifact(settings, version=str(version))
    problem = refusal(record, artifact.sha256, model=model, version=str(version))
    if problem is not None:
        raise UntrustedModel(problem)
    return registry.load_artifact(artifact)  # the very bytes just hashed


def record_champion(session: Session, event: dict[str, Any], *, by: audit.Caller) -> None:
    """Record a new champion's file hash and gates (at its first promotion) and audit the
    change (no commit); raise :class:`UntrustedModel` if the version was recorded with
    another file."""
    model, version, sha256 = event["model"], str(event["version"]), event["artifact_sha256"]
    record = session.get(ModelTrust, (model, version))
    if record is None:
        gates = dict(event.get("gates") or {})
        session.add(
            ModelTrust(
                model=model,
                version=version,
                sha256=sha256,
                gates=canonical_json(gates),
                gates_passed=bool(gates) and all(v == "pass" for v in gates.values()),
                forced=bool(event.get("forced")),
                reason=event.get("reason"),
                recorded_at=utcnow(),
                recorded_by=by.name,
            )
        )
    elif record.sha256 != sha256:
        raise UntrustedModel(
            RECORDED_OTHERWISE.format(model=model, version=version, recorded=record.sha256)
        )
    audit.champion_changed(session, event, by=by)


def record_champion_change(db: Database, event: dict[str, Any], *, by: audit.Caller) -> None:
    """:func:`record_champion` as its own unit of work (the command line's promotion hook)."""
    with db.write.begin() as session:
        record_champion(session, event, by=by)


def trust_event(settings: Settings, *, force: bool = False, reason: str | None = None) -> dict:
    """The registry's current champion as a promotion event, for a champion promoted before
    the service recorded champions (``triage models trust``); refused if its gates failed
    unless forced with a reason."""
    from models import registry

    found = registry.find_version(settings)
    gates = {name: "pass" if ok else "fail" for name, ok in found.gates.items()}
    failed = [name for name, verdict in gates.items() if verdict != "pass"]
    forced = not gates or bool(failed)
    if forced and not (force and (reason or "").strip()):
        what = ", ".join(failed) or "none recorded"
        raise UntrustedModel(
            UNTRUSTED_GATES.format(model=settings.model_name, version=found.version, failed=what)
        )
    return {
        "event": "champion_changed",
        "action": "trust",
        "model": settings.model_name,
        "version": found.version,
        "previous": None,
        "run_id": found.run_id,
        "gates": gates,
        "forced": forced,
        "reason": reason or "recorded by hand: champion before the trust record",
        "artifact_sha256": registry.fetch_artifact(settings, version=found.version).sha256,
    }
