"""Feed the store to the pure monitor: contacts, decisions, outcomes, reviews, the reference."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import Settings
from service.auth.teams import break_glass_reads
from service.errors import ModelUnavailable
from service.exports.contract import contract_extract
from service.reviews.tables import Review, ReviewFlag
from service.timeliness.service import options_for


def resolved_reviews(session: Session) -> pd.DataFrame:
    """Each resolved review's contact and outcome (upheld or overturned)."""
    rows = session.execute(
        select(Review.contact_id, Review.outcome).where(Review.status == "resolved")
    ).all()
    return pd.DataFrame(rows, columns=["contact_id", "outcome"])


def review_flags(session: Session) -> pd.DataFrame:
    """Each review's flag codes with its outcome (upheld, overturned, or None while open)."""
    rows = session.execute(
        select(ReviewFlag.code, Review.outcome).join(Review, Review.seq == ReviewFlag.review_seq)
    ).all()
    return pd.DataFrame(rows, columns=["code", "outcome"])


def monitoring_report(session: Session, settings: Settings) -> dict[str, Any]:
    """The monitor's report of every stored contact against the champion's reference profile.

    Timeliness checks are on, with the settings' due-day rules, as in ``triage monitor``.
    """
    from monitoring import monitor
    from monitoring.registry import load_reference

    try:
        reference = load_reference(settings)
    except LookupError as error:
        raise ModelUnavailable(str(error)) from error
    rules = options_for(settings, with_notes=False)
    frame = contract_extract(session, with_assessment=True, rules=rules)
    report = monitor(
        frame,
        reference_profile=reference.profile,
        reference_model=reference.model,
        reviews=resolved_reviews(session),
        review_flags=review_flags(session),
        break_glass=break_glass_reads(session),
        min_n=settings.monitor_min_n,
        alpha=settings.monitor_alpha,
        min_auc=settings.gate_min_auc,
        timeliness=rules,
    )
    return report.to_dict()
