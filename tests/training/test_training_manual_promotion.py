"""`triage models promote`: the same policy as retraining, forced only with a recorded reason."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cli.main import app
from config.settings import get_settings
from data.io import write_contacts
from data.synthetic import GeneratorConfig, generate
from models import registry
from training.pipeline import train_file
from training.policy import AUC_GATE, FORCE_NEEDS_REASON
from training.promotion import NOT_BETTER, champion_history, list_versions, promote

runner = CliRunner()


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    """Two extracts from the same population, each enough for a version that passes its gates."""
    folder = tmp_path_factory.mktemp("manual-promotion")
    paths = [folder / f"extract-{seed}.csv" for seed in (11, 6)]
    for seed, path in zip((11, 6), paths, strict=True):
        write_contacts(generate(GeneratorConfig(rows=1_500, seed=seed)), path)
    return paths


def test_promote_is_refused_unless_it_beats_the_champion_or_is_forced_with_a_reason(
    triage_home, extracts, monkeypatch
):
    # Any loss of AUC fails the comparison; calibration may not decide it here.
    monkeypatch.setenv("TRIAGE_RETRAIN_MAX_AUC_LOSS", "0")
    monkeypatch.setenv("TRIAGE_RETRAIN_MAX_CALIBRATION_INCREASE", "1")
    get_settings.cache_clear()
    settings = get_settings()
    for path in extracts:
        assert train_file(path, settings, families=("linear",)).champion
    auc = {v.version: v.metrics["auc"] for v in list_versions(settings)}
    worse, better = sorted(auc, key=auc.get)
    assert auc[worse] < auc[better]
    if registry.champion_version(settings) != better:
        promote(settings, better, reason="the better of the two")
    assert registry.champion_version(settings) == better

    refused = runner.invoke(app, ["models", "promote", worse])
    assert refused.exit_code == 1
    expected = NOT_BETTER.format(version=worse, champion=better, failed=AUC_GATE)
    assert expected in refused.output and "--reason" in refused.output
    assert registry.champion_version(settings) == better

    no_reason = runner.invoke(app, ["models", "promote", worse, "--force"])
    assert no_reason.exit_code == 1 and FORCE_NEEDS_REASON in no_reason.output
    assert registry.champion_version(settings) == better

    why = "the newer extract is the one the team trusts"
    forced = runner.invoke(app, ["models", "promote", worse, "--force", "--reason", why])
    assert forced.exit_code == 0, forced.output
    assert (
        "forced past failed gates" in forced.output and f"Reason recorded: {why}" in forced.output
    )
    assert registry.champion_version(settings) == worse
    assert registry.get_version(settings, worse).forced_reason == why
    assert registry.get_version(settings, better).forced_reason is None
    last = champion_history(settings)[-1]
    assert (last["action"], last["version"], last["previous"], last["forced"]) == (
        "promote",
        worse,
        better,
        True,
    )
    assert last["reason"].startswith(why) and AUC_GATE in last["reason"]
