#!/usr/bin/env python3
"""Print the project's dependencies for the service image, MLflow's client in place of MLflow.

Usage: triage-requirements pyproject.toml > requirements.txt

The service only talks to MLflow (a local SQLite store or a tracking server over HTTP), so the
image installs mlflow-skinny, MLflow's client, under the same version constraint as the project's
``mlflow`` dependency; the tracking server and its web UI stay in the Dockerfile's mlflow stage.
"""

from __future__ import annotations

import re
import sys
import tomllib

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


def main(argv: list[str]) -> int:
    """Print the service's requirements read from the pyproject.toml named in ``argv``."""
    with open(argv[0], "rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    print("\n".join(service_requirements(dependencies)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
