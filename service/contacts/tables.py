"""Stored contacts and the assessment each was given, with the model that gave it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db import Base, UTCDateTime


class Contact(Base):
    """A contact as scored: its canonical JSON body and the fields queries need."""

    __tablename__ = "contacts"

    contact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON, narrative included
    body_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    child_age_years: Mapped[int] = mapped_column(Integer)
    referral_source: Mapped[str] = mapped_column(String(4))
    team_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StoredAssessment(Base):
    """The second opinion given on a contact, exactly as it was returned."""

    __tablename__ = "assessments"

    contact_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("contacts.contact_id"), primary_key=True
    )
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(32))
    model_run_id: Mapped[str] = mapped_column(String(64))
    probability: Mapped[float] = mapped_column(Float)
    band: Mapped[int] = mapped_column(Integer)
    bands: Mapped[int] = mapped_column(Integer)
    surface_share: Mapped[float] = mapped_column(Float)
    surface_flagged: Mapped[bool] = mapped_column(Boolean)
    substantive_probability: Mapped[float] = mapped_column(Float)
    substantive_band: Mapped[int] = mapped_column(Integer)
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON)
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ContactRevision(Base):
    """One revision of a contact's record, with the assessment it was given; never changed.

    Revision 1 is the record as first scored; ``contacts`` and ``assessments`` hold the latest
    revision's (except ``contacts.received_at``, which stays the first receipt).
    """

    __tablename__ = "contact_revisions"

    contact_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("contacts.contact_id"), primary_key=True
    )
    revision: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(Text)  # canonical JSON, narrative included
    body_sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)  # as this revision's record says
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON)
    model_name: Mapped[str] = mapped_column(String(200))
    model_version: Mapped[str] = mapped_column(String(32))
    model_run_id: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
