"""The model card states surface reliance, and warns about census-only inputs."""

from __future__ import annotations

from training.card import model_card


def info(**data) -> dict:
    return {
        "name": "m",
        "data": {
            "path": "x.csv",
            "sha256": "0" * 64,
            "rows": 10,
            "label_coverage": 0.5,
            "folds": 5,
            **data,
        },
        "label_strategy": "acted_on",
        "family": "linear",
        "candidates": [],
        "calibration": (1.0, 0.0),
        "bands": 10,
        "metrics": {},
        "groups": [],
        "gates": [],
    }


def test_census_only_inputs_are_named_with_the_surface_share():
    card = model_card(info(no_concerns_share=1.0, mean_surface_share=0.62))
    assert "- Mean surface share (age and referral source) 62%." in card
    assert "**Census-only inputs**: 100% of rows have no concerns" in card


def test_extracts_with_concerns_get_no_census_warning():
    card = model_card(info(no_concerns_share=0.3, mean_surface_share=0.2))
    assert "Mean surface share (age and referral source) 20%" in card
    assert "Census-only" not in card
    assert "Mean surface share" not in model_card(info())
