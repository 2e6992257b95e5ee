"""Reading census returns: every schema year's differences, and messy files with every problem
named."""

from __future__ import annotations

import pandas as pd
import pytest
from cin_xml import census_return, child, episode
from typer.testing import CliRunner

from cli.main import app
from config.settings import InsecureSettings, Settings
from data.cin_census.importer import import_returns
from data.cin_census.keys import DEVELOPMENT_KEY, pseudonym_key
from data.io import validate_file

KEY = b"test-key"


def imported(tmp_path, *children: str, **options):
    return import_returns([census_return(tmp_path / "r.xml", list(children), **options)], key=KEY)


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ("<GenderCurrent>1</GenderCurrent>", "M"),
        ("<GenderCurrent>2</GenderCurrent>", "F"),
        ("<GenderCurrent>0</GenderCurrent>", "U"),
        ("<GenderCurrent>9</GenderCurrent>", "U"),
        ("<Sex>M</Sex>", "M"),
        ("<Sex>F</Sex>", "F"),
        ("<Sex>U</Sex>", "U"),
    ],
)
def test_gender_current_to_2024_and_sex_from_2025(tmp_path, element, expected):
    result = imported(tmp_path, child("A", episode("2023-05-01"), sex=element))
    assert result.frame["child_sex"].tolist() == [expected]


@pytest.mark.parametrize(
    ("value", "decision"),
    [("1", "nfa"), ("true", "nfa"), ("TRUE", "nfa"), ("0", None), ("false", None)],
)
def test_referral_nfa_as_digits_or_words(tmp_path, value, decision):
    result = imported(tmp_path, child("A", episode("2023-05-01", nfa=value)))
    assert result.frame["decision"].tolist() == [decision if decision else pd.NA]


def test_legacy_factors_read_as_their_successors_with_a_warning(tmp_path):
    result = imported(
        tmp_path,
        child("A", episode("2023-05-01", assessment=("2023-05-02", "2023-05-20", ("18A",)))),
        child("B", episode("2023-05-01", assessment=("2023-05-02", "2023-05-20", ("19A",)))),
    )
    assert [(p.value, p.action) for p in result.problems] == [
        ("18A", "read as 18C"),
        ("19A", "read as 19C"),
    ]
    assert result.frame["outcome_need_12m"].tolist() == [True, True]


def test_namespaced_file_reads_the_same(tmp_path):
    plain = imported(tmp_path, child("A", episode("2023-05-01")))
    spaced = import_returns(
        [
            census_return(
                tmp_path / "ns.xml",
                [child("A", episode("2023-05-01"))],
                namespace="http://www.dcsf.gov.uk/schemas/cbds",
            )
        ],
        key=KEY,
    )
    pd.testing.assert_frame_equal(plain.frame, spaced.frame)


@pytest.mark.parametrize(
    ("options", "age", "disability", "ethnicity"),
    [
        ({"disabilities": ("NONE",), "ethnicity": "BAFR"}, 7, "N", "BAFR"),
        ({"disabilities": ("NONE", "MOB")}, 7, "Y", "WBRI"),
        ({"disabilities": ()}, 7, None, "WBRI"),
        ({"born": None, "expected": "2023-09-01"}, 0, "N", "WBRI"),  # unborn
        ({"born": "2005-05-02"}, 17, "N", "WBRI"),  # the day before turning 18
        ({"born": "2023-05-01"}, 0, "N", "WBRI"),  # born that day
    ],
)
def test_characteristics_and_ages(tmp_path, options, age, disability, ethnicity):
    result = imported(tmp_path, child("A", episode("2023-05-01"), **options))
    row = result.frame.iloc[0]
    assert row["child_age_years"] == age
    assert (None if pd.isna(row["child_disability"]) else row["child_disability"]) == disability
    assert row["child_ethnicity"] == ethnicity
    assert result.problems == []


