"""`triage train` end to end: MLflow under TRIAGE_HOME, aliases, gates, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from config.settings import Settings, get_settings
from data.io import read_contacts, write_contacts
from data.synthetic import GeneratorConfig, generate
from models import features as F
from models.registry import CHAMPION, NoChampionError, load_champion, load_version
from training.pipeline import train_file, train_frame

runner = CliRunner()


@pytest.fixture(scope="module")
def extract_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train.csv"
    write_contacts(generate(GeneratorConfig(rows=5_000, seed=31)), path)
    return path


def test_train_registers_a_champion_loadable_by_alias(triage_home, extract_path):
    result = runner.invoke(app, ["train", "--data", str(extract_path), "--linear-only"])
    assert result.exit_code == 0, result.output
    assert "is now the champion" in result.output
    loaded = load_champion(get_settings())
    assert loaded.version == "1" and loaded.run_id
    frame = read_contacts(extract_path)
    x = F.build_matrix(frame)
    assert np.isfinite(loaded.model.probability(x)).all()
    # Everything lives under TRIAGE_HOME: the SQLite store and the artifacts.
    assert (triage_home / "mlflow.db").exists()
    assert any((triage_home / "mlartifacts").rglob("triage_model.joblib"))
    assert any((triage_home / "mlartifacts").rglob("model_card.md"))


def test_failing_gate_registers_without_the_alias_and_exits_non_zero(
    triage_home, extract_path, monkeypatch
):
    assert (
        runner.invoke(app, ["train", "--data", str(extract_path), "--linear-only"]).exit_code == 0
    )
    monkeypatch.setenv("TRIAGE_GATE_MIN_AUC", "0.99")
    get_settings.cache_clear()
    result = runner.invoke(app, ["train", "--data", str(extract_path), "--linear-only"])
    assert result.exit_code == 1
    assert "FAIL auc" in result.output and "without the champion alias" in result.output
    settings = get_settings()
    assert load_champion(settings).version == "1"  # the champion is unchanged
    assert load_version(settings, version="2").version == "2"  # but version 2 is registered


def test_score_writes_the_contract_columns(triage_home, extract_path, tmp_path):
    assert (
        runner.invoke(app, ["train", "--data", str(extract_path), "--linear-only"]).exit_code == 0
    )
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["score", "--data", str(extract_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    for column in ("contact_id", "probability", "band", "surface_share", "top_contributions"):
        assert column in scores
    assert len(scores) == 5_000 and scores["band"].between(1, 10).all()


def test_score_without_a_champion_says_so(triage_home, extract_path, tmp_path):
    result = runner.invoke(
        app, ["score", "--data", str(extract_path), "--out", str(tmp_path / "s.csv")]
    )
    assert result.exit_code == 2
    assert "triage train" in result.output
    with pytest.raises(NoChampionError):
        load_champion(get_settings())


def test_training_again_on_the_same_data_and_seed_reproduces_the_metrics(triage_home, extract_path):
    settings = get_settings()
    first = train_file(extract_path, settings, families=("linear", "tree"), register=False)
    second = train_file(extract_path, settings, families=("linear", "tree"), register=False)
    # Equal up to the last bits that multi-threaded BLAS may change between runs.
    assert first.evaluation.metrics == pytest.approx(second.evaluation.metrics, rel=1e-9)
    assert [c.name for c in first.candidates] == [c.name for c in second.candidates]
    assert {c.family for c in first.candidates} == {"linear", "tree"}


def test_outcome_labels_beat_naive_labels_for_the_discounted_groups():
    frame = generate(GeneratorConfig(rows=20_000, seed=32))
    result = train_frame(frame, Settings(), families=("linear",))
    rows = {row["strategy"]: row for row in result.label_comparison}
    teens = "mean_ratio[age_band=13-15]"
    # Reading missing outcomes as "no need" learns the teen shortcut...
    assert rows["missing_negative"][teens] < 0.9
    # ...while the outcomes of contacts acted on do not.
    assert abs(rows["acted_on"][teens] - 1) < abs(rows["missing_negative"][teens] - 1)
    assert abs(rows["acted_on"]["truth_mean_ratio"] - 1) < 0.1
    assert result.model.label_strategy == "acted_on"
    assert CHAMPION == "champion"


def test_a_tiny_synthetic_extract_trains_without_crashing():
    frame = generate(GeneratorConfig(rows=300, seed=33))
    result = train_frame(frame, Settings(), families=("linear",))
    assert not result.passed  # far too few labelled rows for the gates
    assert {row["strategy"] for row in result.label_comparison} >= {"acted_on"}
