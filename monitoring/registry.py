"""The model registry side of monitoring: the reference profile, and the card's history.

:func:`load_reference` reads ``reference_profile.json`` from the run of the champion (or of a
given version). :func:`record_summary` logs a report's summary to that version's run as
``monitoring/<time>.json`` and rewrites the run's ``model_card.md`` with a "Monitoring history"
section built from every summary logged so far. Every call to MLflow goes through
:mod:`models.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from config.settings import Settings
    from models.registry import VersionRecord
    from monitoring.report import MonitorReport

PROFILE_ARTIFACT = "reference_profile.json"
CARD_ARTIFACT = "model_card.md"
HISTORY_DIR = "monitoring"
HISTORY_HEADING = "## Monitoring history"
HISTORY_INTRO = (
    "Each `triage monitor --record` adds an entry, kept as `monitoring/<time>.json` in this "
    "version's run (docs/monitoring.md)."
)
NO_PROFILE = "version {version} of {name} has no {artifact}; retrain it to monitor against it"


@dataclass(frozen=True)
class Reference:
    """A registered version and its training population's profile."""

    name: str
    version: str
    run_id: str
    profile: dict[str, Any]

    @property
    def model(self) -> dict[str, str]:
        """Name, version and run id, for the report."""
        return {"name": self.name, "version": self.version, "run_id": self.run_id}


def _version(settings: Settings, version: str | None) -> VersionRecord:
    from models.registry import find_version

    return find_version(settings, version)


def load_reference(settings: Settings, *, version: str | None = None) -> Reference:
    """The champion's (or a version's) reference profile, from its training run."""
    from models.registry import load_run_dict

    found = _version(settings, version)
    try:
        profile = load_run_dict(settings, found.run_id, PROFILE_ARTIFACT)
    except Exception as error:  # MLflow raises several kinds for a missing artifact
        raise LookupError(
            NO_PROFILE.format(
                version=found.version, name=settings.model_name, artifact=PROFILE_ARTIFACT
            )
        ) from error
    return Reference(settings.model_name, str(found.version), found.run_id, profile)


def history_name(created: str) -> str:
    """The artifact path of a summary made at ``created`` (ISO time)."""
    stamp = datetime.fromisoformat(created)
    return f"{HISTORY_DIR}/{stamp:%Y-%m-%dT%H%M%S}Z.json"


def record_summary(settings: Settings, report: MonitorReport, *, version: str) -> str:
    """Log the report's summary to the version's run and rewrite its card; return the path."""
    from models import registry

    found = _version(settings, version)
    path = history_name(report.created)
    registry.log_run_dict(settings, found.run_id, report.summary(), path)
    history = monitoring_history(settings, version=str(found.version))
    card = registry.load_run_text(settings, found.run_id, CARD_ARTIFACT)
    registry.log_run_text(settings, found.run_id, card_with_history(card, history), CARD_ARTIFACT)
    return path


def monitoring_history(settings: Settings, *, version: str) -> list[dict[str, Any]]:
    """Every summary recorded for a version, oldest first."""
    from models import registry

    found = _version(settings, version)
    return [
        registry.load_run_dict(settings, found.run_id, path)
        for path in registry.run_artifacts(settings, found.run_id, HISTORY_DIR)
        if path.endswith(".json")
    ]


def history_markdown(history: Sequence[Mapping[str, Any]]) -> str:
    """The "Monitoring history" section for a card."""
    lines = [HISTORY_HEADING, "", HISTORY_INTRO, ""]
    if not history:
        lines.append("No monitoring has been recorded yet.")
    for entry in history:
        alerts = entry.get("alerts", [])
        total = entry.get("alerts_total", len(alerts))
        lines += [
            f"### {entry.get('created')}",
            "",
            f"Data {entry.get('first_month')} to {entry.get('last_month')}, "
            f"{entry.get('rows', 0):,} contacts; {total} alert{'s' if total != 1 else ''}.",
            "",
        ]
        months = entry.get("months", [])
        if months:
            cells = ", ".join(f"{m['month']} {m['alerting_checks']}" for m in months)
            lines += [f"Alerting checks by month: {cells}.", ""]
        lines += [
            f"- `{a['kind']}` {a['what']} ({a['where']}), since {a['since']}: {a['message']}"
            for a in alerts
        ]
        if total > len(alerts):
            lines.append(f"- ... and {total - len(alerts)} more in the JSON.")
        lines.append("")
    return "\n".join(lines)


def card_with_history(card: str, history: Sequence[Mapping[str, Any]]) -> str:
    """The card with its "Monitoring history" section replaced (or appended) from ``history``."""
    section = history_markdown(history)
    start = card.find(HISTORY_HEADING)
    if start < 0:
        return card.rstrip("\n") + "\n\n" + section
    following = card.find("\n## ", start + len(HISTORY_HEADING))
    rest = "" if following < 0 else card[following:]
    return card[:start] + section + rest
