# The triage service image (docs/deployment.md). Stages:
#   dependencies  the project's dependencies in a virtual environment, /opt/venv, with MLflow's
#                 client (mlflow-skinny) only: the service never runs MLflow's server;
#   builder       that environment plus the project itself (pure Python: nothing to slim),
#                 without pip;
#   mlflow        (target `mlflow`, compose.yaml's MLflow server) the dependencies plus the full
#                 MLflow of the same version, so client and server always match;
#   runtime       (the default target, last) the service: the same Python with the builder's
#                 environment copied in, no compilers, a non-root user.
# Every environment is slimmed as it is built (docker/slim_venv.py): no test suites, headers,
# bytecode or debug symbols of the libraries; Python writes bytecode at run time under /tmp.
# The base image is a build argument: a deployment pulls the official slim Python image; CI,
# where no registry is reachable, builds a stand-in from Debian's own packages and passes it
# (.ci/image-smoke). No `# syntax=` line: it would make BuildKit fetch a frontend image.
ARG BASE_IMAGE=python:3.11.14-slim-trixie

FROM ${BASE_IMAGE} AS dependencies

# No bytecode written while building: the checks below import the code after it is slimmed.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

# binutils for strip (docker/slim_venv.py); no compilers: every dependency ships a wheel for
# Linux on x86-64 and ARM64 (--only-binary below), so none is built from source. Debian's
# versions are not pinned: the pinned base image fixes the release, and a point release
# withdraws the old versions, which would break the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
WORKDIR /src
COPY docker/slim_venv.py /usr/local/bin/triage-slim-venv

# The dependencies first, in a layer of their own, so a change to the code does not reinstall them.
COPY pyproject.toml ./
# MLflow's client, mlflow-skinny, stands in for mlflow (same version range): the full package
# adds the tracking server and its web UI, which only the mlflow stage needs. --no-compile:
# bytecode is written at run time (see the runtime stage).
# Then out go the distributions that a dependency requires but that the image never imports (an
# import trace of `triage quickstart`, `triage serve` scoring a contact with a narrative and
# recording a decision, and the commands docs/deployment.md runs in the image): MLflow's
# Databricks SDK and its Google sign-in (pyasn1 with it), used only against Databricks; and
# tokenizers' Hugging Face Hub client with fsspec and filelock, used only to download a
# tokenizer (narrative/ reads its own from the package). The mlflow stage installs them again.
# An empty `databricks` namespace folder stays: MLflow probes for Databricks' agents with
# importlib.util.find_spec("databricks.agents"), which raises, rather than answering "not
# installed", when no `databricks` package exists. The check imports what the slimming touched,
# in one process, so the modules they share are compiled once.
# The client's version is the one a resolution of the declared dependencies, full mlflow
# included, chooses (docker/requirements.py), so the mlflow stage can always install the same.
COPY docker/requirements.py /usr/local/bin/triage-requirements
RUN python /usr/local/bin/triage-requirements --as-declared pyproject.toml > /tmp/declared.txt \
    && pip install --dry-run --quiet --only-binary=:all: --report /tmp/declared.json \
        -r /tmp/declared.txt \
    && python /usr/local/bin/triage-requirements pyproject.toml /tmp/declared.json \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir --no-compile --only-binary=:all: -r /tmp/requirements.txt \
    && pip uninstall --yes --quiet databricks-sdk google-auth pyasn1-modules pyasn1 \
        huggingface-hub fsspec filelock \
    && python /usr/local/bin/triage-slim-venv /opt/venv \
    && mkdir /opt/venv/lib/python3.11/site-packages/databricks \
    && python -c "import numpy.linalg, scipy.linalg, pyarrow.parquet, pandas, glum, sklearn.ensemble; \
import onnx, onnxruntime, tokenizers, llvmlite.binding, numba, shap, lxml.etree; \
import mlflow.sklearn, mlflow.pyfunc, matplotlib.pyplot; \
import holidays; holidays.country_holidays('GB', subdiv='ENG', years=2026)"

# Then the project itself (.dockerignore lets in only the packages, pyproject.toml and README.md).
FROM dependencies AS builder
COPY . .
RUN pip install --no-cache-dir --no-compile --no-deps . \
    && pip uninstall --yes --quiet setuptools pip \
    && triage --help > /dev/null


