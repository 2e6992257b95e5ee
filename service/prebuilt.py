"""Hot statements compiled once and run on the DBAPI cursor of the transaction's own connection.

Every scored contact reads its caller's token and writes five rows (contact, assessment,
revision, audit entry and head); SQLAlchemy's path from ``connection.execute`` to the driver
(cache lookup, execution context, parameter processing, events, result set) cost about a
quarter of a scored contact's server CPU (py-spy, 2026-12-02). A :class:`Prebuilt` statement
keeps SQLAlchemy's own compilation of the statement for the connection's dialect, passes each
value through its column's own bind processor and each value read through its column's own
result processor, so the driver gets, and the caller gets back, what ``connection.execute``
would have given; it runs on the same DBAPI connection, inside the same transaction, and driver
errors are raised as SQLAlchemy's (``IntegrityError`` and the rest), so callers catch what
they caught before.
"""

from __future__ import annotations

import json as json_module
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Connection, Insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.dml import UpdateBase


@dataclass(frozen=True)
class _Plan:
    """One statement compiled for one dialect and one set of parameter names."""

    sql: str
    # (parameter name, its bind processor or None), in the order a positional driver wants
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]
    positional: bool
    # Parameters the statement fixes itself (``.where(table.c.id == 1)``), already processed
    fixed: dict[str, Any]
    # A SELECT's result processor for each of its columns (None: the driver's value as is)
    results: tuple[Callable[[Any], Any] | None, ...] = ()
    # The parameters of JSON columns (their processing is the costly one: serialising)
    json: frozenset[str] = frozenset()
    # PostgreSQL: the INSERT of any number of rows, each column's values as one array
    # (unnest), and the parameter names in the order of those arrays
    columns: str | None = None
    order: tuple[str, ...] = ()
    # Each JSON value stored as its text, wrapped for the driver (psycopg's Json, which would
    # otherwise serialise the value again at each use); None where the processor gives text
    wrap_json: Callable[[str], Any] | None = None

    def parameters(
        self, values: Mapping[str, Any], encoded: dict[int, Any] | None = None
    ) -> Sequence[Any] | dict[str, Any]:
        """The driver's parameters for one row of ``values``; ``encoded`` keeps each JSON
        value's processed form by the value's id, so an object stored twice is encoded once."""
        converted = []
        for n, p in self.binds:
            if n in self.fixed:
                converted.append((n, self.fixed[n]))
            elif p is None:
                converted.append((n, values[n]))
            elif n in self.json and (encoded is not None or self.wrap_json is not None):
                converted.append((n, self._json(values[n], p, encoded)))
            else:
                converted.append((n, p(values[n])))
        if self.positional:
            return tuple(v for _, v in converted)
        return dict(converted)

    def _json(
        self, value: Any, processor: Callable[[Any], Any], encoded: dict[int, Any] | None
    ) -> Any:
        if encoded is not None and id(value) in encoded:
            return encoded[id(value)]
        if self.wrap_json is None:
            processed = processor(value)
        elif value is None:
            processed = processor(value)  # SQL NULL or JSON null, as the column's type says
        else:
            processed = self.wrap_json(json_module.dumps(value))
        if encoded is not None:
            encoded[id(value)] = processed
        return processed

    def many(self, rows: list[dict[str, Any]]) -> tuple[str, dict[str, list[Any]]] | None:
        """One INSERT of every row (its SQL and its parameters, one array per column), or None
        if this plan has none: one statement for the server to run instead of one per row, and
        the same statement whatever the number of rows (prepared once on each connection)."""
        if self.columns is None:
            return None
        return self.columns, {n: [row[n] for row in rows] for n in self.order}

    def row(self, values: Sequence[Any]) -> tuple[Any, ...]:
        """A row as the driver gave it, each value read as its column's type reads it."""
        return tuple(
            value if p is None or value is None else p(value)
            for p, value in zip(self.results, values, strict=True)
        )


