"""The review queue as the API takes and gives it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from data.codes import AGE_BANDS, Decision, Reason
from service.decisions.schemas import FlagOut
from service.schemas import NO_NUL, note_field

AgeBand = Literal[tuple(label for label, _, _ in AGE_BANDS)]  # type: ignore[valid-type]
ReviewStatus = Literal["open", "resolved"]
Outcome = Literal["upheld", "overturned"]


class ReviewRisk(BaseModel):
    """The assessment the reviewed decision followed."""

    probability: float
    band: int
    bands: int
    substantive_band: int
    surface_share: float
    surface_flagged: bool


class ReviewItem(BaseModel):
    """One flagged decision in the queue, and how it was resolved."""

    review_id: str
    contact_id: str
    decision_id: str
    decision: Decision
    reasons: list[Reason]
    decided_by: str
    decided_at: datetime
    flags: list[FlagOut]
    risk: ReviewRisk
    status: ReviewStatus
    team_id: str | None
    age_band: str
    created_at: datetime
    assigned_to: str | None
    claimed_at: datetime | None
    outcome: Outcome | None
    note: str | None = Field(description="The leader's note on resolving.")
    resolved_by: str | None
    resolved_at: datetime | None
    new_decision_id: str | None = Field(description="The decision an overturn recorded.")
    needs_another_leader: bool = Field(
        False,
        description="True when the caller made the reviewed decision: separation of duties "
        "means another team leader must claim and resolve it.",
    )


class ReviewPage(BaseModel):
    """A page of the queue, oldest first; ``next`` is the cursor of the following page."""

    items: list[ReviewItem]
    next: str | None


class AssignIn(BaseModel):
    """Give a review to a team leader."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"assignee": "sam"}]})

    assignee: str = Field(min_length=1, max_length=64, pattern=NO_NUL)


class ResolveIn(BaseModel):
    """Uphold or overturn a flagged decision; an overturn records the leader's decision."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"outcome": "upheld", "note": "Checked with the school: no concerns at home."},
                {
                    "outcome": "overturned",
                    "note": "Domestic abuse reported twice this year: needs an assessment.",
                    "decision": "assessment",
                    "reasons": ["other"],
                },
            ]
        },
    )

    outcome: Outcome
    note: str = note_field("The leader's note.", default=None)
    decision: Decision | None = Field(
        None, validate_default=True, description="Required when overturned: the new decision."
    )
    reasons: list[Reason] = Field(default_factory=list, description="The new decision's reasons.")
    review_by: date | None = None

    @field_validator("decision")
    @classmethod
    def _decision_with_overturn(
        cls, value: Decision | None, info: ValidationInfo
    ) -> Decision | None:
        outcome = info.data.get("outcome")
        if outcome == "overturned" and value is None:
            raise ValueError("is required when the outcome is overturned")
        if outcome == "upheld" and value is not None:
            raise ValueError("is only given when the outcome is overturned")
        return value

    @field_validator("reasons")
    @classmethod
    def _unique(cls, reasons: list[Reason]) -> list[Reason]:
        if len(set(reasons)) != len(reasons):
            raise ValueError("repeats a reason")
        return reasons
