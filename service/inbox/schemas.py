"""The inbox as the API gives it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.schemas import NO_NUL

InboxKind = Literal["awaiting_decision", "review_due", "assessment_open"]


class InboxItem(BaseModel):
    """One piece of work waiting at the front door, with its clock."""

    contact_id: str
    kind: InboxKind = Field(
        description="`awaiting_decision`: stored, no decision yet; `review_due`: held open and "
        "its `review_by` is today or earlier; `assessment_open`: an assessment or strategy "
        "discussion was decided and the assessment is not yet completed."
    )
    team_id: str | None
    received_at: datetime
    due_on: date = Field(description="The working day it is due (Europe/London).")
    overdue: bool = Field(description="`due_on` is before today.")
    working_days_overdue: int = Field(
        description="Working days past `due_on` (0 when not overdue)."
    )
    claimed_by: str | None
    band: int | None = Field(
        description="The model's risk band, shown for information: never used to order."
    )
    decision: str | None = Field(description="The contact's current decision, if any.")


class InboxPage(BaseModel):
    """A page of the inbox, by due day then receipt; ``next`` is the following page's cursor."""

    items: list[InboxItem]
    next: str | None


class AssignIn(BaseModel):
    """Whom to give a contact to."""

    model_config = ConfigDict(extra="forbid")

    assignee: str = Field(min_length=1, max_length=64, pattern=NO_NUL)


class ClaimOut(BaseModel):
    """Who has a contact now (``claimed_by`` null once released)."""

    contact_id: str
    claimed_by: str | None
    claimed_at: datetime | None
    assigned_by: str | None = Field(description="The team leader who assigned it, if assigned.")
