"""Assessment completions as the API takes and gives them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from data.codes import AssessmentOutcome, LateReason
from service.schemas import note_field

COMPLETION_EXAMPLE: dict[str, Any] = {
    "completed_on": "2024-06-28",
    "outcome": "child_in_need_plan",
    "note": "Plan agreed with the family and the school.",
    "late_reasons": [],
    "late_note": "",
}


class CompletionIn(BaseModel):
    """A social-work assessment closed with its outcome."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [COMPLETION_EXAMPLE]})

    completed_on: date = Field(description="Not in the future, not before the contact arrived.")
    outcome: AssessmentOutcome
    note: str = note_field("Free text.")
    late_reasons: list[LateReason] = Field(
        default_factory=list,
        description="Why it is recorded after its due day: required when late, refused when not.",
    )
    late_note: str = note_field("About the lateness: free text.")


class NeedOutcome(BaseModel):
    """What the completion did to the contact's ``outcome_need_12m`` (the data team's label)."""

    recorded: bool = Field(description="Whether `outcome_need_12m = true` was recorded now.")
    existing: bool | None = Field(
        description="The value already stored before this completion (null when none)."
    )
    note: str


class CompletionOut(BaseModel):
    """A recorded assessment completion and what it did to the outcome."""

    contact_id: str
    completed_on: date
    due_on: date = Field(description="The working day the assessment was due (Europe/London).")
    outcome: AssessmentOutcome
    note: str
    late_reasons: list[LateReason]
    late_note: str
    recorded_by: str
    recorded_at: datetime
    outcome_need_12m: NeedOutcome
