"""What every served report says about itself: when computed, what it covers, what is newer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class ReportWatermark(BaseModel):
    """The rows the report covers."""

    contacts: int
    last_contact_at: datetime | None
    last_decision_seq: int


class NewerRows(BaseModel):
    """Rows stored since the report's watermark."""

    contacts: int
    decisions: int


class StoredInfo(BaseModel):
    """Which stored report this is, how old, and whether the store has moved on since."""

    id: int
    computed_at: datetime
    computed_by: str
    age_seconds: float
    compute_seconds: float
    watermark: ReportWatermark
    newer: NewerRows
    up_to_date: bool
    refresh: Literal["recomputed", "timed_out", "first_computed"] | None
    note: str | None
