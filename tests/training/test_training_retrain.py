"""`triage retrain` and `triage models`: challengers, the champion alias, its history."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from config.settings import get_settings
from data.io import write_contacts
from data.synthetic import GeneratorConfig, generate
from models.registry import CHAMPION, load_champion
from training.policy import AUC_GATE, CALIBRATION_GATE, compare_with_champion
from training.promotion import (
    GATES_FAILED,
    NO_PREVIOUS,
    champion_history,
    champion_stack,
    promote,
    rollback,
)
from training.retrain import retrain_file

runner = CliRunner()


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    """A small extract for a first champion, 300 rows, and a larger extract."""
    folder = tmp_path_factory.mktemp("retrain")
    paths = {name: folder / f"{name}.csv" for name in ("small", "tiny", "large")}
    write_contacts(generate(GeneratorConfig(rows=1_500, seed=6)), paths["small"])
    # Like real data, the 300 rows carry no synthetic truth.
    tiny = generate(GeneratorConfig(rows=300, seed=8)).assign(true_risk=np.nan)
    write_contacts(tiny, paths["tiny"])
    write_contacts(generate(GeneratorConfig(rows=5_000, seed=7)), paths["large"])
    return paths


def test_the_comparison_allows_a_small_loss_and_no_more():
    champion = {"auc": 0.73, "calibration_error": 0.02}
    ok = compare_with_champion(
        {"auc": 0.725, "calibration_error": 0.025},
        champion,
        max_auc_loss=0.01,
        max_calibration_increase=0.01,
    )
    assert [(g.name, g.passed) for g in ok] == [(AUC_GATE, True), (CALIBRATION_GATE, True)]
    worse = compare_with_champion(
        {"auc": 0.70, "calibration_error": 0.05},
        champion,
        max_auc_loss=0.01,
        max_calibration_increase=0.01,
    )
    assert not any(g.passed for g in worse)
    assert worse[0].value == pytest.approx(-0.03)
    unknown = compare_with_champion(
        {"auc": math.nan, "calibration_error": 0.01},
        champion,
        max_auc_loss=0.01,
        max_calibration_increase=0.01,
    )
    assert not unknown[0].passed and "could not be compared" in unknown[0].detail


def test_the_history_is_a_stack_of_champions():
    events = [
        {"action": "registered", "version": "1"},
        {"action": "retrain", "version": "3"},
        {"action": "retrain", "version": "3"},  # the same move recorded twice counts once
        {"action": "rollback", "version": "1"},
        {"action": "promote", "version": "2"},
        {"action": "observed", "version": "4"},
    ]
    assert champion_stack(events) == ["1", "2", "4"]
    assert champion_stack([*events, {"action": "rollback", "version": "2"}]) == ["1", "2"]


def test_retrain_promotes_only_a_challenger_no_worse_than_the_champion(triage_home, extracts):
    settings = get_settings()
    events: list[dict] = []

    # No champion yet: retraining is training, and the hook hears of the first champion.
    first = retrain_file(
        extracts["small"], settings, families=("linear",), on_promotion=events.append
    )
    assert first.promoted and first.champion_version is None and not first.comparison
    assert (events[-1]["action"], events[-1]["version"], events[-1]["previous"]) == (
        "retrain",
        "1",
        None,
    )

    # A challenger trained on 300 rows is registered but not promoted, and the command says why.
    result = runner.invoke(app, ["retrain", "--data", str(extracts["tiny"]), "--linear-only"])
    assert result.exit_code == 1, result.output
    assert "Not promoted; the champion stays version 1" in result.output
    assert "FAIL labelled_rows" in result.output and "champion version 1" in result.output
    assert load_champion(settings).version == "1"

    # A challenger trained on more data, judged with the champion on the same rows, is promoted.
    better = retrain_file(
        extracts["large"], settings, families=("linear",), on_promotion=events.append
    )
    assert better.promoted and better.champion_version == "1"
    assert [g.name for g in better.comparison] == [AUC_GATE, CALIBRATION_GATE]
    assert all(g.passed for g in better.comparison)
    assert (
        better.champion_evaluation.metrics["acted_on_rows"]
        == better.challenger.evaluation.metrics["acted_on_rows"]
    )
    assert (events[-1]["version"], events[-1]["previous"]) == ("3", "1")
    assert events[-1]["gates"][AUC_GATE] == "pass"

    listing = runner.invoke(app, ["models", "list", "--json"])
    assert listing.exit_code == 0, listing.output
    versions = {v["version"]: v for v in json.loads(listing.output)}
    assert versions["3"]["aliases"] == [CHAMPION] and versions["1"]["aliases"] == []
    assert versions["2"]["gates"]["labelled_rows"] == "fail"
    assert versions["3"]["metrics"]["auc"] > 0.65 and versions["3"]["created"]
    table = runner.invoke(app, ["models", "list"])
    assert "champion" in table.output and "fail: labelled_rows" in table.output

    # Rollback restores the previous champion.
    back = runner.invoke(app, ["models", "rollback"])
    assert back.exit_code == 0, back.output
    assert "version 1 is the champion again (was 3)" in back.output
    assert load_champion(settings).version == "1"

    # A version whose gates failed needs --force.
    refused = runner.invoke(app, ["models", "promote", "2"])
    assert refused.exit_code == 1
    assert (
        GATES_FAILED.format(version=2, failed="labelled_rows, auc, calibration_error")
        in refused.output
    )
    assert load_champion(settings).version == "1"
    forced = runner.invoke(
        app, ["models", "promote", "2", "--force", "--reason", "tried on the tiny extract"]
    )
    assert forced.exit_code == 0 and "forced past failed gates" in forced.output
    assert load_champion(settings).version == "2"
    event = promote(settings, "3", reason="better on the large extract", on_promotion=events.append)
    assert (event["action"], event["version"], event["previous"], event["forced"]) == (
        "promote",
        "3",
        "2",
        False,
    )
    assert load_champion(settings).version == "3"

    # An alias moved outside these commands is read into the history; rollback undoes it.
    import mlflow

    mlflow.MlflowClient().set_registered_model_alias(settings.model_name, CHAMPION, "1")
    history = champion_history(settings)
    assert (history[-1]["action"], history[-1]["version"]) == ("observed", "1")
    assert rollback(settings, on_promotion=events.append)["version"] == "3"
    assert [e["action"] for e in champion_history(settings)] == [
        "retrain",
        "retrain",
        "rollback",
        "promote",
        "promote",
        "observed",
        "rollback",
    ]
    assert rollback(settings)["version"] == "2"
    assert rollback(settings)["version"] == "1"
    nothing = runner.invoke(app, ["models", "rollback"])
    assert nothing.exit_code == 1 and NO_PREVIOUS in nothing.output
    assert load_champion(settings).version == "1"
