"""Decisions recorded on contacts; the latest (highest ``seq``) is the contact's current one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class DecisionRecord(Base):
    """One front-door decision, its reasons, the note and the flags it raised."""

    __tablename__ = "decisions"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    contact_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("contacts.contact_id"), index=True
    )
    decision: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text)  # any length, never truncated
    review_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(32))  # "worker" or "review_overturn"
    # Why it was recorded after its due day (LateReason codes; null or empty when in time), and
    # the worker's own words about it: any length, never logged (docs/timeliness.md).
    late_reasons: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    late_note: Mapped[str | None] = mapped_column(Text, nullable=True)
