"""What every served report says about itself: when computed, what it covers, what is newer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from service.schemas import AUTHENTICATED, ErrorOut, error_responses


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


NOT_READY_EXAMPLE = {
    "type": "report_not_ready",
    "detail": "No fairness report is stored yet and computing one took longer than 30 s; ...",
}


def report_responses() -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a stored-report route: its errors, each with an example."""
    return {
        **error_responses(*AUTHENTICATED, 422),
        503: {
            "model": ErrorOut,
            "description": "No report is stored yet and the first took longer than "
            "TRIAGE_REPORT_REFRESH_SECONDS (`report_not_ready`, with Retry-After); for "
            "monitoring also when no champion model is loaded (`model_unavailable`).",
            "content": {"application/json": {"example": NOT_READY_EXAMPLE}},
        },
    }
