"""Stored reports: every fairness or monitoring report computed, never overwritten."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class StoredReport(Base):
    """One computed report, when and by whom, and the store's watermark it covers."""

    __tablename__ = "stored_reports"
    __table_args__ = (Index("ix_stored_reports_kind_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # "fairness" or "monitoring"
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    computed_by: Mapped[str] = mapped_column(String(128))  # a user, or the job that ran
    seconds: Mapped[float] = mapped_column(Float)  # how long the computation took
    # The watermark: the contacts and decisions the report covers.
    contacts: Mapped[int] = mapped_column(Integer)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_decision_seq: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
