"""The timeliness report's shape (docs/timeliness.md describes each field)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field


class Block(BaseModel):
    """Decisions or assessments in time, working days taken, overdue now and why late."""

    recorded: int
    in_time: int
    in_time_share: float | None
    in_time_ci: list[float | None] = Field(description="Wilson interval of the share in time.")
    late: int
    median_working_days: float | None
    p90_working_days: float | None
    open: int
    overdue_now: int
    overdue_median_working_days: float | None
    late_reasons: dict[str, int] = Field(description="Every reason of every late record, counted.")
    late_without_reasons: int


class Kinds(BaseModel):
    """A block for each kind of record."""

    decisions: Block
    assessments: Block


class Month(Kinds):
    """One team's month: contacts received, then decisions and assessments."""

    month: str
    contacts: int


class LateNote(BaseModel):
    """A late record's note (free text: team leaders only)."""

    contact_id: str
    kind: str
    due_on: str
    recorded_on: str
    late_reasons: list[str]
    note: str


class Team(BaseModel):
    """One team overall and by month received."""

    team_id: str
    overall: Kinds
    months: list[Month]
    late_notes: list[LateNote] | None = Field(
        None, description="Team leaders only; null for the data team."
    )


class TimelinessReport(BaseModel):
    """Decisions and assessments in time by team and month, with every late one's reasons."""

    as_at: date
    team: str | None = Field(None, description="The team asked for, or null for every team.")
    rules: dict[str, Any]
    confidence: float
    reason_labels: dict[str, str]
    overall: Kinds
    teams: list[Team]
    volume: list[dict[str, Any]]
    volume_caveat: str
    with_notes: bool
