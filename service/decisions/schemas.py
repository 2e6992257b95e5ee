"""Decisions as the API takes and gives them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from data.codes import Decision, LateReason, Reason
from service.contacts.schemas import Assessment, Revision, StoredContact
from service.decisions.flags import FlagCode
from service.schemas import note_field

DECISION_EXAMPLE: dict[str, Any] = {
    "decision": "nfa",
    "reasons": ["no_concerns_identified"],
    "note": "Spoke to the school: the injury was from PE; no concerns about home.",
    "review_by": None,
}


class DecisionIn(BaseModel):
    """A front-door decision on a stored contact."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [DECISION_EXAMPLE]})

    decision: Decision
    reasons: list[Reason] = Field(
        default_factory=list,
        json_schema_extra={"uniqueItems": True},
        description="child_age and referral_source are surface reasons.",
    )
    note: str = note_field("Free text.")
    review_by: date | None = Field(
        None, description="Hold the case open for review by this date (today to a year ahead)."
    )
    late_reasons: list[LateReason] = Field(
        default_factory=list,
        description="Why it is recorded after its due day: required when late, refused when not.",
    )
    late_note: str = note_field("About the lateness: free text.")

    @field_validator("reasons")
    @classmethod
    def _unique(cls, reasons: list[Reason]) -> list[Reason]:
        if len(set(reasons)) != len(reasons):
            raise ValueError("repeats a reason")
        return reasons


class FlagOut(BaseModel):
    """Why a decision was sent for review."""

    code: FlagCode
    text: str


class DecisionRecorded(BaseModel):
    """What recording a decision did: its id, its flags, and the review it opened."""

    decision_id: str
    contact_id: str
    decision: Decision
    decided_at: datetime
    due_on: date = Field(description="The working day the decision was due (Europe/London).")
    late_reasons: list[LateReason]
    flagged_for_review: bool
    flags: list[FlagOut]
    review_id: str | None = Field(None, description="The review opened for a flagged decision.")


class DecisionOut(BaseModel):
    """A stored decision, with its flags and the review it opened (if any)."""

    decision_id: str
    decision: Decision
    reasons: list[Reason]
    note: str
    review_by: date | None
    decided_by: str
    decided_at: datetime
    late_reasons: list[LateReason] = Field(description="Why it was late (empty when in time).")
    late_note: str = Field(description="About the lateness (empty when none).")
    source: str = Field(description="'worker', or 'review_overturn' for a leader's overturn.")
    flagged_for_review: bool
    flags: list[FlagOut]
    review_id: str | None


class ContactOut(BaseModel):
    """A stored contact, its assessment, and its decisions (oldest first; the last is current).

    ``contact`` and ``assessment`` are its latest revision's; ``revisions`` lists them all."""

    contact: StoredContact
    assessment: Assessment
    decisions: list[DecisionOut]
    revisions: list[Revision] = Field(default_factory=list)
