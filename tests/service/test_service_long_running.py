"""`triage serve` freezes what is alive after start-up out of the GC's scans; tests do not."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from service.app import create_app, serve_app


def test_only_the_served_app_freezes_its_start_up_objects(triage_home):
    gc.unfreeze()
    try:
        with TestClient(create_app()):
            assert gc.get_freeze_count() == 0
        with TestClient(serve_app()):
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
