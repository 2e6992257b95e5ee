"""The repository stands alone: a newcomer clones only it, so nothing may reach outside it."""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GIT = shutil.which("git")
needs_checkout = pytest.mark.skipif(
    GIT is None or not (ROOT / ".git").exists(), reason="needs git and a git checkout"
)


def _git(*args: str, check_ok: bool = True) -> str:
    """Run git in the repository; with ``check_ok=False`` a non-zero exit (no match) is fine."""
    result = subprocess.run([GIT, *args], cwd=ROOT, capture_output=True, text=True)
    if check_ok and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {result.stderr}")
    return result.stdout


@needs_checkout
def test_no_tracked_file_names_a_folder_outside_the_repository():
    # A development machine may have material beside the repository; the product must not need it.
    listed = _git("grep", "-l", "-e", "../" + "shared", "--", ".", check_ok=False)
    assert listed == "", f"these files name a folder outside the repository: {listed}"


def _python_without_this_checkout(folder: Path) -> Path:
    """A Python with this environment's packages but not the editable install of this checkout.

    The editable install would import this working tree's code whatever the current folder, so
    the clone's own code is used only if that hook is left out: the new environment adds our
    site-packages as a plain path, and so never runs the ``.pth`` hook that installs it.
    """
    venv.create(folder, with_pip=False, symlinks=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@needs_checkout
def test_figures_test_passes_in_a_clone_with_nothing_beside_it(tmp_path):
    """Clone HEAD into an empty folder and run the tests that read the published figures there."""
    clone = tmp_path / "alone" / "triage"
    clone.parent.mkdir()
    _git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(clone))
    assert sorted(p.name for p in clone.parent.iterdir()) == ["triage"]
    python = _python_without_this_checkout(tmp_path / "venv")
    probe = "import data.published as p; print(p.__file__)"
    where = subprocess.run(
        [python, "-c", probe], cwd=clone, check=True, capture_output=True, text=True
    ).stdout.strip()
    assert Path(where).is_relative_to(clone), f"the clone's code was not the code imported: {where}"
    result = subprocess.run(
        [
            python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/data/test_synthetic.py",
            "-k",
            "published or reference",
        ],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
