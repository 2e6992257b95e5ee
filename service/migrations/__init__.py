"""Alembic migrations of the service database, run by :func:`service.migrate.upgrade`."""
