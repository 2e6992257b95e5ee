"""The deployment files (Dockerfile, .dockerignore, compose.yaml, docker/): their invariants.

The files are read as text and YAML, and the entrypoint, health check and requirements scripts
are run directly, with stand-ins where needed. Building and running the image takes Docker's
engine and minutes: .ci/image-smoke does that in CI.
"""

from __future__ import annotations

import ast
import fnmatch
import http.server
import importlib.util
import json
import os
import re
import shlex
import sqlite3
import subprocess
import threading
import tomllib
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app as cli

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
HEALTHCHECK = ROOT / "docker" / "healthcheck.py"
REQUIREMENTS = ROOT / "docker" / "requirements.py"
SLIM_VENV = ROOT / "docker" / "slim_venv.py"
REQUIRED = re.compile(r"^\$\{(?P<name>[A-Z_]+):\?[^}]+\}$")  # ${NAME:?message}: no default


# -- Dockerfile -----------------------------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, each list starting with its FROM."""
    result: list[list[tuple[str, str]]] = []
    for keyword, rest in instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword, rest))
    return result


def runtime_env() -> dict[str, str]:
    """The ENV of the final stage."""
    env = {}
    for keyword, rest in stages()[-1]:
        if keyword == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(rest))
    return env


def global_args() -> dict[str, str]:
    """The ARGs declared before the first FROM, with their defaults."""
    found = {}
    for keyword, rest in instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            break
        if keyword == "ARG":
            name, _, default = rest.partition("=")
            found[name] = default
    return found


def stage_names() -> list[str]:
    """Each stage's name (``FROM image AS name``), in order."""
    return [stage[0][1].split()[-1] for stage in stages()]


def test_the_image_is_built_in_stages_from_one_pinned_python_311_base_argument():
    froms = [stage[0][1].split()[0] for stage in stages()]
    external = [base for base in froms if base not in stage_names()]
    assert len(external) >= 2, "builder and runtime should start from the base image"
    assert set(external) == {"${BASE_IMAGE}"}, "every stage should share the one base argument"
    assert stage_names()[-1] == "runtime"  # the last stage: the default target
    assert {"builder", "mlflow"} < set(stage_names())
    default = global_args()["BASE_IMAGE"]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", default), default


def test_no_syntax_directive_sends_buildkit_to_a_registry():
    # `# syntax=` makes BuildKit pull a frontend image; CI builds with no registry reachable.
    assert not re.search(r"^#\s*syntax\s*=", DOCKERFILE.read_text(), re.MULTILINE)


def test_the_service_gets_mlflows_client_and_the_mlflow_stage_the_same_versions_server():
    builder = " ".join(rest for keyword, rest in stages()[0] if keyword in ("RUN", "COPY"))
    assert "docker/requirements.py" in builder and "-r /tmp/requirements.txt" in builder
    mlflow = dict(zip(stage_names(), stages(), strict=True))
    server_build = " ".join(rest for keyword, rest in mlflow["mlflow-builder"] if keyword == "RUN")
    # From the dependencies (the first stage), so a change to the project's code keeps it cached.
    assert mlflow["mlflow-builder"][0][1] == f"{stage_names()[0]} AS mlflow-builder"
    assert "mlflow==$(" in server_build and 'm.version("mlflow-skinny")' in server_build
    copies = [rest for keyword, rest in mlflow["mlflow"] if keyword == "COPY"]
    assert any(c.startswith("--from=mlflow-builder /opt/venv") for c in copies), copies
    users = [rest for keyword, rest in mlflow["mlflow"] if keyword == "USER"]
    assert users and users[-1].split(":")[0] != "0"


