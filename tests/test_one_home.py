"""Each shared concept is defined in one module: a second literal copy would drift apart.

A text search over the packages (not the tests, which may spell values out to check them).
"""

from __future__ import annotations

import ast
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "benchmarks",
    "cli",
    "config",
    "data",
    "fairness",
    "models",
    "monitoring",
    "narrative",
    "reporting",
    "service",
    "timeliness",
    "training",
)
SURFACE_NAMES = {"child_age_years", "referral_source"}
LONDON = "Europe/London"


def sources() -> list[Path]:
    """Every Python file of the packages."""
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def surface_literals(path: Path) -> list[int]:
    """Lines of tuple, list or set literals holding exactly the surface fields' names."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            names = {e.value for e in node.elts if isinstance(e, ast.Constant)}
            if names == SURFACE_NAMES:
                lines.append(node.lineno)
    return lines


def london_literals(path: Path) -> list[int]:
    """Lines of string tokens that are exactly the time zone's name (not prose about it)."""
    with path.open("rb") as handle:
        tokens = list(tokenize.tokenize(handle.readline))
    return [
        t.start[0] for t in tokens if t.type == tokenize.STRING and t.string.strip("\"'") == LONDON
    ]


def test_the_search_sees_the_packages():
    assert len(sources()) > 50
    assert (ROOT / "data" / "contract.py") in sources()


def test_the_surface_fields_are_listed_only_by_their_contract_role():
    found = {str(p.relative_to(ROOT)): lines for p in sources() if (lines := surface_literals(p))}
    assert found == {}, "list the surface fields with data.contract.SURFACE"


def test_the_london_time_zone_is_named_once():
    found = {str(p.relative_to(ROOT)): lines for p in sources() if (lines := london_literals(p))}
    assert list(found) == ["data/contract.py"], "use data.contract.LONDON"
    assert len(found["data/contract.py"]) == 1


@pytest.mark.parametrize(
    ("text", "surface", "london"),
    [
        ('X = ("child_age_years", "referral_source")\n', 1, 0),
        ('X = ["referral_source", "child_age_years"]\n', 1, 0),
        ('X = ("child_age_years", "referral_source", "concerns")\n', 0, 0),
        ('TZ = "Europe/London"\n', 0, 1),
        ('"""Times in Europe/London."""\nx = 1  # Europe/London\n', 0, 0),
    ],
)
def test_the_searches_find_what_they_look_for(tmp_path, text, surface, london):
    path = tmp_path / "module.py"
    path.write_text(text, encoding="utf-8")
    assert len(surface_literals(path)) == surface
    assert len(london_literals(path)) == london
