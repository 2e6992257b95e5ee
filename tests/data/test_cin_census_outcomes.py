"""Outcome labels, history and de-duplication on a hand-made child seen in two returns."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from cin_xml import census_return, child, episode

from data.cin_census.importer import import_returns
from data.cin_census.mapping import pseudonym
from data.cin_census.outcomes import add_months, age_in_years

KEY = b"outcome-key"


def rows_by_date(result, child_id: str, lea: str = "201") -> dict[str, pd.Series]:
    frame = result.frame.set_index("contact_id")
    found = {}
    for contact_id in frame.index:
        for day in pd.date_range("2021-01-01", "2024-12-31").date:
            if pseudonym(KEY, lea, child_id, day) == contact_id:
                found[day.isoformat()] = frame.loc[contact_id]
    return found


def label(value) -> bool | None:
    """A nullable boolean cell as True, False or None."""
    return None if pd.isna(value) else bool(value)


@pytest.fixture
def returns(tmp_path):
    nfa = episode("2022-06-01", nfa="1", closure="2022-06-01")
    in_progress = episode("2023-02-01", source="2A", assessment=("2023-02-03", None, ()))
    assessed = episode(
        "2023-02-01",
        source="6",
        closure="2023-03-10",
        assessment=("2023-02-03", "2023-03-10", ("21",)),
    )
    s47 = episode(
        "2023-09-01",
        source="6",
        nfa="false",
        s47="2023-09-02",
        cp_plan="2023-09-20",
        assessment=("2023-09-02", "2023-10-01", ("3B", "16A")),
    )
    again = episode("2024-01-10", source="9", nfa="true", closure="2024-01-10")
    first = census_return(
        tmp_path / "2023.xml", [child("K", nfa, in_progress)], reference="2023-03-31"
    )
    second = census_return(
        tmp_path / "2024.xml", [child("K", assessed, s47, again)], reference="2024-03-31"
    )
    return first, second


def test_same_referral_in_two_returns_is_one_the_later_winning(returns):
    first, second = returns
    for order in ([first, second], [second, first]):  # the census date decides, not the order
        result = import_returns(order, key=KEY)
        assert result.merged == 1 and result.referrals_read == 5 and result.written == 4
        rows = rows_by_date(result, "K")
        assert rows["2023-02-01"]["referral_source"] == "6"
        assert rows["2023-02-01"]["decision"] == "assessment"


def test_outcome_rules_on_a_re_referred_child(returns):
    rows = rows_by_date(import_returns(list(returns), key=KEY), "K")
    # NFA'd, came back within 12 months, was assessed and nothing found: observed, no need.
    assert label(rows["2022-06-01"]["outcome_need_12m"]) is False
    assert rows["2022-06-01"]["decision"] == "nfa"
    # A later referral's section 47 enquiry within 12 months: need.
    assert label(rows["2023-02-01"]["outcome_need_12m"]) is True
    assert label(rows["2023-09-01"]["outcome_need_12m"]) is True
    assert rows["2023-09-01"]["decision"] == "strategy_discussion"
    # 12 months not yet observed and nothing found so far: empty.
    assert label(rows["2024-01-10"]["outcome_need_12m"]) is None
    # History: referrals in the 12 months before; a CP plan that started before.
    assert [rows[d]["prior_contacts_12m"] for d in sorted(rows)] == [0, 1, 1, 2]
    assert [rows[d]["previous_cp_plan"] for d in sorted(rows)] == [False, False, False, True]
    assert {row["concerns"] for row in rows.values()} == {""}  # factors never leak in


def test_the_first_return_alone_does_not_yet_observe(returns):
    rows = rows_by_date(import_returns([returns[0]], key=KEY), "K")
    assert label(rows["2022-06-01"]["outcome_need_12m"]) is None  # 12 months end after 2023-03-31
    assert rows["2023-02-01"]["decision"] == "assessment"  # started, not yet authorised
    assert label(rows["2023-02-01"]["outcome_need_12m"]) is None


@pytest.mark.parametrize(
    ("details", "expected"),
    [
        (episode("2022-05-01", nfa="1", closure="2022-05-01"), None),  # never came back
        (episode("2022-05-01", assessment=("2022-05-02", "2022-05-20", ("21",))), False),
        (episode("2022-05-01", assessment=("2022-05-02", "2022-05-20", ("3B",))), True),
        (
            episode(
                "2022-05-01",
                assessment=("2022-05-02", "2022-05-20", ("21",)),
                cin_plan="2022-06-01",
            ),
            True,
        ),
        (episode("2022-05-01", assessment=("2022-05-02", None, ())), None),  # never finished
        (
            episode(
                "2022-05-01", assessment=("2022-05-02", "2022-05-20", ("21",)), cp_plan="2023-05-02"
            ),
            False,
        ),  # the CP plan starts a day after the 12 months
    ],
)
def test_single_referral_outcomes(tmp_path, details, expected):
    path = census_return(tmp_path / "r.xml", [child("M", details)], reference="2024-03-31")
    result = import_returns([path], key=KEY)
    assert label(result.frame["outcome_need_12m"].iloc[0]) is expected


def test_dates():
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2023, 5, 31), -3) == date(2023, 2, 28)
    assert age_in_years(date(2012, 2, 29), date(2024, 2, 28)) == 11
    assert age_in_years(date(2012, 2, 29), date(2024, 2, 29)) == 12
