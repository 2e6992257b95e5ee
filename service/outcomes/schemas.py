"""The outcome route's request and response."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class OutcomeIn(BaseModel):
    """Whether the child was assessed as in need within 12 months of the contact."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"outcome_need_12m": True}]}
    )

    outcome_need_12m: bool


class OutcomeOut(BaseModel):
    """The outcome as stored."""

    contact_id: str
    outcome_need_12m: bool
    recorded_by: str
    recorded_at: datetime
