"""The one rule that flags a front-door decision for a team leader's review. Pure.

- ``nfa_despite_substantive_risk``: no further action although the estimate is high on
  substantive grounds: its band with the surface fields (age, referral source) set to their
  neutral values is at least ``high_risk_band``.
- ``nfa_on_surface_features_only``: no further action where every reason given is a surface
  reason, or where the estimate the NFA follows rests mainly on surface features (its surface
  share is over the threshold).
- ``nfa_with_uncoded_narrative_concern``: no further action although the narrative check
  suggested a concern that is not coded with a similarity of at least
  ``narrative_flag_similarity`` (``TRIAGE_NARRATIVE_FLAG_SIMILARITY``). The suggestion is a
  prompt, not a finding: the flag asks a team leader to read the narrative too.
- ``more_information_despite_substantive_risk`` and ``signpost_despite_substantive_risk``: the
  contact deflected (sent back to the referrer, or signposted elsewhere) although the estimate
  is high on substantive grounds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from data.codes import Concern, Decision, Reason


class FlagCode(StrEnum):
    """Why a decision was sent for review."""

    NFA_DESPITE_SUBSTANTIVE_RISK = "nfa_despite_substantive_risk"
    NFA_ON_SURFACE_FEATURES_ONLY = "nfa_on_surface_features_only"
    NFA_WITH_UNCODED_NARRATIVE_CONCERN = "nfa_with_uncoded_narrative_concern"
    MORE_INFORMATION_DESPITE_SUBSTANTIVE_RISK = "more_information_despite_substantive_risk"
    SIGNPOST_DESPITE_SUBSTANTIVE_RISK = "signpost_despite_substantive_risk"


# Reasons about who the child is or who called, not about what is happening to the child.
SURFACE_REASONS = frozenset({Reason.CHILD_AGE, Reason.REFERRAL_SOURCE})
_DEFLECTIONS = {
    Decision.NFA: (FlagCode.NFA_DESPITE_SUBSTANTIVE_RISK, "No further action"),
    Decision.MORE_INFORMATION: (
        FlagCode.MORE_INFORMATION_DESPITE_SUBSTANTIVE_RISK,
        "Sent back to the referrer for more information",
    ),
    Decision.SIGNPOST: (FlagCode.SIGNPOST_DESPITE_SUBSTANTIVE_RISK, "Signposted elsewhere"),
}


@dataclass(frozen=True)
class AssessmentFacts:
    """What the rule needs to know about the assessment the decision follows."""

    bands: int
    substantive_band: int
    surface_share: float
    surface_flagged: bool
    # The narrative check's most similar uncoded suggestion (code, similarity); None when it
    # suggested nothing, was unavailable, or the assessment predates it.
    narrative_concern: tuple[str, float] | None = None


@dataclass(frozen=True)
class FlagThresholds:
    """The rule's settings (``TRIAGE_FLAG_HIGH_RISK_BAND``, ``TRIAGE_NARRATIVE_FLAG_SIMILARITY``):
    no defaults here, settings decide."""

    high_risk_band: int
    narrative_flag_similarity: float


@dataclass(frozen=True)
class Flag:
    """One reason to review a decision, in words."""

    code: FlagCode
    text: str


def decide_flags(
    decision: Decision,
    reasons: Iterable[Reason],
    assessment: AssessmentFacts,
    thresholds: FlagThresholds,
) -> list[Flag]:
    """Every flag a decision raises, given its reasons and the assessment it follows."""
    reasons = frozenset(reasons)
    flags = []
    if decision in _DEFLECTIONS and assessment.substantive_band >= thresholds.high_risk_band:
        code, what = _DEFLECTIONS[decision]
        flags.append(Flag(code, _substantive_text(what, assessment)))
    if decision is Decision.NFA:
        surface_reasons_only = bool(reasons) and reasons <= SURFACE_REASONS
        if surface_reasons_only or assessment.surface_flagged:
            text = _surface_text(sorted(reasons), surface_reasons_only, assessment)
            flags.append(Flag(FlagCode.NFA_ON_SURFACE_FEATURES_ONLY, text))
        concern = assessment.narrative_concern
        if concern is not None and concern[1] >= thresholds.narrative_flag_similarity:
            text = _narrative_text(*concern)
            flags.append(Flag(FlagCode.NFA_WITH_UNCODED_NARRATIVE_CONCERN, text))
    return flags


def _narrative_text(code: str, similarity: float) -> str:
    # The concern's phrase, not the sentence: the narrative stays in the contact's record.
    return (
        f"No further action, although the narrative check suggested {Concern(code).phrase} "
        f"(concern {code}, similarity {similarity:.2f}), which is not among the coded concerns. "
        "Read the narrative: the suggestion is a prompt, not a finding."
    )


def _substantive_text(what: str, facts: AssessmentFacts) -> str:
    return (
        f"{what}, although the estimate is band {facts.substantive_band} of {facts.bands} on "
        "the concerns and history alone (with the child's age and the referral source set to "
        "neutral values)."
    )


def _surface_text(reasons: list[Reason], reasons_only: bool, facts: AssessmentFacts) -> str:
    parts = []
    if reasons_only:
        given = " and ".join(r.value for r in reasons)
        parts.append(
            f"Every reason given ({given}) is about who the child is or who made the contact, "
            "not what is happening to the child."
        )
    if facts.surface_flagged:
        parts.append(
            f"The estimate this decision follows rests mainly ({facts.surface_share:.0%}) on the "
            "child's age and who made the contact, not on the concerns reported."
        )
    return " ".join(parts)
