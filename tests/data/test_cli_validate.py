"""`triage data validate FILE`."""

from __future__ import annotations

import typer
from contact_rows import ACCEPTANCE_PROBLEMS, acceptance_file, valid_raw, with_values, write_csv
from typer.testing import CliRunner

from cli.data_cmd import validate

runner = CliRunner()


def invoke(*args: str):
    app = typer.Typer()
    app.command()(validate)
    return runner.invoke(app, list(args))


def test_acceptance_file_fails_naming_every_bad_value(tmp_path):
    result = invoke(str(acceptance_file(tmp_path)))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for row, column, value in ACCEPTANCE_PROBLEMS:
        assert any(
            line.startswith(f"error: row {row}, column {column}: '{value}' ") for line in lines
        ), result.output
    assert lines[-1] == "60 rows: 3 errors, 0 warnings"


def test_valid_file_exits_zero(tmp_path):
    result = invoke(str(write_csv(valid_raw(12_345), tmp_path / "ok.csv")))
    assert result.exit_code == 0
    assert result.output == "12,345 rows: 0 errors, 0 warnings\n"


def test_warnings_alone_exit_zero(tmp_path):
    raw = with_values(valid_raw(5), {(2, "concerns"): "19A"})
    result = invoke(str(write_csv(raw, tmp_path / "warn.csv")))
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "warning: row 2, column concerns: '19A' is a legacy code, read as 19C",
        "5 rows: 0 errors, 1 warning",
    ]


def test_missing_required_column_is_reported(tmp_path):
    raw = valid_raw(5).drop(columns=["received_at"])
    result = invoke(str(write_csv(raw, tmp_path / "x.csv")))
    assert result.exit_code == 1
    assert "error: column received_at: required column is missing" in result.output


def test_missing_file_exits_two(tmp_path):
    result = invoke(str(tmp_path / "absent.csv"))
    assert result.exit_code == 2
    assert "cannot read" in result.output
    assert "absent.csv" in result.output


def test_unreadable_file_exits_two(tmp_path):
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(b"PK\x03\x04")
    result = invoke(str(path))
    assert result.exit_code == 2
    assert ".csv, .parquet" in result.output


def test_corrupt_parquet_exits_two(tmp_path):
    path = tmp_path / "contacts.parquet"
    path.write_bytes(b"not parquet at all")
    result = invoke(str(path))
    assert result.exit_code == 2
    assert "cannot read" in result.output
