"""The flag rule as a pure function, over every decision, reason set and assessment."""

from __future__ import annotations

from itertools import chain, combinations

import pytest

from data.codes import Decision
from service.decisions.flags import (
    SURFACE_REASONS,
    AssessmentFacts,
    FlagCode,
    FlagThresholds,
    Reason,
    decide_flags,
)

RULE = FlagThresholds(high_risk_band=8)
ALL_REASON_SETS = list(
    chain.from_iterable(combinations(list(Reason), k) for k in range(len(Reason) + 1))
)
DEFLECTION_CODES = {
    Decision.NFA: FlagCode.NFA_DESPITE_SUBSTANTIVE_RISK,
    Decision.MORE_INFORMATION: FlagCode.MORE_INFORMATION_DESPITE_SUBSTANTIVE_RISK,
    Decision.SIGNPOST: FlagCode.SIGNPOST_DESPITE_SUBSTANTIVE_RISK,
}


def facts(substantive_band: int = 3, surface_flagged: bool = False) -> AssessmentFacts:
    share = 0.7 if surface_flagged else 0.2
    return AssessmentFacts(
        bands=10, substantive_band=substantive_band, surface_share=share,
        surface_flagged=surface_flagged,
    )  # fmt: skip


def test_every_combination_follows_the_rule():
    checked = 0
    for decision in Decision:
        for reasons in ALL_REASON_SETS:
            for band in range(1, 11):
                for surface_flagged in (False, True):
                    flags = decide_flags(decision, reasons, facts(band, surface_flagged), RULE)
                    codes = [f.code for f in flags]
                    expected = []
                    if decision in DEFLECTION_CODES and band >= 8:
                        expected.append(DEFLECTION_CODES[decision])
                    surface_only = bool(reasons) and set(reasons) <= SURFACE_REASONS
                    if decision is Decision.NFA and (surface_only or surface_flagged):
                        expected.append(FlagCode.NFA_ON_SURFACE_FEATURES_ONLY)
                    assert codes == expected, (decision, reasons, band, surface_flagged)
                    assert all(f.text for f in flags)
                    checked += 1
    assert checked == len(Decision) * 2 ** len(Reason) * 10 * 2


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
    assert decide_flags(Decision.NFA, [], facts(5), FlagThresholds(high_risk_band=5))
    assert not decide_flags(Decision.NFA, [], facts(5), FlagThresholds(high_risk_band=6))
