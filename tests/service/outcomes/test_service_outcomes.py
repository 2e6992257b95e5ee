"""Outcomes in (route and CLI), the store out as a contract extract, and retraining on it."""

from __future__ import annotations

import shutil
from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from config.settings import Settings
from data.io import read_contacts
from data.synthetic import GeneratorConfig, generate
from data.workdays import FixedClock
from service.app import create_app
from training.retrain import retrain_file

runner = CliRunner()


@pytest.fixture
def app(settings):
    """The service without its champion poll: MLflow's tracking URI is process-wide, and a poll
    during the retrain below would point the retrain's run at the service's registry."""
    return create_app(settings.model_copy(update={"model_poll_seconds": 0}))


def test_outcome_route_roles_errors_and_corrections(client, auth, scored):
    scored("C-1")
    url = "/v1/contacts/C-1/outcome"
    assert client.post(url, json={"outcome_need_12m": True}).status_code == 401
    assert (
        client.post(url, json={"outcome_need_12m": True}, headers=auth["worker"]).status_code == 403
    )
    missing = client.post(
        "/v1/contacts/C-9/outcome", json={"outcome_need_12m": True}, headers=auth["data"]
    )
    assert missing.status_code == 404 and missing.json()["type"] == "not_found"
    bad = client.post(url, json={"outcome_need_12m": "maybe"}, headers=auth["data"])
    assert bad.status_code == 422
    assert client.post(url, json={"outcome": True}, headers=auth["data"]).status_code == 422
    first = client.post(url, json={"outcome_need_12m": True}, headers=auth["data"])
    assert first.status_code == 200 and first.json()["outcome_need_12m"] is True
    again = client.post(url, json={"outcome_need_12m": False}, headers=auth["data"])
    assert again.json()["outcome_need_12m"] is False


def test_round_trip_service_export_retrain(client, auth, settings, as_contact, tmp_path, app):
    history = generate(GeneratorConfig(rows=400, seed=61))
    contacts = [as_contact(row) for _, row in history.iterrows()]
    response = client.post(
        "/v1/contacts/score/batch", json={"contacts": contacts}, headers=auth["worker"]
    )
    assert response.status_code == 200, response.text
    for _, row in history.iterrows():
        decision = {"decision": row["decision"], "reasons": ["other"], "note": "generated"}
        url = f"/v1/contacts/{row['contact_id']}/decision"
        # Decided on the day it arrived, so in time and with no late reasons.
        app.state.clock = FixedClock(row["received_at"].to_pydatetime())
        assert client.post(url, json=decision, headers=auth["worker"]).status_code == 200
    observed = history[history["outcome_need_12m"].notna()]
    outcomes = tmp_path / "outcomes.csv"
    observed[["contact_id", "outcome_need_12m"]].assign(
        outcome_need_12m=observed["outcome_need_12m"].map({True: "true", False: "false"})
    ).to_csv(outcomes, index=False)
    result = runner.invoke(cli, ["outcomes", "import", str(outcomes)])
    assert result.exit_code == 0, result.output

    exported = tmp_path / "export.csv"
    result = runner.invoke(cli, ["export", "--out", str(exported)])
    assert result.exit_code == 0, result.output
    extract = read_contacts(exported)
    assert len(extract) == 400
    merged = extract.merge(history, on="contact_id", suffixes=("", "_generated"))
    assert (merged["decision"] == merged["decision_generated"]).all()
    assert (merged["concerns"] == merged["concerns_generated"]).all()
    known = merged["outcome_need_12m_generated"].notna()
    assert (
        merged.loc[known, "outcome_need_12m"] == merged.loc[known, "outcome_need_12m_generated"]
    ).all()
    assert merged.loc[~known, "outcome_need_12m"].isna().all()
    assert extract["narrative"].isna().all() and extract["decision_note"].isna().all()

    # Retrain on the service's own history, in a copy of the registry so other tests keep theirs.
    home = tmp_path / "registry"
    shutil.copytree(settings.home, home)
    retrained = retrain_file(exported, Settings(home=home), families=("linear",))
    assert retrained.challenger.version is not None
    assert retrained.champion_version == "1"


