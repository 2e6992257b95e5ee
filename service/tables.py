"""Every service table, imported in one place so the metadata is complete (migrations, tests)."""

from __future__ import annotations

from service.audit.tables import AuditEvent, AuditHead
from service.auth.tables import (
    BreakGlassRead,
    OidcIdentity,
    OidcPending,
    PageSessionRecord,
    User,
    UserTeam,
)
from service.completions.tables import AssessmentCompletion
from service.contacts.tables import Contact, ContactRevision, StoredAssessment
from service.db import Base
from service.decisions.tables import DecisionRecord
from service.inbox.tables import InboxClaim
from service.model_trust.tables import ModelTrust
from service.outcomes.tables import OutcomeRecord
from service.reports.tables import StoredReport
from service.reviews.tables import Review, ReviewFlag

metadata = Base.metadata

__all__ = [
    "AssessmentCompletion",
    "AuditEvent",
    "AuditHead",
    "BreakGlassRead",
    "Contact",
    "ContactRevision",
    "DecisionRecord",
    "InboxClaim",
    "ModelTrust",
    "OidcIdentity",
    "OidcPending",
    "OutcomeRecord",
    "PageSessionRecord",
    "Review",
    "ReviewFlag",
    "StoredAssessment",
    "StoredReport",
    "User",
    "UserTeam",
    "metadata",
]
