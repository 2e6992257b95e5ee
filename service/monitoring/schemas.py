"""The monitoring report's shape (docs/monitoring.md); further keys pass through."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from service.reports.schemas import StoredInfo


class MonitoringReport(BaseModel):
    """Alerts (what, where, how strong, since when) and the monthly tables behind them."""

    model_config = ConfigDict(extra="allow")

    alerts: list[dict[str, Any]]
    stored: StoredInfo