def test_outcome_import_names_bad_rows_and_stores_nothing(client, scored, tmp_path):
    scored("C-1")
    path = tmp_path / "outcomes.csv"
    path.write_text("contact_id,outcome_need_12m\nC-1,true\nC-1,perhaps\n")
    result = runner.invoke(cli, ["outcomes", "import", str(path)])
    assert result.exit_code == 1
    assert "row 2, column outcome_need_12m: 'perhaps'" in result.output
    path.write_text("contact_id,outcome_need_12m\nC-1,true\nC-404,false\n")
    result = runner.invoke(cli, ["outcomes", "import", str(path)])
    assert result.exit_code == 1 and "C-404" in result.output
    exported = tmp_path / "export.csv"
    assert runner.invoke(cli, ["export", "--out", str(exported)]).exit_code == 0
    assert read_contacts(exported)["outcome_need_12m"].isna().all()  # nothing was stored


def test_export_writes_due_days_late_reasons_and_assessments_notes_only_on_request(
    client, auth, scored, app, tmp_path
):
    """Received Wed 1 May 2024 (decision due Thu 2 May; assessment due Fri 5 Jul 2024).

    C-1 is decided late (20 May) with two reasons and a note, then its assessment completed late
    (8 Jul) with a reason and a note; C-2 is decided in time (2 May), so it has a due day and no
    reasons; C-3 is never decided, so it has neither.
    """
    for contact_id in ("C-1", "C-2", "C-3"):
        scored(contact_id)
    note = "Waiting on the school's account. " * 100  # longer than any old limit
    app.state.clock = FixedClock(date(2024, 5, 2))
    in_time = {"decision": "nfa", "reasons": ["other"]}
    response = client.post("/v1/contacts/C-2/decision", json=in_time, headers=auth["worker"])
    assert response.status_code == 200, response.text
    app.state.clock = FixedClock(date(2024, 5, 20))
    late = {
        "decision": "assessment",
        "reasons": ["other"],
        "late_reasons": ["team_capacity", "awaiting_information_from_agency"],
        "late_note": note,
    }
    response = client.post("/v1/contacts/C-1/decision", json=late, headers=auth["worker"])
    assert response.status_code == 200, response.text
    app.state.clock = FixedClock(date(2024, 7, 8))
    completion = {
        "completed_on": "2024-07-08",
        "outcome": "child_in_need_plan",
        "note": "Plan agreed.",
        "late_reasons": ["family_not_at_home"],
        "late_note": "Three visits, nobody home.",
    }
    response = client.post("/v1/contacts/C-1/assessment", json=completion, headers=auth["worker"])
    assert response.status_code == 200, response.text

    plain, full = tmp_path / "plain.csv", tmp_path / "full.csv"
    assert runner.invoke(cli, ["export", "--out", str(plain)]).exit_code == 0
    result = runner.invoke(cli, ["export", "--out", str(full), "--with-free-text"])
    assert result.exit_code == 0, result.output
    rows = read_contacts(plain).set_index("contact_id")
    one, two, three = rows.loc["C-1"], rows.loc["C-2"], rows.loc["C-3"]
    # decided_at is when the row was written (the wall clock), so only its presence is checked.
    assert pd.notna(one["decided_at"]) and one["decision"] == "assessment"
    assert one["due_on"] == pd.Timestamp("2024-05-02")
    assert one["late_reasons"] == "team_capacity;awaiting_information_from_agency"
    assert one["assessment_due_on"] == pd.Timestamp("2024-07-05")
    assert one["assessment_completed_on"] == pd.Timestamp("2024-07-08")
    assert one["assessment_outcome"] == "child_in_need_plan"
    assert one["assessment_late_reasons"] == "family_not_at_home"
    assert pd.isna(one["late_note"]) and pd.isna(one["assessment_late_note"])
    assert two["due_on"] == pd.Timestamp("2024-05-02") and pd.isna(two["late_reasons"])
    assert pd.isna(two["assessment_due_on"]) and pd.isna(two["assessment_outcome"])
    assert pd.isna(three["decided_at"]) and pd.isna(three["due_on"])
    assert pd.isna(three["late_reasons"])
    with_notes = read_contacts(full).set_index("contact_id")
    assert with_notes.loc["C-1", "late_note"] == note  # whole, however long
    assert with_notes.loc["C-1", "assessment_late_note"] == "Three visits, nobody home."
