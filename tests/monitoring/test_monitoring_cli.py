"""`triage monitor` end to end: the champion's profile, scoring, JSON, HTML and the card."""

from __future__ import annotations

import json

import mlflow
import pytest
from monitoring_data import NOW
from typer.testing import CliRunner

from cli.main import app
from config.settings import get_settings
from data.io import write_contacts
from data.synthetic import GeneratorConfig, generate
from monitoring.registry import HISTORY_HEADING, load_reference, monitoring_history
from training.pipeline import train_file

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A training extract and six later months of contacts, without estimates."""
    folder = tmp_path_factory.mktemp("monitor")
    paths = {"train": folder / "train.csv", "months": folder / "months.parquet"}
    write_contacts(generate(GeneratorConfig(rows=3_000, seed=41)), paths["train"])
    later = GeneratorConfig(rows=3_000, seed=42, start="2024-07-01", months=6)
    write_contacts(generate(later), paths["months"])
    return paths


def test_monitor_scores_with_the_champion_and_records_in_its_card(triage_home, files, tmp_path):
    settings = get_settings()
    assert train_file(files["train"], settings, families=("linear",)).champion
    out, page = tmp_path / "report.json", tmp_path / "report.html"
    args = ["monitor", "--data", str(files["months"]), "--out", str(out), "--html", str(page)]
    result = runner.invoke(app, [*args, "--now", NOW, "--record"])
    assert result.exit_code == 0, result.output
    assert "against front-door-triage version 1" in result.output
    report = json.loads(out.read_text(encoding="utf-8"), parse_constant=pytest.fail)
    assert report["reference"]["version"] == "1" and report["reference"]["rows"] == 3_000
    assert report["months"][0]["month"] == "2024-07"
    assert report["estimate_drift"]["checks"]  # the champion scored the file
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    reference = load_reference(settings)
    card = mlflow.artifacts.load_text(f"runs:/{reference.run_id}/model_card.md")
    assert card.count(HISTORY_HEADING) == 1 and card.count("\n### ") == 1
    assert "Data 2024-07 to 2024-12, 3,000 contacts" in card
    # A second record appends to the same section.
    again = runner.invoke(app, [*args, "--now", "2026-07-01", "--record"])
    assert again.exit_code == 0, again.output
    assert len(monitoring_history(settings, version="1")) == 2
    card = mlflow.artifacts.load_text(f"runs:/{reference.run_id}/model_card.md")
    assert card.count(HISTORY_HEADING) == 1 and card.count("\n### ") == 2
    assert card.index("## Limitations") < card.index(HISTORY_HEADING)


def test_monitor_without_a_champion_says_so(triage_home, files, tmp_path):
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["monitor", "--data", str(files["months"]), "--out", str(out)])
    assert result.exit_code == 2
    assert "triage train" in result.output and not out.exists()
