"""`triage demo seed` at the terminal: loads once with a summary line, then refuses (exit 1)."""

from __future__ import annotations

from typer.testing import CliRunner

from cli.main import app
from data.io import write_contacts
from data.synthetic import GeneratorConfig, generate


def test_demo_seed_loads_an_empty_store_then_refuses(settings, tmp_path):
    path = tmp_path / "extract.csv"
    write_contacts(generate(GeneratorConfig(rows=2_000, seed=4)), path)
    args = ["demo", "seed", "--data", str(path), "--per-team", "3", "--undecided", "1"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "Loaded synthetic demonstration data (actor demo-seed): 12 contacts" in first.output
    assert "Teams: T1, T2, T3, T4;" in first.output and "--team TEAM" in first.output
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1
    assert "Refused: The store already holds contacts" in again.output