# The MLflow tracking server (compose.yaml's mlflow service): the full mlflow of the version the
# service's client has, so the two always match, and psycopg for its PostgreSQL store. From the
# dependencies, not the builder: a change to the project's code does not rebuild it.
FROM dependencies AS mlflow-builder
RUN pip install --no-cache-dir --no-compile --only-binary=:all: \
        "mlflow==$(python -c 'import importlib.metadata as m; print(m.version("mlflow-skinny"))')" \
    && pip uninstall --yes --quiet setuptools pip \
    && python /usr/local/bin/triage-slim-venv /opt/venv \
    && mlflow --version

FROM ${BASE_IMAGE} AS mlflow
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPYCACHEPREFIX=/tmp/pycache \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib
RUN groupadd --system --gid 10001 triage \
    && useradd --system --no-log-init --uid 10001 --gid triage \
        --home-dir /var/lib/triage --shell /usr/sbin/nologin triage \
    && install -d -o triage -g triage -m 0750 /var/lib/triage
COPY --from=mlflow-builder /opt/venv /opt/venv
COPY --chmod=0755 docker/healthcheck.py /usr/local/bin/triage-healthcheck
USER 10001:10001
WORKDIR /var/lib/triage
VOLUME ["/var/lib/triage"]
EXPOSE 5000
CMD ["mlflow", "server", "--host", "0.0.0.0", "--port", "5000"]


FROM ${BASE_IMAGE} AS runtime

LABEL org.opencontainers.image.title="triage" \
      org.opencontainers.image.description="Front-door triage decision support for children's social care: a second opinion, never a decision-maker." \
      org.opencontainers.image.licenses="MIT"

# All state lives under TRIAGE_HOME: the SQLite defaults, MLflow's local store and artifacts when
# no servers are configured, generated data. Production points TRIAGE_DATABASE_URL at PostgreSQL
# and TRIAGE_MLFLOW_TRACKING_URI at an MLflow server (compose.yaml). The image defaults to
# production, so it refuses to start without a real TRIAGE_SECRET_KEY.
# The image ships no bytecode (docker/slim_venv.py): each container compiles the modules it
# imports once, into /tmp (writable, a tmpfs in compose.yaml), never into the read-only code.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPYCACHEPREFIX=/tmp/pycache \
    PYTHONUNBUFFERED=1 \
    MPLBACKEND=Agg \
    MPLCONFIGDIR=/tmp/matplotlib \
    TRIAGE_HOME=/var/lib/triage \
    TRIAGE_ENVIRONMENT=production \
    TRIAGE_HOST=0.0.0.0 \
    TRIAGE_PORT=8000

# A fixed UID and GID, so volumes and a Kubernetes runAsUser can name them. The home directory is
# created before VOLUME, so a new named volume starts out owned by this user.
RUN groupadd --system --gid 10001 triage \
    && useradd --system --no-log-init --uid 10001 --gid triage \
        --home-dir /var/lib/triage --shell /usr/sbin/nologin triage \
    && install -d -o triage -g triage -m 0750 /var/lib/triage

COPY --from=builder /opt/venv /opt/venv
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/triage-entrypoint
COPY --chmod=0755 docker/healthcheck.py /usr/local/bin/triage-healthcheck

USER 10001:10001
WORKDIR /var/lib/triage
VOLUME ["/var/lib/triage"]
EXPOSE 8000

# Healthy means ready to score: GET /health answers 200 once a champion model is loaded, 503
# before. A service started before any model is trained is up but unhealthy until one is
# registered (it is picked up within TRIAGE_MODEL_POLL_SECONDS, no restart needed).
# `triage-healthcheck --live` accepts 503 too, for an orchestrator's liveness probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["triage-healthcheck"]

# `serve` (the default): `triage serve` refuses insecure settings, brings the database schema up
# to date, then serves (docker/entrypoint.sh). Any other command runs as given, e.g.
# `triage users add NAME --role ROLE`.
ENTRYPOINT ["triage-entrypoint"]
CMD ["serve"]
