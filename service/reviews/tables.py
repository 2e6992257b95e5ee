"""The review queue: one row per flagged decision, and its flag codes for filtering."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class Review(Base):
    """A flagged decision waiting for (or given) a team leader's review."""

    __tablename__ = "reviews"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    decision_id: Mapped[str] = mapped_column(String(36), ForeignKey("decisions.id"), unique=True)
    contact_id: Mapped[str] = mapped_column(String(64), ForeignKey("contacts.contact_id"))
    team_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    age_band: Mapped[str] = mapped_column(String(8), index=True)
    flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)  # "open" or "resolved"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_to: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    new_decision_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("decisions.id"), nullable=True
    )


class ReviewFlag(Base):
    """One flag code of a review, so the queue can be filtered by flag on any backend."""

    __tablename__ = "review_flags"

    review_seq: Mapped[int] = mapped_column(Integer, ForeignKey("reviews.seq"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
