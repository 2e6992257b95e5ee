"""The synthetic generator: calibrated margins, shortcuts that can be switched off, known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.codes import ACTED_ON, Decision
from data.published import all_figures, figures
from data.synthetic import CONTACT_TO_ASSESSMENT, GeneratorConfig, Shortcuts, generate

# Source groups of the published 2020 shares, by CIN referral source code.
SOURCE_GROUPS = {
    "police": ["6"],
    "schools": ["2A"],
    "health services": ["3A", "3B", "3C", "3D", "3E", "3F"],
    "LA services": ["5A", "5B", "5C", "5D"],
    "individual": ["1A", "1B", "1C", "1D"],
    "other": ["8"],
    "other legal agency": ["7"],
    "education services": ["2B"],
    "anonymous": ["9"],
    "unknown": ["10"],
    "housing": ["4"],
}


def published_source_shares() -> dict[str, float]:
    """The 2020 referral-source shares, from the repository's published-figures file."""
    return figures("referral_source_share")


@pytest.fixture(scope="module")
def extract() -> pd.DataFrame:
    return generate(GeneratorConfig(rows=120_000, seed=11))


@pytest.fixture(scope="module")
def extract_without_shortcuts() -> pd.DataFrame:
    return generate(GeneratorConfig(rows=120_000, seed=11, shortcuts=Shortcuts.none()))


def test_reference_is_read_in_full():
    shares = published_source_shares()
    assert set(shares) == set(SOURCE_GROUPS)
    assert shares["police"] == 28.7
    assert sum(shares.values()) == pytest.approx(99.8)  # as published, rounded per group


def test_every_published_figure_names_its_public_source():
    for figure in all_figures():
        assert figure.source.startswith(("DfE", "Department for Education")), figure
        assert figure.year and figure.unit, figure


def test_age_mix_matches_published_groups(extract):
    published = figures("age_share")
    ages = extract["child_age_years"]
    assert abs((ages < 5).mean() * 100 - published["under 5"]) <= 1.5
    assert abs(ages.between(10, 15).mean() * 100 - published["10 to 15"]) <= 1.5


def test_referral_source_shares_within_three_points_of_published(extract):
    observed = extract["referral_source"].value_counts(normalize=True) * 100
    for group, published in published_source_shares().items():
        share = observed.reindex(SOURCE_GROUPS[group], fill_value=0).sum()
        assert abs(share - published) <= 3.0, (group, share, published)


def _nfa_excess(frame: pd.DataFrame, in_group: pd.Series) -> float:
    """Mean over true_risk deciles of (group's NFA rate - others' NFA rate)."""
    decile = pd.qcut(frame["true_risk"], 10, labels=False, duplicates="drop")
    nfa = frame["decision"] == Decision.NFA
    table = pd.DataFrame({"decile": decile, "group": in_group, "nfa": nfa})
    rates = table.groupby(["decile", "group"])["nfa"].mean().unstack()
    return float((rates[True] - rates[False]).mean())


@pytest.mark.parametrize(
    ("name", "selector"),
    [
        ("13-15", lambda f: f["child_age_years"].between(13, 15)),
        ("anonymous", lambda f: f["referral_source"] == "9"),
    ],
)
def test_shortcuts_raise_nfa_at_equal_true_risk_and_vanish_at_zero(
    name, selector, extract, extract_without_shortcuts
):
    with_shortcut = _nfa_excess(extract, selector(extract))
    without = _nfa_excess(extract_without_shortcuts, selector(extract_without_shortcuts))
    assert with_shortcut > 0.10, (name, with_shortcut)
    assert abs(without) < 0.03, (name, without)


def test_each_shortcut_switches_off_on_its_own(extract):
    teen_off = generate(GeneratorConfig(rows=120_000, seed=11).with_shortcuts(teen_resilience=0))
    teens = teen_off["child_age_years"].between(13, 15)
    assert abs(_nfa_excess(teen_off, teens)) < 0.03
    anonymous = teen_off["referral_source"] == "9"
    assert _nfa_excess(teen_off, anonymous) > 0.10


def test_workload_raises_nfa_only_in_affected_teams():
    config = GeneratorConfig(rows=150_000, seed=5).with_shortcuts(
        teen_resilience=0,
        anonymous_malicious=0,
        individual_suspect=0,
        workload=2.0,
        workload_teams=("T1",),
    )
    frame = generate(config)
    month = frame["received_at"].dt.strftime("%Y-%m")
    volume = frame.groupby(["team_id", month])["contact_id"].transform("size")
    usual = volume.groupby(frame["team_id"]).transform("mean")
    busy = volume > usual
    nfa = frame["decision"] == Decision.NFA

    def busy_excess(team: str) -> float:
        rows = frame["team_id"] == team
        return _nfa_excess(frame[rows], busy[rows])

    assert busy_excess("T1") > 0.03
    assert abs(busy_excess("T2")) < 0.03
    assert nfa.any()


