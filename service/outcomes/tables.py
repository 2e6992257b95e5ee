"""The outcome known for a contact: assessed as in need within 12 months, or not."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class OutcomeRecord(Base):
    """One contact's outcome; recording it again replaces it (and both are audited)."""

    __tablename__ = "outcomes"

    contact_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("contacts.contact_id"), primary_key=True
    )
    outcome_need_12m: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
