"""Request bodies the load sends: synthetic contacts and decisions, as JSON lines."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

NARRATIVE = "School reports bruising; mother says there were arguments at home."
# Decisions the load cycles through: every kind, some flagged for review, some with a note.
DECISION_BODIES: tuple[dict[str, Any], ...] = (
    {"decision": "nfa", "reasons": ["no_concerns_identified"], "note": "Injury from PE."},
    {"decision": "early_help", "reasons": ["concerns_not_substantiated"], "note": ""},
    {
        "decision": "assessment",
        "reasons": [],
        "note": "Allocated for a child and family assessment.",
    },
    {
        "decision": "more_information",
        "reasons": ["insufficient_information"],
        "note": "Asked the school for attendance records.",
        # Held open for a fortnight: a review_by must be from today to a year ahead.
        "review_by": (date.today() + timedelta(days=14)).isoformat(),
    },
    {"decision": "signpost", "reasons": ["already_supported"], "note": "Open to CAMHS."},
    {"decision": "strategy_discussion", "reasons": [], "note": ""},
)


def contact_bodies(n: int, *, seed: int) -> list[dict[str, Any]]:
    """``n`` valid contact bodies (no ``contact_id``) from the synthetic generator."""
    from data.synthetic import GeneratorConfig, generate

    frame = generate(GeneratorConfig(rows=n, seed=seed))
    received_now = datetime.now(UTC).isoformat(timespec="seconds")
    bodies = []
    for i, row in enumerate(frame.to_dict("records")):
        body = {
            # Received now: a decision on it is then in time, and needs no late reasons.
            "received_at": received_now,
            "child_age_years": int(row["child_age_years"]),
            "referral_source": str(row["referral_source"]),
            "concerns": [c for c in str(row["concerns"]).split(";") if c],
            "prior_contacts_12m": int(row["prior_contacts_12m"]),
            "previous_cp_plan": bool(row["previous_cp_plan"]),
            "early_help_open": bool(row["early_help_open"]),
            "child_sex": str(row["child_sex"]),
            "child_ethnicity": str(row["child_ethnicity"]),
            "child_disability": str(row["child_disability"]),
        }
        if isinstance(row["team_id"], str):
            body["team_id"] = row["team_id"]
        if i % 2 == 0:  # half carry free text, which is stored whole
            body["narrative"] = row["narrative"] if isinstance(row["narrative"], str) else NARRATIVE
        bodies.append(body)
    return bodies


def without_narrative(body: dict[str, Any]) -> dict[str, Any]:
    """The body without its free text (so scoring it does not run the sentence model)."""
    return {k: v for k, v in body.items() if k != "narrative"}


def with_id(contact_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body with its ``contact_id`` first."""
    return {"contact_id": contact_id, **body}


def body_line(body: dict[str, Any]) -> str:
    """A body's JSON without its opening brace: score.lua prepends ``{"contact_id":"...",``."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    if not body or not text.startswith("{"):
        raise ValueError("need a non-empty JSON object")
    return text[1:]


def compact(body: dict[str, Any]) -> bytes:
    """JSON bytes as a client sends them."""
    return json.dumps(body, separators=(",", ":")).encode()


def write_lines(path: Path, lines: list[str]) -> Path:
    """Write one item per line (none may contain a newline)."""
    if any("\n" in line for line in lines):
        raise ValueError("a line contains a newline")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path
