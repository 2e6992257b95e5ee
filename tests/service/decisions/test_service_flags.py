"""The flag rule as a pure function, over every decision, reason set and assessment."""

from __future__ import annotations

import pytest

from data.codes import Decision, Reason
from service.decisions.flags import (
    AssessmentFacts,
    FlagCode,
    FlagThresholds,
    decide_flags,
)

RULE = FlagThresholds(high_risk_band=8, narrative_flag_similarity=0.48)
R = Reason
NFA_RISK = FlagCode.NFA_DESPITE_SUBSTANTIVE_RISK
NFA_SURFACE = FlagCode.NFA_ON_SURFACE_FEATURES_ONLY
MORE_RISK = FlagCode.MORE_INFORMATION_DESPITE_SUBSTANTIVE_RISK
SIGNPOST_RISK = FlagCode.SIGNPOST_DESPITE_SUBSTANTIVE_RISK


def facts(substantive_band: int = 3, surface_flagged: bool = False) -> AssessmentFacts:
    share = 0.7 if surface_flagged else 0.2
    return AssessmentFacts(
        bands=10, substantive_band=substantive_band, surface_share=share,
        surface_flagged=surface_flagged,
    )  # fmt: skip


# Written out by hand from the rule in docs (not derived from the code's own constants):
# (decision, reasons, substantive band, surface flagged) -> the flags' codes, in order.
CASES = [
    (Decision.NFA, [R.NO_CONCERNS_IDENTIFIED], 3, False, []),
    (Decision.NFA, [R.NO_CONCERNS_IDENTIFIED], 7, False, []),
    (Decision.NFA, [R.NO_CONCERNS_IDENTIFIED], 8, False, [NFA_RISK]),
    (Decision.NFA, [R.OTHER], 10, False, [NFA_RISK]),
    (Decision.NFA, [], 9, False, [NFA_RISK]),
    (Decision.NFA, [], 2, False, []),
    (Decision.NFA, [R.CHILD_AGE], 2, False, [NFA_SURFACE]),
    (Decision.NFA, [R.REFERRAL_SOURCE], 2, False, [NFA_SURFACE]),
    (Decision.NFA, [R.CHILD_AGE, R.REFERRAL_SOURCE], 2, False, [NFA_SURFACE]),
    (Decision.NFA, [R.CHILD_AGE, R.ALREADY_SUPPORTED], 2, False, []),
    (Decision.NFA, [R.REFERRAL_SOURCE, R.OTHER], 2, False, []),
    (Decision.NFA, [R.INSUFFICIENT_INFORMATION], 2, True, [NFA_SURFACE]),
    (Decision.NFA, [], 2, True, [NFA_SURFACE]),
    (Decision.NFA, [R.CHILD_AGE], 9, False, [NFA_RISK, NFA_SURFACE]),
    (Decision.NFA, [R.CONCERNS_NOT_SUBSTANTIATED], 8, True, [NFA_RISK, NFA_SURFACE]),
    (Decision.MORE_INFORMATION, [R.INSUFFICIENT_INFORMATION], 7, False, []),
    (Decision.MORE_INFORMATION, [R.INSUFFICIENT_INFORMATION], 8, False, [MORE_RISK]),
    (Decision.MORE_INFORMATION, [R.CHILD_AGE], 2, True, []),
    (Decision.MORE_INFORMATION, [R.REFERRAL_SOURCE], 10, True, [MORE_RISK]),
    (Decision.SIGNPOST, [R.ALREADY_SUPPORTED], 3, False, []),
    (Decision.SIGNPOST, [R.ALREADY_SUPPORTED], 9, False, [SIGNPOST_RISK]),
    (Decision.SIGNPOST, [R.CHILD_AGE], 2, True, []),
    (Decision.EARLY_HELP, [R.CHILD_AGE], 10, True, []),
    (Decision.ASSESSMENT, [R.REFERRAL_SOURCE], 10, True, []),
    (Decision.STRATEGY_DISCUSSION, [], 10, True, []),
]


@pytest.mark.parametrize(("decision", "reasons", "band", "surface_flagged", "expected"), CASES)
def test_the_rule_on_hand_written_cases(decision, reasons, band, surface_flagged, expected):
    flags = decide_flags(decision, reasons, facts(band, surface_flagged), RULE)
    assert [f.code for f in flags] == expected
    assert all(f.text for f in flags)


def test_the_cases_cover_every_decision_and_reason():
    assert {case[0] for case in CASES} == set(Decision)
    assert {r for case in CASES for r in case[1]} == set(Reason)