def load_requirements():
    spec = importlib.util.spec_from_file_location("triage_requirements", REQUIREMENTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_requirements_swap_mlflow_for_its_client_under_the_same_constraint(capsys):
    requirements = load_requirements()
    swapped = requirements.service_requirements(
        [
            "MLflow>=2.16,<4",
            "mlflow-skinny>=1",
            "pandas>=2.2",
            'mlflow[extras]==3.1; python_version>"3"',
        ]
    )
    assert swapped == [
        "mlflow-skinny>=2.16,<4",
        "mlflow-skinny>=1",
        "pandas>=2.2",
        'mlflow-skinny[extras]==3.1; python_version>"3"',
    ]
    assert requirements.main([str(ROOT / "pyproject.toml")]) == 0
    printed = capsys.readouterr().out.splitlines()
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    mlflow = next(d for d in dependencies if re.match(r"mlflow\b(?!-)", d))
    assert printed == [
        "mlflow-skinny" + mlflow.removeprefix("mlflow") if d == mlflow else d for d in dependencies
    ]


def test_the_client_is_pinned_to_the_mlflow_version_a_full_resolution_chose(tmp_path, capsys):
    # mlflow-skinny can be published before the rest of the same mlflow version: the build pins
    # the client to what `pip install --dry-run --report` of the declared dependencies chose.
    requirements = load_requirements()
    report = {
        "install": [
            {"metadata": {"name": "numpy", "version": "2.3.0"}},
            {"metadata": {"name": "MLflow", "version": "3.17.2"}},
            {"metadata": {"name": "mlflow_skinny", "version": "3.17.2"}},
        ]
    }
    (tmp_path / "report.json").write_text(json.dumps(report))
    pyproject = str(ROOT / "pyproject.toml")
    assert requirements.main([pyproject, str(tmp_path / "report.json")]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == "mlflow-skinny==3.17.2"
    assert requirements.main(["--as-declared", pyproject]) == 0
    declared = capsys.readouterr().out.splitlines()
    assert (
        declared == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    (tmp_path / "none.json").write_text(json.dumps({"install": []}))
    with pytest.raises(SystemExit, match="does not install mlflow"):
        requirements.main([pyproject, str(tmp_path / "none.json")])
    builder = " ".join(rest for keyword, rest in stages()[0] if keyword == "RUN")
    assert "--dry-run" in builder and "--report /tmp/declared.json" in builder


def load_slim_venv():
    spec = importlib.util.spec_from_file_location("triage_slim_venv", SLIM_VENV)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EM_X86_64, EM_AARCH64 = 62, 183


def elf64(*segments: tuple[int, int], machine: int = 0, align: int = 0) -> bytes:
    """A little-endian ELF64 header and program headers: PT_LOAD (offset, vaddr) segments."""
    header = bytearray(64)
    header[:6] = b"\x7fELF\x02\x01"
    header[0x12:0x14] = machine.to_bytes(2, "little")  # e_machine
    header[0x20:0x28] = (64).to_bytes(8, "little")  # e_phoff
    header[0x36:0x38] = (56).to_bytes(2, "little")  # e_phentsize
    header[0x38:0x3A] = len(segments).to_bytes(2, "little")  # e_phnum
    table = b"".join(
        (1).to_bytes(4, "little")
        + bytes(4)
        + offset.to_bytes(8, "little")
        + vaddr.to_bytes(8, "little")
        + bytes(24)
        + align.to_bytes(8, "little")
        for offset, vaddr in segments
    )
    return bytes(header) + table


def test_slimming_keeps_a_library_whose_segments_stripping_would_misalign():
    slim = load_slim_venv()
    built = slim.load_offsets(elf64((0, 0), (0x288800, 0x289800)))
    stripped = slim.load_offsets(elf64((0, 0), (0x1621098, 0x166B000)))
    assert built == [0, 0x1000] and stripped == [0, 0x166B000 - 0x1621098]
    assert slim.aligned_pages(built) == {4096}
    assert not slim.aligned_pages(built) <= slim.aligned_pages(stripped)  # so it is kept
    assert slim.load_offsets(b"#!/bin/sh\n" + bytes(64)) is None
    assert not slim.keeps_alignment(
        elf64((0, 0), (0x288800, 0x289800), machine=EM_X86_64),
        elf64((0, 0), (0x1621098, 0x166B000), machine=EM_X86_64),
    )


# glum's extension as its wheel ships it: patchelf's extra segment, at the end of the file,
# happens to map 64 KiB-aligned; stripping moves it to a 4 KiB-aligned offset.
GLUM_BUILT = ((0, 0), (0x7000, 0x7000), (0x6F6000, 0x116000))
GLUM_STRIPPED = ((0, 0), (0x7000, 0x7000), (0x115000, 0x116000))


def test_slimming_strips_an_x86_64_library_that_keeps_its_4_kib_pages():
    slim = load_slim_venv()
    built = elf64(*GLUM_BUILT, machine=EM_X86_64, align=0x1000)
    stripped = elf64(*GLUM_STRIPPED, machine=EM_X86_64, align=0x1000)
    assert slim.keeps_alignment(built, stripped)  # x86-64 has 4 KiB pages only
    # ... but a segment's own p_align is held too: a 64 KiB one would be broken.
    built = elf64(*GLUM_BUILT, machine=EM_X86_64, align=0x10000)
    stripped = elf64(*GLUM_STRIPPED, machine=EM_X86_64, align=0x10000)
    assert not slim.keeps_alignment(built, stripped)


def test_slimming_keeps_an_arm64_library_that_would_lose_its_64_kib_pages():
    slim = load_slim_venv()
    built = elf64(*GLUM_BUILT, machine=EM_AARCH64, align=0x1000)
    stripped = elf64(*GLUM_STRIPPED, machine=EM_AARCH64, align=0x1000)
    assert not slim.keeps_alignment(built, stripped)  # ARM64 kernels may use 64 KiB pages
    assert slim.keeps_alignment(built, built)


def test_slimming_removes_test_suites_sources_and_bytecode_and_keeps_the_code(tmp_path):
    site = tmp_path / "lib" / "python3.11" / "site-packages"
    files = {
        "pandas/__init__.py": "kept",
        "pandas/tests/test_frame.py": "gone",
        "pandas/_testing/__init__.py": "kept",
        "numpy/testing/__init__.py": "kept",
        "numpy/_core/include/numpy/ndarraytypes.h": "gone",
        "pandas/__pycache__/__init__.cpython-311.pyc": "gone",
        "pyarrow/lib.pyx": "gone",
        "pyarrow/libarrow_flight.so.2600": "gone",
        "pyarrow/libarrow.so.2600": "kept",
        "jinja2/tests.py": "kept",
        "pandas/__init__.pyi": "gone",
        "onnxruntime/transformers/optimizer.py": "gone",
        "hf_xet/__init__.py": "gone",
        "holidays/locale/en_GB/LC_MESSAGES/GB.mo": "kept",
        "holidays/locale/uk/LC_MESSAGES/GB.mo": "gone",
        "lxml/etree.cpython-311-x86_64-linux-gnu.so": "kept",
        "lxml/objectify.cpython-311-x86_64-linux-gnu.so": "gone",
        "numpy/distutils/misc_util.py": "gone",
        "numpy/f2py/__init__.py": "kept",
        "numpy/_core/_simd.cpython-311-x86_64-linux-gnu.so": "gone",
        "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so": "kept",
        "numba/np/ufunc/tbbpool.cpython-311-x86_64-linux-gnu.so": "gone",
        "numba/np/ufunc/omppool.cpython-311-x86_64-linux-gnu.so": "kept",
        "pyarrow/src/arrow/python/common.cc": "gone",
    }
    for name, fate in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(fate)
    library = "x" * 70_000
    for name in ("numpy.libs/libgfortran.so.5", "scipy.libs/libgfortran.so.5"):
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(library)
    assert load_slim_venv().main([str(tmp_path)]) == 0
    left = {str(p.relative_to(site)) for p in site.rglob("*") if p.is_file()}
    kept = {name for name, fate in files.items() if fate == "kept"}
    assert left == kept | {"numpy.libs/libgfortran.so.5", "scipy.libs/libgfortran.so.5"}
    assert not (site / "numpy" / "_core" / "include").exists()
    numpy_copy, scipy_copy = (
        site / "numpy.libs/libgfortran.so.5",
        site / "scipy.libs/libgfortran.so.5",
    )
    assert numpy_copy.samefile(scipy_copy) and scipy_copy.read_text() == library


def uninstalled() -> list[str]:
    """The distributions the dependencies stage uninstalls after its install."""
    runs = [rest for keyword, rest in stages()[0] if keyword == "RUN" and "pip install" in rest]
    found = re.findall(r"pip uninstall --yes --quiet ([a-z0-9 -]+?)(?= &&|$)", " ".join(runs))
    return " ".join(found).split()


def imported_modules() -> set[str]:
    """Every module, by its dotted name, that the packages pyproject.toml installs import."""
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["packages"]
    names: set[str] = set()
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_image_drops_only_distributions_that_the_code_never_imports():
    dropped = uninstalled()
    assert "huggingface-hub" in dropped and "databricks-sdk" in dropped, dropped
    # Their import names where they differ: databricks-sdk installs databricks.sdk, ...
    modules = {
        "databricks-sdk": "databricks",
        "google-auth": "google.auth",
        "pyasn1-modules": "pyasn1_modules",
        "huggingface-hub": "huggingface_hub",
    }
    imported = imported_modules()
    assert "tokenizers.Tokenizer" in imported, "what requires them is still imported"
    for name in dropped:
        module = modules.get(name, name)
        assert not any(i == module or i.startswith(module + ".") for i in imported), name
    # No dependency that pyproject.toml names is dropped.
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[\[<>=~!; ]", d, maxsplit=1)[0].lower() for d in declared}
    assert not names & set(dropped)


def test_the_runtime_stage_copies_the_environment_and_installs_no_compilers():
    runtime = stages()[-1]
    copies = [rest for keyword, rest in runtime if keyword == "COPY"]
    assert any(c.startswith("--from=builder /opt/venv") for c in copies), copies
    assert not any("apt-get" in rest for keyword, rest in runtime if keyword == "RUN")


def test_the_service_runs_as_a_fixed_non_root_user():
    runtime = stages()[-1]
    users = [rest for keyword, rest in runtime if keyword == "USER"]
    assert users, "no USER in the runtime stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and uid != "0", users[-1]
    created = " ".join(rest for keyword, rest in runtime if keyword == "RUN")
    assert f"--uid {uid}" in created


def test_triage_home_is_a_volume_in_production_mode():
    env = runtime_env()
    volumes = [rest for keyword, rest in stages()[-1] if keyword == "VOLUME"]
    assert env["TRIAGE_HOME"] == "/var/lib/triage"
    assert any(env["TRIAGE_HOME"] in v for v in volumes), volumes
    assert env["TRIAGE_ENVIRONMENT"] == "production"
    assert env["PYTHONUNBUFFERED"] == "1"


def test_bytecode_is_written_under_tmp_never_beside_the_code():
    # The image ships none (docker/slim_venv.py); Python writes it to a writable cache instead.
    for name in ("runtime", "mlflow"):
        stage = dict(zip(stage_names(), stages(), strict=True))[name]
        env = dict(
            item.split("=", 1)
            for keyword, rest in stage
            if keyword == "ENV"
            for item in shlex.split(rest)
        )
        assert env["PYTHONPYCACHEPREFIX"].startswith("/tmp/"), name
        assert "PYTHONDONTWRITEBYTECODE" not in env, name


def test_every_environment_is_slimmed_after_its_install():
    by_name = dict(zip(stage_names(), stages(), strict=True))
    for name in ("dependencies", "mlflow-builder"):
        runs = [
            rest for keyword, rest in by_name[name] if keyword == "RUN" and "pip install" in rest
        ]
        assert runs, name
        assert all(
            run.rstrip().find("triage-slim-venv /opt/venv") > run.find("pip install")
            for run in runs
        ), name
        assert all("--no-compile" in run for run in runs), name


def test_the_healthcheck_entrypoint_and_port_are_the_documented_ones():
    runtime = dict(stages()[-1])
    assert "CMD" in runtime["HEALTHCHECK"] and "triage-healthcheck" in runtime["HEALTHCHECK"]
    assert runtime["ENTRYPOINT"] == '["triage-entrypoint"]'
    assert runtime["CMD"] == '["serve"]'
    assert runtime["EXPOSE"] == runtime_env()["TRIAGE_PORT"] == "8000"
    copies = [rest for keyword, rest in stages()[-1] if keyword == "COPY"]
    assert "--chmod=0755 docker/entrypoint.sh /usr/local/bin/triage-entrypoint" in copies
    assert "--chmod=0755 docker/healthcheck.py /usr/local/bin/triage-healthcheck" in copies
    assert "docker/requirements.py" not in " ".join(copies), "a build-time script only"
    assert "docker/slim_venv.py" not in " ".join(copies), "a build-time script only"


def test_installs_keep_no_caches():
    runs = [rest for stage in stages() for keyword, rest in stage if keyword == "RUN"]
    for run in runs:
        if "pip install" in run:
            assert "--no-cache-dir" in run, run
        if "apt-get install" in run:
            assert "rm -rf /var/lib/apt/lists/*" in run, run


# -- .dockerignore ---------------------------------------------------------------------------


def test_the_build_context_admits_every_installed_package_and_nothing_of_the_state():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    admitted = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert lines[0] == "*", "the context should be an allow-list"
    assert packages <= admitted, f"not in the build context: {sorted(packages - admitted)}"
    assert {"pyproject.toml", "README.md", "docker"} <= admitted
    assert not admitted & {".venv", "var", ".git", "tests"}


# -- compose.yaml ----------------------------------------------------------------------------


def interpolated(value: str) -> str:
    """``value`` as compose would pass it on: each ``${NAME:?...}`` a stand-in, ``${NAME:-d}`` d."""

    def replace(match: re.Match) -> str:
        return match["default"] if match["default"] is not None else f"stand-in-{match['name']}"

    return re.sub(r"\$\{(?P<name>[A-Z_]+)(?::-(?P<default>[^}]*)|:\?[^}]*)?\}", replace, value)


def url_password(url: str) -> str | None:
    return urlsplit(interpolated(url)).password


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_service_runs_in_production_with_a_secret_key_that_has_no_default(compose):
    env = compose["services"]["triage"]["environment"]
    assert env["TRIAGE_ENVIRONMENT"] == "production"
    match = REQUIRED.match(env["TRIAGE_SECRET_KEY"])
    assert match and match["name"] == "TRIAGE_SECRET_KEY", env["TRIAGE_SECRET_KEY"]


def test_no_password_or_secret_is_written_into_compose():
    text = COMPOSE.read_text()
    for name in (
        "POSTGRES_PASSWORD",
        "TRIAGE_SECRET_KEY",
        "TRIAGE_AUDIT_KEY",
        "TRIAGE_SERVICE_DB_PASSWORD",
    ):
        uses = re.findall(rf"\$\{{{name}[^}}]*\}}", text)
        assert uses, name
        assert all(REQUIRED.match(use) for use in uses), uses
    assert "change-me" not in text.lower()


def test_the_service_database_is_the_db_service(compose):
    services = compose["services"]
    triage = services["triage"]
    url = urlsplit(interpolated(triage["environment"]["TRIAGE_DATABASE_URL"]))
    assert url.scheme == "postgresql+psycopg"
    assert url.hostname == "db" and url.port == 5432
    assert url.path.lstrip("/") == services["db"]["environment"]["POSTGRES_DB"]
    # The service connects as its own role, made by the init script; only the migrate job,
    # which the service waits for, connects as the tables' owner.
    assert url.username == "triage_service" != services["db"]["environment"]["POSTGRES_USER"]
    db_env = services["db"]["environment"]
    assert url.password == interpolated(db_env["TRIAGE_SERVICE_DB_PASSWORD"])
    init = (ROOT / "docker" / "postgres-init.sql").read_text()
    assert "CREATE ROLE triage_service LOGIN PASSWORD :'service_password';" in init
    owner = urlsplit(interpolated(services["migrate"]["environment"]["TRIAGE_DATABASE_URL"]))
    assert owner.username == db_env["POSTGRES_USER"]
    assert owner.password == interpolated(db_env["POSTGRES_PASSWORD"])
    assert triage["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert triage["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in services["db"]
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("psycopg[binary]") for d in dependencies["dependencies"])


def test_mlflow_keeps_its_runs_in_its_own_database_and_answers_the_service(compose):
    services = compose["services"]
    mlflow = services["mlflow"]
    command = mlflow["command"]
    tracking = urlsplit(services["triage"]["environment"]["TRIAGE_MLFLOW_TRACKING_URI"])
    assert tracking.hostname == "mlflow"
    assert str(tracking.port) == command[command.index("--port") + 1]
    assert "--serve-artifacts" in command
    # MLflow refuses requests whose Host header it does not allow (DNS-rebinding protection).
    allowed = command[command.index("--allowed-hosts") + 1].split(",")
    assert any(fnmatch.fnmatch(tracking.netloc, pattern) for pattern in allowed), allowed
    store = urlsplit(interpolated(mlflow["environment"]["MLFLOW_BACKEND_STORE_URI"]))
    assert store.scheme == "postgresql+psycopg"
    assert store.hostname == "db" and store.path == "/mlflow"
    assert store.password == url_password(services["migrate"]["environment"]["TRIAGE_DATABASE_URL"])
    init = (ROOT / "docker" / "postgres-init.sql").read_text()
    assert "CREATE DATABASE mlflow;" in init
    mounted = [v.split(":")[0] for v in services["db"]["volumes"]]
    assert "./docker/postgres-init.sql" in mounted


def test_state_is_on_named_volumes_shared_by_the_service_and_the_jobs(compose):
    services = compose["services"]
    home = "/var/lib/triage"
    service_home = [v for v in services["triage"]["volumes"] if v.endswith(f":{home}")]
    assert service_home and service_home == [
        v for v in services["train"]["volumes"] if v.endswith(f":{home}")
    ]
    for name in ("db", "mlflow", "triage"):
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            assert source.startswith("./") or source in compose["volumes"], volume
    assert services["train"]["profiles"] == ["tools"]


def test_nothing_is_published_beyond_this_host(compose):
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)


# -- docker/entrypoint.sh --------------------------------------------------------------------


@pytest.fixture
def stand_ins(tmp_path) -> tuple[dict[str, str], Path]:
    """A PATH whose `python` and `triage` only record how they were called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.log"
    for name in ("python", "triage"):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\n')
        script.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return env, calls


def run_entrypoint(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, check=True
    )


@pytest.mark.parametrize("args", [(), ("serve",), ("serve", "--workers", "2")])
def test_serving_hands_over_to_triage_serve_with_its_options(stand_ins, args):
    env, calls = stand_ins
    run_entrypoint(env, *args)
    assert calls.read_text().splitlines() == [" ".join(["triage serve", *args[1:]])]


def test_any_other_command_runs_as_given(stand_ins):
    env, calls = stand_ins
    run_entrypoint(env, "triage", "users", "add", "lee", "--role", "team_leader")
    assert calls.read_text().splitlines() == ["triage users add lee --role team_leader"]


def test_triage_serve_brings_the_schema_up_to_date_before_it_serves(triage_home, monkeypatch):
    # The image's migrations on start are `triage serve`'s: the entrypoint adds none of its own.
    import uvicorn

    seen = []
    monkeypatch.delenv("TRIAGE_ENVIRONMENT", raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: seen.append(revision(triage_home)))
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    heads = sorted((ROOT / "service" / "migrations" / "versions").glob("[0-9]*.py"))
    assert seen == [heads[-1].name.split("_")[0]]


def revision(home: Path) -> str:
    with closing(sqlite3.connect(home / "triage.db")) as db:
        return db.execute("SELECT version_num FROM alembic_version").fetchone()[0]


# -- docker/healthcheck.py -------------------------------------------------------------------


def load_healthcheck():
    spec = importlib.util.spec_from_file_location("triage_healthcheck", HEALTHCHECK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def health_server() -> Iterator[tuple[str, dict]]:
    """A loopback server whose /health answers with ``state["status"]``."""
    state = {"status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(state["status"])
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/health", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("status", "ready", "live"), [(200, 0, 0), (503, 1, 0), (500, 1, 1), (404, 1, 1)]
)
def test_ready_needs_a_200_and_live_accepts_waiting_for_a_model(health_server, status, ready, live):
    url, state = health_server
    state["status"] = status
    healthcheck = load_healthcheck()
    assert healthcheck.main([url]) == ready
    assert healthcheck.main(["--live", url]) == live


def test_no_answer_is_unhealthy_and_the_default_url_follows_triage_port(monkeypatch, capsys):
    healthcheck = load_healthcheck()
    monkeypatch.setenv("TRIAGE_PORT", "1")  # nothing listens on port 1
    assert healthcheck.default_url() == "http://127.0.0.1:1/health"
    assert healthcheck.main(["--live"]) == 1
    assert "no answer from http://127.0.0.1:1/health" in capsys.readouterr().out


# -- CI --------------------------------------------------------------------------------------


def test_ci_runs_the_readme_test_command_with_the_image_built_beside_it_and_smoked_after():
    steps = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line and not line[0].isspace() and not line.startswith(("#", "}")) and "()" not in line
    ]
    assert "make test" in steps
    order = [
        steps.index(step)
        for step in (
            "install_docker",
            "prepare_image",
            "make test",
            "finish_image_prepare",
            "bash .ci/image-smoke",
        )
    ]
    assert order == sorted(order), steps
    readme = (ROOT / "README.md").read_text()
    assert "\nmake test\n" in readme  # the README's test command, exactly
    smoke = (ROOT / ".ci" / "image-smoke").read_text()
    assert "setsid bash .ci/image-smoke prepare" in (ROOT / ".ci" / "run").read_text()
    assert 'if [ "$MODE" = prepare ]; then' in smoke