def test_messy_file_imports_with_every_problem_named(tmp_path):
    messy = [
        # Unknown elements, stray text and a comment are ignored.
        child(
            "OK",
            episode("2023-05-01", extra="<PreProceedings><X>1</X></PreProceedings>")
            + " stray text <!-- note -->",
            extra="<Unknown>1</Unknown>",
        ),
        child("LATE", episode("2024-04-02")),  # after the census date
        child("UNBORN-BY-YEARS", episode("2020-01-01"), born="2021-06-01"),
        child("PRE-BIRTH", episode("2021-04-01"), born="2021-06-01"),
        child("ADULT", episode("2023-05-01"), born="2005-04-30"),
        child("NO-SOURCE", episode("2023-05-01", source=None)),
        child("BAD-SOURCE", episode("2023-05-01", source="11")),
        child("BAD-DATE", episode("2023-13-01")),
        child("BAD-NFA", episode("2023-05-01", nfa="maybe", closure="01/06/2023")),
        child(
            "BAD-CODES",
            episode("2023-05-01"),
            sex="<Sex>X</Sex>",
            ethnicity="ZZZZ",
            disabilities=("WHEEL",),
        ),
        child("NO-BIRTH", episode("2023-05-01"), born=None),
        # Dates out of order: an assessment authorised before it started, before the referral.
        child("ORDER", episode("2023-05-01", assessment=("2023-04-20", "2023-04-10", ("21",)))),
        child("", episode("2023-05-01")),
    ]
    path = census_return(tmp_path / "messy.xml", messy)
    result = import_returns([path], key=KEY)
    named = {(p.la_child_id, p.element, p.value, p.action) for p in result.problems}
    assert named == {
        ("LATE", "CINreferralDate", "2024-04-02", "referral skipped"),
        ("UNBORN-BY-YEARS", "CINreferralDate", "2020-01-01", "referral skipped"),
        ("PRE-BIRTH", "CINreferralDate", "2021-04-01", "kept as a pre-birth referral: age 0"),
        ("ADULT", "PersonBirthDate", "2005-04-30", "referral skipped"),
        ("NO-SOURCE", "ReferralSource", "", "set to 10 (unknown)"),
        ("BAD-SOURCE", "ReferralSource", "11", "set to 10 (unknown)"),
        ("BAD-DATE", "CINreferralDate", "2023-13-01", "referral skipped"),
        ("BAD-NFA", "ReferralNFA", "maybe", "value left empty"),
        ("BAD-NFA", "CINclosureDate", "01/06/2023", "value left empty"),
        ("BAD-CODES", "Sex", "X", "value left empty"),
        ("BAD-CODES", "Ethnicity", "ZZZZ", "value left empty"),
        ("BAD-CODES", "Disability", "WHEEL", "value left empty"),
        ("NO-BIRTH", "PersonBirthDate", "", "referral skipped"),
        ("", "LAchildID", "", "child skipped"),
    }
    assert all(p.file == "messy.xml" and p.line > 0 for p in result.problems)
    late = next(p for p in result.problems if p.la_child_id == "LATE")
    assert path.read_text().splitlines()[late.line - 1].strip().startswith("<CINreferralDate>2024")
    assert result.written == 7
    assert result.skipped_by_reason() == {
        "referral dated after the return's census date": 1,
        "referral more than 280 days before the child's birth": 1,
        "age 18 or more at the referral": 1,
        "unreadable date": 1,
        "no birth date nor expected birth date": 1,
        "missing child identifier": 1,
    }
    assert result.frame["referral_source"].tolist().count("10") == 2