def test_an_nfa_despite_substantive_risk_is_flagged_with_the_band():
    [flag] = decide_flags(Decision.NFA, [Reason.OTHER], facts(9), RULE)
    assert flag.code == "nfa_despite_substantive_risk"
    assert "band 9 of 10" in flag.text


@pytest.mark.parametrize(
    "reasons",
    [[Reason.CHILD_AGE], [Reason.REFERRAL_SOURCE], [Reason.CHILD_AGE, Reason.REFERRAL_SOURCE]],
)
def test_an_nfa_for_surface_reasons_only_is_flagged(reasons):
    [flag] = decide_flags(Decision.NFA, reasons, facts(2), RULE)
    assert flag.code == "nfa_on_surface_features_only"
    assert "who the child is or who made the contact" in flag.text


def test_a_substantive_reason_beside_a_surface_one_is_not_surface_only():
    assert (
        decide_flags(Decision.NFA, [Reason.CHILD_AGE, Reason.ALREADY_SUPPORTED], facts(2), RULE)
        == []
    )


def test_no_reasons_is_not_surface_only():
    assert decide_flags(Decision.NFA, [], facts(2), RULE) == []


def test_an_nfa_following_a_surface_estimate_is_flagged_with_the_share():
    [flag] = decide_flags(Decision.NFA, [Reason.OTHER], facts(2, surface_flagged=True), RULE)
    assert flag.code == "nfa_on_surface_features_only"
    assert "70%" in flag.text


def test_both_nfa_flags_together():
    flags = decide_flags(Decision.NFA, [Reason.REFERRAL_SOURCE], facts(10, True), RULE)
    assert [f.code for f in flags] == [
        "nfa_despite_substantive_risk",
        "nfa_on_surface_features_only",
    ]


@pytest.mark.parametrize("decision", [Decision.MORE_INFORMATION, Decision.SIGNPOST])
def test_deflecting_a_high_risk_contact_has_its_own_code(decision):
    [flag] = decide_flags(decision, [Reason.INSUFFICIENT_INFORMATION], facts(8), RULE)
    assert flag.code == f"{decision.value}_despite_substantive_risk"
    assert decide_flags(decision, [Reason.CHILD_AGE], facts(7, True), RULE) == []


@pytest.mark.parametrize(
    "decision", [Decision.EARLY_HELP, Decision.ASSESSMENT, Decision.STRATEGY_DISCUSSION]
)
def test_acting_on_a_contact_is_never_flagged(decision):
    assert decide_flags(decision, [Reason.CHILD_AGE], facts(10, True), RULE) == []


def test_the_threshold_is_a_setting():
    assert decide_flags(Decision.NFA, [], facts(5), FlagThresholds(5, 0.48))
    assert not decide_flags(Decision.NFA, [], facts(5), FlagThresholds(6, 0.48))


NFA_NARRATIVE = FlagCode.NFA_WITH_UNCODED_NARRATIVE_CONCERN


def narrative_facts(concern: tuple[str, float] | None) -> AssessmentFacts:
    """A low, substantive estimate whose narrative check suggested ``concern`` (or nothing)."""
    return AssessmentFacts(
        bands=10, substantive_band=3, surface_share=0.2, surface_flagged=False,
        narrative_concern=concern,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("concern", "expected"),
    [
        (("2B", 0.61), [NFA_NARRATIVE]),
        (("2B", 0.48), [NFA_NARRATIVE]),  # at the threshold counts
        (("2B", 0.47), []),
        (None, []),
    ],
)
def test_an_nfa_with_an_uncoded_narrative_concern_is_flagged(concern, expected):
    flags = decide_flags(Decision.NFA, [R.NO_CONCERNS_IDENTIFIED], narrative_facts(concern), RULE)
    assert [f.code for f in flags] == expected


def test_the_narrative_flag_names_the_concern_but_never_quotes_the_narrative():
    [flag] = decide_flags(Decision.NFA, [], narrative_facts(("2B", 0.612)), RULE)
    assert "drug misuse by a parent or carer" in flag.text
    assert "2B" in flag.text and "0.61" in flag.text
    assert "'" not in flag.text  # no quoted sentence


@pytest.mark.parametrize(
    "decision",
    [Decision.MORE_INFORMATION, Decision.SIGNPOST, Decision.EARLY_HELP, Decision.ASSESSMENT],
)
def test_only_an_nfa_raises_the_narrative_flag(decision):
    assert decide_flags(decision, [], narrative_facts(("2B", 0.9)), RULE) == []


def test_the_narrative_flag_threshold_is_a_setting():
    concern = narrative_facts(("3B", 0.55))
    assert decide_flags(Decision.NFA, [], concern, FlagThresholds(8, 0.55))
    assert not decide_flags(Decision.NFA, [], concern, FlagThresholds(8, 0.56))
