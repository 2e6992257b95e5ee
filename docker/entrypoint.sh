#!/bin/sh
# The triage image's entrypoint (docs/deployment.md).
#
#   serve [OPTIONS]  (the default) `triage serve` on TRIAGE_HOST:TRIAGE_PORT (0.0.0.0:8000 in
#                    the image); OPTIONS go to it, e.g. `serve --workers 2`
#   anything else    run as given, e.g. `triage users add lee --role team_leader`
#
# `triage serve` does the start-up in order, once per container and before any worker starts:
# it refuses insecure settings outside development (a missing or placeholder
# TRIAGE_SECRET_KEY, a default database password), then brings the database schema up to date
# (Alembic; concurrent starts of several replicas wait on an advisory lock in PostgreSQL), then
# serves. Every other command that opens the database upgrades the schema first as well.
set -eu

if [ "$#" -eq 0 ] || [ "$1" = serve ]; then
    if [ "$#" -gt 0 ]; then
        shift
    fi
    exec triage serve "$@"
fi

exec "$@"
