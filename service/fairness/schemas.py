"""The fairness report's shape (docs/fairness.md); further keys pass through."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from service.reports.schemas import StoredInfo


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
