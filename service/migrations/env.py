"""Alembic environment: runs on the connection that :mod:`service.migrate` passes in."""

from __future__ import annotations

from alembic import context

from service.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("Run migrations through `service.migrate.upgrade` (or any triage command).")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
