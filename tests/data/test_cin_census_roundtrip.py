"""Synthetic census returns import back to the generator's own referrals and outcomes."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from data.cin_census.importer import import_returns
from data.cin_census.keys import DEVELOPMENT_KEY
from data.cin_census.mapping import pseudonym
from data.cin_census.outcomes import add_months
from data.cin_census.writer import write_returns
from data.io import read_contacts, validate_file
from data.synthetic import GeneratorConfig, generate

KEY = b"roundtrip-key"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    frame = generate(GeneratorConfig(rows=4_000, seed=11))
    paths, truth = write_returns(frame, tmp_path_factory.mktemp("census"), lea="888", seed=11)
    result = import_returns(paths, key=KEY)
    truth["contact_id"] = [
        pseudonym(KEY, "888", c, d)
        for c, d in zip(truth.la_child_id, truth.referral_date, strict=True)
    ]
    joined = truth.merge(
        result.frame, on="contact_id", how="outer", indicator=True, suffixes=("_truth", "")
    )
    return frame, paths, truth, result, joined


def test_one_return_per_collection_year(world):
    _, paths, _, result, _ = world
    assert [p.name for p in paths] == ["cin_census_888_2024.xml", "cin_census_888_2025.xml"]
    assert result.merged > 0  # episodes open over 31 March are in both returns
    assert result.problems == []


def test_every_referral_comes_back_once(world):
    frame, _, truth, result, joined = world
    assert (joined["_merge"] == "both").all()
    assert result.written == len(truth)
    originals = truth[~truth.re_referral]
    became_referrals = frame["decision"].isin(["nfa", "assessment", "strategy_discussion"])
    assert len(originals) == became_referrals.sum()
    assert result.frame["contact_id"].is_unique


def test_sources_ages_and_decisions_match_the_generator(world):
    *_, joined = world
    assert (joined["referral_source_truth"] == joined["referral_source"]).all()
    assert (joined["child_age_years_truth"] == joined["child_age_years"]).all()
    assert (joined["decision_truth"] == joined["decision"]).all()
    local = joined["received_at"].dt.tz_convert("Europe/London").dt.date
    assert (local == joined["referral_date"]).all()
    assert (joined["team_id"] == "888").all()
    assert (joined["concerns"] == "").all()


def test_characteristics_match_the_generator(world):
    frame, *_, joined = world
    originals = joined[~joined.re_referral.astype(bool)].merge(
        frame[["contact_id", "child_sex", "child_ethnicity", "child_disability"]],
        left_on="generator_contact_id",
        right_on="contact_id",
        suffixes=("", "_gen"),
    )
    for column in ("child_sex", "child_ethnicity", "child_disability"):
        imported = originals[column].fillna("U")
        assert (imported == originals[f"{column}_gen"]).all(), column


def test_outcomes_follow_the_documented_rules(world):
    *_, joined = world
    imported, expected = joined["outcome_need_12m"], joined["outcome_need_12m_truth"]
    window_end = joined["referral_date"].map(lambda d: add_months(d, 12))
    observed = window_end <= joined["observed_until"]
    # Fully observed 12 months: exactly the generator's outcome (strategy discussions = need).
    full = joined[observed]
    assert len(full) > 500
    assert (
        full["outcome_need_12m"]
        .astype(object)
        .where(full["outcome_need_12m"].notna(), None)
        .tolist()
        == full["outcome_need_12m_truth"].tolist()
    )
    # Otherwise: either not yet known, or already the generator's.
    partial = ~observed & imported.notna()
    assert (imported[partial].astype(bool) == expected[partial].astype(bool)).all()
    assert imported[~observed].isna().sum() > 0
    # NFA'd children who never came back are unobserved, never "no need".
    never_back = (joined["decision"] == "nfa") & expected.isna()
    assert never_back.sum() > 100 and imported[never_back].isna().all()


def test_re_referrals_count_the_earlier_referral(world):
    *_, joined = world
    again = joined[joined.re_referral.astype(bool)]
    assert len(again) > 50
    assert (again["prior_contacts_12m"] == 1).all()
    assert (joined[~joined.re_referral.astype(bool)]["prior_contacts_12m"] == 0).all()


def test_cli_generate_import_validate(tmp_path, triage_home, monkeypatch):
    monkeypatch.delenv("TRIAGE_PSEUDONYM_KEY", raising=False)
    runner = CliRunner()
    folder = tmp_path / "returns"
    made = runner.invoke(
        app,
        [
            "data",
            "generate",
            "--rows",
            "1500",
            "--seed",
            "2",
            "--format",
            "cin-xml",
            "--out",
            str(folder),
        ],
    )
    assert made.exit_code == 0, made.output
    files = sorted(str(p) for p in folder.glob("*.xml"))
    assert len(files) == 2
    extract, problems = tmp_path / "extract.csv", tmp_path / "problems.csv"
    done = runner.invoke(
        app, ["data", "import-cin", *files, "--out", str(extract), "--problems", str(problems)]
    )
    assert done.exit_code == 0, done.output
    frame = read_contacts(extract)
    assert f"{len(frame):,} written to {extract}" in done.output
    assert validate_file(extract).ok
    assert pd.read_csv(problems).empty
    # With no key set, development uses its documented default key.
    again = import_returns(files, key=DEVELOPMENT_KEY.encode()).frame
    assert set(frame["contact_id"]) == set(again["contact_id"])
