"""The stored reports as served: the fairness and monitoring reports' shapes (docs/fairness.md,
docs/monitoring.md; further keys pass through) and what each says about itself: when computed,
what it covers, what is newer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

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


class Finding(BaseModel):
    """One comparison of a group with its reference group."""

    model_config = ConfigDict(extra="allow")

    audit: Literal["decisions", "model", "workload", "generic"]
    attribute: str
    group: str
    reference: str | None
    metric: str
    n: int | None
    value: float | None
    ci: list[float | None] | None
    reference_value: float | None
    difference: float | None
    ratio: float | None
    p_adjusted: float | None
    verdict: Literal["disparity", "no_disparity_detected", "insufficient_data", "reference"]


class FairnessReport(BaseModel):
    """Findings with their verdicts, headlines and caveats."""

    model_config = ConfigDict(extra="allow")

    findings: list[Finding]
    stored: StoredInfo


class MonitoringReport(BaseModel):
    """Alerts (what, where, how strong, since when) and the monthly tables behind them."""

    model_config = ConfigDict(extra="allow")

    alerts: list[dict[str, Any]]
    stored: StoredInfo
