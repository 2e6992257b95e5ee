"""Who has which contact now.

The inbox owns claims. It reads contacts, assessments, decisions and completions but never
writes them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from service.contacts.tables import Contact
from service.db import Base, UTCDateTime


class InboxClaim(Base):
    """The one person working a contact now. The primary key makes a second claim fail."""

    __tablename__ = "inbox_claims"

    contact_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("contacts.contact_id"), primary_key=True
    )
    claimed_by: Mapped[str] = mapped_column(String(64), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


# The inbox reads a team's open work in the order it was received, a page at a time.
Index("ix_contacts_team_id_received_at", Contact.team_id, Contact.received_at)
