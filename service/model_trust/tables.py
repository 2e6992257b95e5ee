"""One row per model version that became champion: its artifact's hash and its gates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class ModelTrust(Base):
    """The first promotion of a version, as recorded: never updated, so a later change of the
    artifact in the registry cannot be recorded over it."""

    __tablename__ = "model_trust"

    model: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    gates: Mapped[str] = mapped_column(Text)  # canonical JSON: gate name -> "pass" / "fail"
    gates_passed: Mapped[bool] = mapped_column(Boolean)
    forced: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))
