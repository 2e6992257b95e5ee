"""The synthetic extract's timeliness columns: calibrated, consistent, and from their own stream."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from data.codes import LateReason
from data.contract import COLUMNS
from data.io import read_contacts, write_contacts
from data.lateness import outcome_implies_need
from data.published import figures
from data.synthetic import GeneratorConfig, generate
from data.workdays import (
    add_working_days_many,
    is_working_day,
    london_days,
    working_days_between_many,
)

TIMELINESS = (
    "due_on",
    "late_reasons",
    "late_note",
    "assessment_due_on",
    "assessment_completed_on",
    "assessment_outcome",
    "assessment_late_reasons",
    "assessment_late_note",
)


@pytest.fixture(scope="module")
def extract() -> pd.DataFrame:
    return generate(GeneratorConfig(rows=40_000, seed=5))


def _days(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def test_assessments_match_the_published_timeliness(extract):
    published = figures("assessment_timeliness")
    assessed = extract[extract["decision"].isin(["assessment", "strategy_discussion"])]
    taken = working_days_between_many(
        london_days(assessed["received_at"]), _days(assessed["assessment_completed_on"])
    )
    assert abs((taken <= 45).mean() * 100 - published["within 45 working days"]) < 2.0
    assert abs(np.median(taken) - published["median working days"]) <= 1


def test_only_assessments_have_assessment_dates_and_due_days_are_working_days(extract):
    assessed = extract["decision"].isin(["assessment", "strategy_discussion"])
    for column in ("assessment_due_on", "assessment_completed_on", "assessment_outcome"):
        assert extract.loc[assessed, column].notna().all(), column
        assert extract.loc[~assessed, column].isna().all(), column
    sample = pd.concat([extract["due_on"], extract.loc[assessed, "assessment_due_on"]])
    assert all(is_working_day(day.date()) for day in sample.drop_duplicates())
    due = add_working_days_many(london_days(extract["received_at"]), np.full(len(extract), 1))
    assert (_days(extract["due_on"]) == due).all()


def test_late_assessments_and_only_they_carry_known_reasons(extract):
    late = extract["assessment_completed_on"] > extract["assessment_due_on"]
    assert late.sum() > 0
    assert extract.loc[late, "assessment_late_reasons"].notna().all()
    assert extract.loc[~late, "assessment_late_reasons"].isna().all()
    codes = extract.loc[late, "assessment_late_reasons"].str.split(";").explode()
    assert set(codes) <= {r.value for r in LateReason}


def _decided_days(extract: pd.DataFrame) -> np.ndarray:
    return london_days(extract["decided_at"])


def test_late_decisions_and_only_they_carry_known_reasons(extract):
    late = _decided_days(extract) > _days(extract["due_on"])
    assert 0.04 < late.mean() < 0.15  # about 8% at a team's usual volume (docs/synthetic-data.md)
    assert extract.loc[late, "late_reasons"].notna().all()
    assert extract.loc[~late, "late_reasons"].isna().all()  # in time: no reasons
    codes = extract.loc[late, "late_reasons"].str.split(";").explode()
    assert set(codes) <= {r.value for r in LateReason}
    assert (extract["decided_at"] >= extract["received_at"]).all()
    taken = working_days_between_many(london_days(extract["received_at"]), _decided_days(extract))
    assert (taken[late] >= 2).all() and (taken[~late] <= 1).all()
    assert all(is_working_day(day) for day in pd.Series(_decided_days(extract)[late]).dt.date)


def _volume_ratio(extract: pd.DataFrame) -> pd.Series:
    month = extract["received_at"].dt.strftime("%Y-%m")
    volume = extract.groupby([extract["team_id"], month])["contact_id"].transform("size")
    return volume / volume.groupby(extract["team_id"]).transform("mean")


def test_busier_team_months_decide_late_more_often_and_for_lack_of_capacity(extract):
    late = pd.Series(_decided_days(extract) > _days(extract["due_on"]), index=extract.index)
    ratio = _volume_ratio(extract)
    busy = ratio > ratio.median()
    assert late[busy].mean() > late[~busy].mean() + 0.02
    # And it keeps rising: the busiest quarter of team-months is later than the quietest.
    assert late[ratio >= ratio.quantile(0.75)].mean() > late[ratio <= ratio.quantile(0.25)].mean()
    capacity = extract.loc[late, "late_reasons"].str.contains("team_capacity")
    share = capacity.groupby(busy[late]).mean()
    assert share[True] > share[False]


def test_outcomes_agree_with_observed_need(extract):
    assessed = extract[extract["assessment_outcome"].notna()]
    implied = assessed["assessment_outcome"].map(outcome_implies_need).astype(bool)
    assert (implied == assessed["outcome_need_12m"].astype(bool)).all()


def test_busier_team_months_are_late_more_often(extract):
    assessed = extract[extract["assessment_due_on"].notna()].copy()
    month = assessed["received_at"].dt.strftime("%Y-%m")
    volume = extract.groupby([extract["team_id"], extract["received_at"].dt.strftime("%Y-%m")])[
        "contact_id"
    ].transform("size")
    usual = volume.groupby(extract["team_id"]).transform("mean")
    ratio = (volume / usual).loc[assessed.index]
    late = assessed["assessment_completed_on"] > assessed["assessment_due_on"]
    busy = ratio > ratio.median()
    assert late[busy].mean() > late[~busy].mean() + 0.03, month.nunique()
    reasons = assessed.loc[late, "assessment_late_reasons"]
    share_capacity = reasons.str.contains("team_capacity").groupby(busy[late]).mean()
    assert share_capacity[True] > share_capacity[False]


def test_the_other_columns_do_not_depend_on_the_timeliness_settings():
    config = GeneratorConfig(rows=2_000, seed=3)
    one = generate(config)
    other = generate(replace(config, assessment_due_working_days=7, decision_due_working_days=2))
    rest = [c for c in COLUMNS if c not in TIMELINESS]
    pd.testing.assert_frame_equal(one[rest], other[rest])
    assessed = other[other["assessment_due_on"].notna()]
    assert (assessed["assessment_completed_on"] > assessed["assessment_due_on"]).mean() > 0.9
    assert (other["due_on"] > one["due_on"]).all()


def test_timeliness_columns_round_trip_through_csv(tmp_path, extract):
    path = tmp_path / "contacts.csv"
    write_contacts(extract.head(500), path)
    pd.testing.assert_frame_equal(read_contacts(path), extract.head(500))
