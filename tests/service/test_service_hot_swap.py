"""A running service picks up a new champion without a restart; old assessments keep theirs."""

from __future__ import annotations

import shutil
import time

from fastapi.testclient import TestClient
from trust_records import promotion_recorder, trust_champion

from config.settings import Settings
from data.io import write_contacts
from data.synthetic import GeneratorConfig, generate
from service.app import create_app
from training.pipeline import train_file


def test_a_new_champion_is_served_within_seconds_without_a_restart(
    champion_home, database_url, auth_for, contact, tmp_path
):
    home = tmp_path / "home"
    shutil.copytree(champion_home, home)
    settings = Settings(home=home, database_url=database_url, model_poll_seconds=0.5)
    trust_champion(settings)
    with TestClient(create_app(settings)) as client:
        headers = auth_for(client.app, "worker")
        assert client.get("/health").json()["model"]["version"] == "1"
        before = client.post("/v1/contacts/score", json=contact("C-1"), headers=headers)
        assert before.json()["model"]["version"] == "1"

        path = tmp_path / "newer.csv"
        write_contacts(generate(GeneratorConfig(rows=3_000, seed=71)), path)
        recorded = promotion_recorder(settings)  # as `triage train` records its champion
        assert train_file(path, settings, families=("linear",), on_promotion=recorded).champion

        deadline = time.monotonic() + 60
        while client.get("/health").json()["model"]["version"] != "2":
            assert time.monotonic() < deadline, "the new champion was not picked up in 60 s"
            time.sleep(0.25)
        after = client.post("/v1/contacts/score", json=contact("C-2"), headers=headers)
        assert after.json()["model"]["version"] == "2"
        stored = client.get("/v1/contacts/C-1", headers=headers).json()
        assert stored["assessment"]["model"]["version"] == "1"
        admin = auth_for(client.app, "admin")
        assert client.get("/v1/audit/verify", headers=admin).json()["ok"] is True
