"""`triage fairness audit`, driven through a Typer app of its own (cli/main.py registers it)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from cli.fairness_cmd import BAD_REFERENCE, THRESHOLD_IN_CONTRACT_MODE, audit
from fairness import PREDICTION_OR_SCORE

app = typer.Typer()
app.command()(audit)
runner = CliRunner()


@pytest.fixture(scope="module")
def extract_csv(tmp_path_factory, shortcut_extract):
    path = tmp_path_factory.mktemp("cli") / "extract.csv"
    shortcut_extract.head(6_000).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def table_csv(tmp_path_factory):
    rng = np.random.default_rng(8)
    n = 3_000
    frame = pd.DataFrame(
        {
            "area": rng.choice(["a", "b", "c"], n),
            "label": rng.integers(0, 2, n),
            "score": rng.random(n).round(3),
        }
    )
    frame["pred"] = (frame["score"] >= 0.5).astype(int)
    path = tmp_path_factory.mktemp("cli") / "table.csv"
    frame.to_csv(path, index=False)
    return path


def test_contract_mode_writes_json_and_html(extract_csv, tmp_path):
    out, page = tmp_path / "report.json", tmp_path / "report.html"
    result = runner.invoke(
        app,
        ["--data", str(extract_csv), "--out", str(out), "--html", str(page),
         "--reference", "age_band=16-17", "--no-intersections"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(), parse_constant=lambda c: pytest.fail(c))
    assert data["mode"] == "contract" and data["rows"] == 6_000
    assert {f["reference"] for f in data["findings"] if f["attribute"] == "age_band"} == {"16-17"}
    assert "data:image/png;base64," in page.read_text()
    assert "Wrote" in result.output


def test_generic_mode_with_a_score_and_fdr(table_csv, tmp_path):
    out = tmp_path / "generic.json"
    result = runner.invoke(
        app,
        ["--data", str(table_csv), "--out", str(out), "--label", "label", "--score", "score",
         "--threshold", "0.5", "--group", "area", "--adjust", "fdr_bh"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["mode"] == "generic" and data["adjustment"]["method"] == "fdr_bh"
    assert {f["metric"] for f in data["findings"]} == {"fpr", "fnr", "selection_rate", "precision"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--label", "label", "--group", "area", "--prediction", "pred", "--score", "score",
          "--threshold", "0.5"], PREDICTION_OR_SCORE),
        (["--label", "label", "--group", "nowhere", "--prediction", "pred"], "'nowhere'"),
        (["--threshold", "0.5"], THRESHOLD_IN_CONTRACT_MODE),
    ],
)  # fmt: skip
def test_bad_input_exits_non_zero_with_a_message(table_csv, tmp_path, extra, message):
    out = tmp_path / "bad.json"
    result = runner.invoke(app, ["--data", str(table_csv), "--out", str(out), *extra])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_a_malformed_reference_is_rejected(table_csv, tmp_path):
    result = runner.invoke(
        app,
        ["--data", str(table_csv), "--out", str(tmp_path / "x.json"), "--label", "label",
         "--group", "area", "--prediction", "pred", "--reference", "area"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert BAD_REFERENCE.format(value="area")[:40] in result.output


def test_without_probability_the_champion_scores_the_file(tmp_path, monkeypatch, shortcut_extract):
    """The CLI calls the one assess function; the registry and reader are stubbed here."""
    import sys
    from types import ModuleType, SimpleNamespace

    extract = shortcut_extract.head(3_000)
    path = tmp_path / "unscored.csv"
    extract.drop(columns="probability").to_csv(path, index=False)

    def assess_frame(model, frame):
        assert model == "the model"
        return pd.DataFrame(
            {
                "contact_id": frame["contact_id"],
                "probability": extract["true_risk"].to_numpy(),
                "band": pd.qcut(extract["true_risk"], 10, labels=False, duplicates="drop") + 1,
                "surface_share": 0.2,
            }
        )

    fakes = {
        "models.registry": {
            "load_champion": lambda: SimpleNamespace(
                name="front-door-triage", version="3", run_id="abc", model="the model"
            )
        },
        "models.assess": {"assess_frame": assess_frame},
        "data.io": {"read_contacts": lambda p: pd.read_csv(p, dtype="string")},
    }
    for name, attributes in fakes.items():
        module = ModuleType(name)
        for key, value in attributes.items():
            setattr(module, key, value)
        monkeypatch.setitem(sys.modules, name, module)
    out = tmp_path / "scored.json"
    result = runner.invoke(app, ["--data", str(path), "--out", str(out), "--no-intersections"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["settings"]["scored_by"] == {
        "name": "front-door-triage",
        "version": "3",
        "run_id": "abc",
    }
    assert data["settings"]["risk_strata"] == "band column"
    assert any(f["metric"] == "surface_share" for f in data["findings"])