def test_true_risk_depends_only_on_substantive_inputs_and_infancy(extract):
    keys = ["concerns", "prior_contacts_12m", "previous_cp_plan", "early_help_open"]
    baby = extract["child_age_years"] == 0
    distinct = extract.assign(baby=baby).groupby([*keys, "baby"])["true_risk"].nunique()
    assert distinct.max() == 1
    # Sources differ in concern mix, but at the same inputs the risk is the same, so a source
    # with no substantive signal has no effect: compare within one common input pattern.
    plain = extract[(extract["concerns"] == "3B") & (extract["prior_contacts_12m"] == 0)]
    plain = plain[
        ~plain["previous_cp_plan"] & ~plain["early_help_open"] & (plain.child_age_years > 0)
    ]
    assert plain.groupby("referral_source")["true_risk"].nunique().max() == 1


def test_all_six_decisions_occur_and_labels_are_selective(extract):
    assert set(extract["decision"].unique()) == {d.value for d in Decision}
    acted = extract["decision"].isin([d.value for d in ACTED_ON])
    observed = extract["outcome_need_12m"].notna()
    assert observed[acted].all()
    assert 0.05 < observed[~acted].mean() < 0.5
    # A child with need is likelier to come back, so the missing labels hide need.
    not_acted = extract[~acted]
    assert not_acted.loc[observed[~acted], "true_risk"].mean() > not_acted["true_risk"].mean()


def test_exploitation_gangs_and_missing_mostly_for_older_children(extract):
    codes = extract["concerns"].str.get_dummies(sep=";")
    older = extract["child_age_years"] >= 13
    for code in ("10A", "11A", "13A", "24A"):
        assert older[codes[code] == 1].mean() > 0.8, code


def test_concern_prevalence_follows_published_order(extract):
    codes = extract["concerns"].str.get_dummies(sep=";")
    domestic = codes[["3A", "3B", "3C"]].max(axis=1).mean()
    sexual = codes[["19B", "19C"]].max(axis=1).mean()
    gangs = codes["13A"].mean()
    assert domestic > sexual > gangs > 0


# CIN assessment factor codes of each published factor (DfE CIN census guide, item N00181).
FACTOR_CODES = {
    "domestic": ["3A", "3B", "3C"],
    "mental_health": ["4A", "4B", "4C"],
    "drugs": ["2A", "2B", "2C"],
    "emotional": ["17A"],
    "alcohol": ["1A", "1B", "1C"],
    "neglect": ["16A"],
    "physical": ["18B", "18C"],
    "sexual": ["19B", "19C"],
    "self_harm": ["15A"],
    "cse": ["11A"],
    "missing": ["10A"],
    "gangs": ["13A"],
}


def test_each_factor_at_contact_is_the_assumed_fraction_of_its_published_share(extract):
    codes = extract["concerns"].str.get_dummies(sep=";")
    published = figures("assessment_factor_share")
    assert set(published) == set(FACTOR_CODES)
    for factor, factor_codes in FACTOR_CODES.items():
        share = codes.reindex(columns=factor_codes, fill_value=0).max(axis=1).mean() * 100
        ratio = share / published[factor]
        assert abs(ratio - CONTACT_TO_ASSESSMENT) < 0.06, (factor, share, published[factor])


def test_teams_and_dates_span_two_years(extract):
    span = extract["received_at"].max() - extract["received_at"].min()
    assert span >= pd.Timedelta(days=700)
    assert extract["team_id"].nunique() >= 2
    assert (extract["decided_at"] >= extract["received_at"]).all()


def test_same_seed_same_frame_other_seed_other_frame():
    a = generate(GeneratorConfig(rows=2_000, seed=3))
    b = generate(GeneratorConfig(rows=2_000, seed=3))
    c = generate(GeneratorConfig(rows=2_000, seed=4))
    pd.testing.assert_frame_equal(a, b)
    assert not a["true_risk"].equals(c["true_risk"])


def test_rejects_nonsense_sizes():
    with pytest.raises(ValueError, match="rows"):
        generate(GeneratorConfig(rows=0))


def test_protected_characteristics_do_not_drive_need(extract):
    by_sex = extract.groupby("child_sex")["true_risk"].mean()
    assert np.ptp(by_sex.to_numpy()) < 0.01
