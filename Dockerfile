# The triage service image (docs/deployment.md). Stages:
#   dependencies  the project's dependencies in a virtual environment, /opt/venv, with MLflow's
#                 client (mlflow-skinny) only: the service never runs MLflow's server;
#   builder       that environment plus the project itself;
#   mlflow        (target `mlflow`, compose.yaml's MLflow server) the dependencies plus the full
#                 MLflow of the same version, so client and server always match;
#   runtime       (the default target, last) the service: the same Python with the builder's
#                 environment copied in, no compilers, a non-root user.
# The base image is a build argument: a deployment pulls the official slim Python image; CI,
# where no registry is reachable, builds a stand-in from Debian's own packages and passes it
# (.ci/image-smoke). No `# syntax=` line: it would make BuildKit fetch a frontend image.
ARG BASE_IMAGE=python:3.11.14-slim-trixie

FROM ${BASE_IMAGE} AS dependencies

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# Compilers only for a dependency without a wheel for the target platform; they stay in this
# stage. Debian's versions are not pinned: the pinned base image fixes the release, and a point
# release withdraws the old versions, which would break the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
WORKDIR /src

# The dependencies first, in a layer of their own, so a change to the code does not reinstall them.
COPY pyproject.toml ./
# MLflow's client, mlflow-skinny, stands in for mlflow (same version range): the full package
# adds the tracking server and its web UI, which only the mlflow stage needs.
COPY docker/requirements.py /usr/local/bin/triage-requirements
RUN python /usr/local/bin/triage-requirements pyproject.toml > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt

# Then the project itself (.dockerignore lets in only the packages, pyproject.toml and README.md).
FROM dependencies AS builder
COPY . .
RUN pip install --no-cache-dir --no-deps . \
    && triage --help > /dev/null


# The MLflow tracking server (compose.yaml's mlflow service): the full mlflow of the version the
# service's client has, so the two always match, and psycopg for its PostgreSQL store. From the
# dependencies, not the builder: a change to the project's code does not rebuild it.
FROM dependencies AS mlflow-builder
RUN pip install --no-cache-dir "mlflow==$(python -c 'import importlib.metadata as m; print(m.version("mlflow-skinny"))')"

FROM ${BASE_IMAGE} AS mlflow
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
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
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
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