def test_cli_writes_extract_and_problems_and_exits_1_when_nothing_imports(tmp_path, triage_home):
    runner = CliRunner()
    good = census_return(tmp_path / "good.xml", [child("A", episode("2023-05-01", source="99"))])
    bad = census_return(tmp_path / "bad.xml", [child("B", episode("2025-01-01"))])
    out, problems = tmp_path / "x.csv", tmp_path / "p.csv"
    done = runner.invoke(
        app,
        ["data", "import-cin", str(good), str(bad), "--out", str(out), "--problems", str(problems)],
    )
    assert done.exit_code == 0, done.output
    assert "2 children, 1 referrals read, 0 merged across returns, 1 written" in done.output
    assert "skipped 1: referral dated after the return's census date" in done.output
    assert validate_file(out).ok
    rows = pd.read_csv(problems, dtype=str)
    assert rows.columns.tolist() == [
        "file",
        "line",
        "LAchildID",
        "element",
        "value",
        "problem",
        "action",
    ]
    assert rows[["file", "LAchildID", "value"]].values.tolist() == [
        ["good.xml", "A", "99"],
        ["bad.xml", "B", "2025-01-01"],
    ]
    nothing = runner.invoke(app, ["data", "import-cin", str(bad), "--out", str(tmp_path / "n.csv")])
    assert nothing.exit_code == 1
    assert not (tmp_path / "n.csv").exists()


def test_pseudonym_key_refused_outside_development():
    assert pseudonym_key(Settings(environment="development")) == DEVELOPMENT_KEY.encode()
    for key in (None, DEVELOPMENT_KEY, "changeme-changeme-changeme-changeme", "short"):
        with pytest.raises(InsecureSettings, match="TRIAGE_PSEUDONYM_KEY"):
            pseudonym_key(Settings(environment="production", pseudonym_key=key))
    strong = "Zq8v1M4kP0xR7tLw2sYb9nC3dF6hJ5gA"
    assert (
        pseudonym_key(Settings(environment="production", pseudonym_key=strong)) == strong.encode()
    )


def test_cli_refuses_default_key_in_production(tmp_path, triage_home, monkeypatch):
    monkeypatch.setenv("TRIAGE_ENVIRONMENT", "production")
    monkeypatch.delenv("TRIAGE_PSEUDONYM_KEY", raising=False)
    path = census_return(tmp_path / "r.xml", [child("A", episode("2023-05-01"))])
    done = CliRunner().invoke(
        app, ["data", "import-cin", str(path), "--out", str(tmp_path / "x.csv")]
    )
    assert done.exit_code == 2
    assert "TRIAGE_PSEUDONYM_KEY" in done.output


def test_every_schema_year_2017_to_2026_in_one_import(tmp_path):
    """One child referred once a year, each year's return in that year's form."""
    paths = []
    for year in range(2017, 2027):
        sex = "<Sex>F</Sex>" if year >= 2025 else "<GenderCurrent>2</GenderCurrent>"
        source = "5D" if year >= 2023 else "5A"
        factor = "18C" if year >= 2025 else "18A"
        referral = f"{year - 1}-06-01"
        details = episode(
            referral,
            source=source,
            nfa="true" if year % 2 else "0",
            assessment=(referral, f"{year - 1}-06-20", (factor,)),
        )
        paths.append(
            census_return(
                tmp_path / f"{year}.xml",
                [child("Y", details, sex=sex, born="2012-01-01")],
                reference=f"{year}-03-31",
            )
        )
    result = import_returns(paths, key=KEY)
    frame = result.frame
    assert result.written == 10 and result.merged == 0
    assert frame["child_sex"].unique().tolist() == ["F"]
    assert frame["referral_source"].tolist() == ["5A"] * 6 + ["5D"] * 4
    assert frame["child_age_years"].tolist() == list(range(4, 14))
    assert frame["decision"].tolist() == ["nfa", "assessment"] * 5
    assert frame["prior_contacts_12m"].tolist() == [0] + [1] * 9
    assert frame["outcome_need_12m"].tolist() == [True] * 10
    assert sum(p.action == "read as 18C" for p in result.problems) == 8


def test_lower_case_codes_are_read(tmp_path):
    result = imported(tmp_path, child("A", episode("2023-05-01", source="3a"), ethnicity="wbri"))
    assert result.frame[["referral_source", "child_ethnicity"]].values.tolist() == [["3A", "WBRI"]]
    assert result.problems == []
