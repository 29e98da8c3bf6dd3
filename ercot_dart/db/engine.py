"""Engines for the source database, with the embedded SQLite tuned for bulk loads."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import URL, make_url

from ercot_dart.db.tables import metadata


class DatabaseError(Exception):
    """The source database cannot be reached or set up; the message says which and why."""


def engine_url(url: str) -> URL:
    """``url`` parsed, with the driver engines use: a bare ``postgresql://`` is psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, create: bool = True) -> Engine:
    """An engine for ``url``; for SQLite, creates the folder and turns on WAL.

    Args:
        url: SQLAlchemy URL (``sqlite:///data/ercot.sqlite``, ``postgresql+psycopg://...``,
            ``mssql+pyodbc://...``). A bare ``postgresql://`` uses psycopg 3.
        create: False for a database only read: a SQLite file that does not exist is an error
            (instead of a new empty database, and its folder, made by the reading).

    Raises:
        DatabaseError: the SQLite file does not exist (``create`` False), or its folder cannot
            be made; the message names the URL.
    """
    parsed = engine_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database).expanduser()
        if not create and not path.is_file():
            raise DatabaseError(f"{url}: no SQLite database at {path}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file where a folder should be, no permission
            raise DatabaseError(
                f"{url}: cannot make the folder {path.parent}: {exc.strerror}"
            ) from None
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_tables(engine: Engine) -> None:
    """Create the nine source tables where missing (idempotent)."""
    metadata.create_all(engine, checkfirst=True)


def missing_tables(engine: Engine) -> list[str]:
    """Names of source tables absent from the database."""
    existing = set(inspect(engine).get_table_names())
    return [t.name for t in metadata.sorted_tables if t.name not in existing]
