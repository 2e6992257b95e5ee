"""Completed social-work assessments: the outcome, and why it was late when it was."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class AssessmentCompletion(Base):
    """A social-work assessment closed with its outcome (after an ``assessment`` or
    ``strategy_discussion`` decision). Not the model's assessment (``assessments``)."""

    __tablename__ = "assessment_completions"

    contact_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("contacts.contact_id"), primary_key=True
    )
    completed_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)  # any length, never truncated, never logged
    late_reasons: Mapped[list[str]] = mapped_column(JSON)
    late_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
