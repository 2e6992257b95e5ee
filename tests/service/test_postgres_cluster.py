"""The tests' own PostgreSQL: where its binaries are found, and the throwaway cluster."""

from __future__ import annotations

from pathlib import Path

import pytest
from postgres_cluster import SKIP_REASON, find_bin_dir, throwaway_cluster
from sqlalchemy import create_engine, text


def server_folder(folder: Path) -> Path:
    """A folder with stand-in initdb, pg_ctl and postgres executables."""
    folder.mkdir(parents=True)
    for name in ("initdb", "pg_ctl", "postgres"):
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return folder


def test_binaries_on_path_come_first_and_links_are_followed(tmp_path):
    real = server_folder(tmp_path / "lib" / "postgresql" / "17" / "bin")
    debian = server_folder(tmp_path / "debian" / "18" / "bin")
    on_path = tmp_path / "local-bin"
    on_path.mkdir()
    (on_path / "initdb").symlink_to(real / "initdb")
    found = find_bin_dir(path=str(on_path), debian_dirs=str(tmp_path / "debian" / "*" / "bin"))
    assert found == real
    assert debian != found


def test_otherwise_the_newest_debian_version(tmp_path):
    for version in ("9", "15", "16"):
        server_folder(tmp_path / version / "bin")
    (tmp_path / "17" / "bin").mkdir(parents=True)  # client only: no server binaries
    empty = tmp_path / "empty"
    empty.mkdir()
    found = find_bin_dir(path=str(empty), debian_dirs=str(tmp_path / "*" / "bin"))
    assert found == tmp_path / "16" / "bin"


def test_without_postgresql_nothing_is_found_and_the_skip_says_how_to_get_it(tmp_path):
    assert find_bin_dir(path=str(tmp_path), debian_dirs=str(tmp_path / "*" / "bin")) is None
    assert "\n" not in SKIP_REASON
    assert "apt-get install postgresql" in SKIP_REASON
    assert "TRIAGE_TEST_POSTGRES_URL" in SKIP_REASON


@pytest.mark.slow
def test_a_throwaway_cluster_serves_sql_and_is_removed_afterwards():
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip(SKIP_REASON)
    with throwaway_cluster(bin_dir) as url:
        engine = create_engine(url)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1 + 1")).scalar() == 2
            folder = connection.execute(text("SHOW data_directory")).scalar()
        engine.dispose()
        assert Path(folder).is_dir()
    assert not Path(folder).exists()
