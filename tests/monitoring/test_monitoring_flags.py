"""Review flags in the monitoring report: raised, open, upheld and overturned, by flag code."""

from __future__ import annotations

import pandas as pd
import pytest
from monitoring_data import NOW

from monitoring import monitor
from monitoring.flags import BAD_FLAGS, flag_table
from monitoring.html import render_html

NARRATIVE_FLAG = "nfa_with_uncoded_narrative_concern"


def test_each_flag_is_counted_with_its_outcomes():
    flags = pd.DataFrame(
        {
            "code": [NARRATIVE_FLAG] * 5 + ["nfa_despite_substantive_risk"] * 2,
            "outcome": ["upheld", "upheld", "overturned", None, "upheld", "overturned", None],
        }
    )
    rows = {r["code"]: r for r in flag_table(flags)}
    narrative = rows[NARRATIVE_FLAG]
    assert (narrative["raised"], narrative["open"]) == (5, 1)
    assert (narrative["upheld"], narrative["overturned"]) == (3, 1)
    assert narrative["overturn_rate"] == pytest.approx(0.25)
    assert narrative["ci"][0] < 0.25 < narrative["ci"][1]
    substantive = rows["nfa_despite_substantive_risk"]
    assert (substantive["raised"], substantive["upheld"], substantive["overturned"]) == (2, 0, 1)


def test_a_flag_never_resolved_has_no_rate():
    [row] = flag_table(pd.DataFrame({"code": [NARRATIVE_FLAG], "outcome": [None]}))
    assert row["open"] == 1 and row["overturn_rate"] is None and row["ci"] == [None, None]


def test_a_table_without_its_columns_is_refused():
    with pytest.raises(ValueError, match="^" + BAD_FLAGS.replace("(", r"\(").replace(")", r"\)")):
        flag_table(pd.DataFrame({"flag": [NARRATIVE_FLAG]}))


def test_the_report_carries_the_flags_in_json_and_html(profile, workload_year):
    flags = pd.DataFrame({"code": [NARRATIVE_FLAG] * 3, "outcome": ["upheld", "overturned", None]})
    report = monitor(workload_year, reference_profile=profile, review_flags=flags, now=NOW)
    [row] = report.to_dict()["decision_patterns"]["flags"]
    assert (row["code"], row["raised"], row["upheld"], row["overturned"]) == (
        NARRATIVE_FLAG,
        3,
        1,
        1,
    )
    assert NARRATIVE_FLAG in render_html(report)
    without = monitor(workload_year, reference_profile=profile, now=NOW)
    assert without.to_dict()["decision_patterns"]["flags"] is None