class Prebuilt:
    """A Core INSERT, UPDATE or SELECT run straight on the driver (see the module docstring)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan | None] = {}

    def execute(
        self,
        connection: Connection,
        rows: Sequence[Mapping[str, Any]],
        *,
        encoded: dict[int, Any] | None = None,
    ) -> None:
        """Run the statement once per row (each row names every parameter), in the transaction
        ``connection`` has begun. ``encoded``: a dict shared by statements that store the same
        objects in JSON columns (each is serialised once); the objects must outlive it."""
        if not rows:
            return
        plan = self._plan(connection.dialect, tuple(rows[0]))
        if plan is None:  # a column default to apply: SQLAlchemy's own path
            connection.execute(self.statement, list(rows))
            return
        parameters = [plan.parameters(row, encoded) for row in rows]
        many = plan.many(parameters) if len(parameters) > 1 else None  # type: ignore[arg-type]
        with _DriverCursor(connection, plan.sql) as cursor:
            if len(parameters) == 1:
                cursor.execute(plan.sql, parameters[0])
            elif many is not None:
                cursor.execute(*many)
            else:
                cursor.executemany(plan.sql, parameters)

    def first(self, connection: Connection, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of a SELECT (as ``connection.execute`` would read it), or None."""
        plan = self._plan(connection.dialect, tuple(values))
        if plan is None:
            found = connection.execute(self.statement, dict(values)).first()
            return None if found is None else tuple(found)
        with _DriverCursor(connection, plan.sql) as cursor:
            cursor.execute(plan.sql, plan.parameters(values))
            row = cursor.fetchone()
        return None if row is None else plan.row(row)

    def all(self, connection: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of a SELECT (as ``connection.execute`` would read them)."""
        plan = self._plan(connection.dialect, tuple(values))
        if plan is None:
            return [tuple(r) for r in connection.execute(self.statement, dict(values))]
        with _DriverCursor(connection, plan.sql) as cursor:
            cursor.execute(plan.sql, plan.parameters(values))
            rows = cursor.fetchall()
        return [plan.row(r) for r in rows]

    def _plan(self, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
        key = (dialect.name, keys)
        if key not in self._plans:
            self._plans[key] = compile_plan(self.statement, dialect, keys)
        return self._plans[key]


def compile_plan(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    """Compile ``statement`` for ``dialect`` with parameters ``keys``; None for what this path
    would run differently (a column default left to SQLAlchemy, expanding parameters, a
    RETURNING clause), which then goes SQLAlchemy's own way."""
    if isinstance(statement, UpdateBase):
        table = statement.table
        for column in getattr(table, "columns", ()):
            if column.key not in keys and (
                column.default is not None or column.onupdate is not None
            ):
                return None
    # For mypy: every Executable the hot paths give here is a ClauseElement that compiles
    compiled = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
    if compiled.literal_execute_params or compiled.post_compile_params or compiled.returning:
        return None
    names = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
    binds = tuple(
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name in names
    )
    fixed = {}
    for name, processor in binds:
        if name not in keys:
            value = compiled.binds[name].effective_value
            fixed[name] = value if processor is None else processor(value)
    results = tuple(
        # _cached_result_processor: how SQLAlchemy's own result set reads a column
        column.type._cached_result_processor(dialect, None)
        for column in getattr(compiled, "_result_columns", ())
    )
    json = frozenset(n for n in names if isinstance(compiled.binds[n].type, JSON))
    sql, positional = compiled.string, bool(compiled.positional)
    columns, order = _by_columns(statement, dialect)
    if set(order) != set(keys):
        columns, order = None, ()  # not every column given: row by row
    wrap = _json_wrapper(dialect)
    return _Plan(sql, binds, positional, fixed, results, json, columns, order, wrap)


_LENGTH = re.compile(r"\(\d+(, *\d+)?\)")


def _by_columns(statement: Executable, dialect: Dialect) -> tuple[str | None, tuple[str, ...]]:
    """A PostgreSQL INSERT of every column of a table as ``INSERT ... SELECT * FROM
    unnest(%(a)b::type[], ...)`` with the column names in order; (None, ()) elsewhere (SQLite:
    its executemany is in-process) or for any other statement.

    The arrays go in binary (``%b``): in text, psycopg escapes every element with a regular
    expression, which cost more than the statements saved (profiled)."""
    if dialect.name != "postgresql" or not isinstance(statement, Insert):
        return None, ()
    if statement._values or statement._multi_values or statement._post_values_clause:
        return None, ()
    columns = list(statement.table.columns)
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    # Arrays of the types without a length (a cast to VARCHAR(64) would cut a longer value
    # short; the column's own type then refuses it, as a one-row INSERT would)
    types = [_LENGTH.sub("", c.type.compile(dialect=dialect)) for c in columns]
    arrays = ", ".join(f"%({c.key})b::{t}[]" for c, t in zip(columns, types, strict=True))
    table = dialect.identifier_preparer.format_table(statement.table)
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"
    return sql, tuple(c.key for c in columns)


def _json_wrapper(dialect: Dialect) -> Callable[[str], Any] | None:
    """How a JSON value's text goes to the driver as JSON, where the column type's own
    processor leaves serialising to the driver (psycopg: at each use); None elsewhere."""
    wrapper = getattr(dialect, "_psycopg_Json", None)
    if wrapper is None or getattr(dialect, "_json_serializer", None) is not None:
        return None
    return lambda text: wrapper(text, dumps=_as_is)


def _as_is(text: str) -> str:
    return text


def json_text(encoded: dict[int, Any], value: Any) -> str | None:
    """The JSON text ``value`` was stored as through ``encoded`` (see Prebuilt.execute), if any."""
    stored = encoded.get(id(value))
    if isinstance(stored, str):
        return stored
    text = getattr(stored, "obj", None)  # psycopg's Json wrapping the text
    return text if isinstance(text, str) else None


@contextmanager
def pipelined(connection: Connection) -> Iterator[None]:
    """Within this block, on a driver that pipelines (psycopg), statements go to the server
    without waiting for each one's answer, until a statement's rows are read or the block ends:
    the writes before a read cost one round trip with it instead of one each. Elsewhere (SQLite,
    local) a plain block. A failed write raises at that read, or at the block's end."""
    driver = connection.connection.driver_connection
    pipeline = getattr(driver, "pipeline", None)
    if pipeline is None:
        yield
        return
    try:
        with pipeline():
            yield
    except connection.dialect.loaded_dbapi.Error as error:  # raised at the block's end
        raise DBAPIError.instance(
            "(pipelined statements)",
            None,
            error,
            connection.dialect.loaded_dbapi.Error,
            hide_parameters=True,
            dialect=connection.dialect,
        ) from error


class _DriverCursor:
    """A cursor of the connection's DBAPI connection; driver errors raised as SQLAlchemy's."""

    def __init__(self, connection: Connection, sql: str) -> None:
        self.connection = connection
        self.sql = sql

    def __enter__(self) -> Any:
        # For mypy: a connection inside a transaction always has its DBAPI connection
        self.cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        return self.cursor

    def __exit__(self, kind: Any, error: BaseException | None, _tb: Any) -> None:
        self.cursor.close()
        dialect = self.connection.dialect
        dbapi = dialect.loaded_dbapi
        if error is not None and isinstance(error, dbapi.Error):
            # As SQLAlchemy's own path: a lost connection is invalidated (never pooled again)
            # and the error says so, so a caller may try again on a fresh one.
            driver = self.connection.connection.driver_connection
            lost = dialect.is_disconnect(error, driver, self.cursor)
            if lost:
                self.connection.invalidate(error)
            raise DBAPIError.instance(
                self.sql,
                None,
                error,
                dbapi.Error,
                hide_parameters=True,
                dialect=dialect,
                connection_invalidated=lost,
            ) from error
