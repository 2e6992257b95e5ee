#!/usr/bin/env python3
"""Print the project's dependencies for the service image, MLflow's client in place of MLflow.

Usage:
  triage-requirements --as-declared pyproject.toml > declared.txt
  triage-requirements pyproject.toml [PIP_REPORT] > requirements.txt

The service only talks to MLflow (a local SQLite store or a tracking server over HTTP), so the
image installs mlflow-skinny, MLflow's client, under the same version constraint as the project's
``mlflow`` dependency; the tracking server and its web UI stay in the Dockerfile's mlflow stage.

The two must be the same version, and the package index can publish a version of
mlflow-skinny before the whole of that version of mlflow can be installed (on 2026-12-02,
mlflow 3.18.0 required an mlflow-tracing 3.18.0 that was not yet published). So the build first
resolves the dependencies as declared, full mlflow included, with ``pip install --dry-run
--report PIP_REPORT``, and the client is pinned to the mlflow version that resolution chose.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from typing import Any

# A requirement's name (PEP 508), then whatever follows it: extras, version, markers.
NAME = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<rest>.*)$", re.DOTALL)


def service_requirements(dependencies: list[str]) -> list[str]:
    """The dependencies with ``mlflow`` (by its normalised name) replaced by ``mlflow-skinny``."""
    result = []
    for requirement in dependencies:
        match = NAME.match(requirement)
        name = re.sub(r"[-_.]+", "-", match["name"]).lower() if match else ""
        result.append(f"mlflow-skinny{match['rest']}" if name == "mlflow" else requirement)
    return result


def resolved_version(report: dict[str, Any], name: str) -> str:
    """The version of ``name`` that a ``pip install --report`` resolution chose."""
    for item in report.get("install", []):
        metadata = item.get("metadata", {})
        if re.sub(r"[-_.]+", "-", str(metadata.get("name", ""))).lower() == name:
            return str(metadata["version"])
    raise SystemExit(f"the pip report does not install {name}: cannot pin its client")


def main(argv: list[str]) -> int:
    """Print the requirements read from the pyproject.toml named in ``argv`` (see the usage)."""
    declared = argv[:1] == ["--as-declared"]
    arguments = argv[1:] if declared else argv
    with open(arguments[0], "rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    if declared:
        print("\n".join(dependencies))
        return 0
    lines = service_requirements(dependencies)
    if len(arguments) > 1:
        with open(arguments[1], encoding="utf-8") as file:
            lines.append(f"mlflow-skinny=={resolved_version(json.load(file), 'mlflow')}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
