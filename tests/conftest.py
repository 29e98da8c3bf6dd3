"""Shared fixtures: where the real ERCOT samples are, and the databases tests write to.

Real samples come from ``../shared`` when it is there; small copied slices live in
``tests/fixtures`` so the core tests also run without it. PostgreSQL tests run when
``DART_TEST_POSTGRES_URL`` names a server (CI sets it), each in a schema of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from ercot_dart.db.engine import create_tables, make_engine

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
POSTGRES_URL_VAR = "DART_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``tests/fixtures``: small slices of real ERCOT files, copied byte for byte."""
    return FIXTURES


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository (spec and real ERCOT data); skips when absent."""
    path = REPO.parent / "shared"
    if not path.is_dir():
        pytest.skip(f"{path} is absent: the full real ERCOT samples live there")
    return path


@pytest.fixture(scope="session")
def real_api_dir(shared_dir: Path) -> Path:
    """The fourteen months of Public API files for five hubs; skips when absent."""
    path = shared_dir / "data" / "ercot-real" / "public-api-2024"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite file database with the nine source tables."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ercot.sqlite'}")
    create_tables(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """A PostgreSQL engine confined to a fresh schema holding the nine tables.

    The schema is dropped afterwards, so tests never see each other's rows.
    """
    url = os.environ.get(POSTGRES_URL_VAR)
    if not url:
        pytest.skip(f"{POSTGRES_URL_VAR} not set")
    schema = f"t_{uuid.uuid4().hex}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # psycopg passes ``options`` to the server: every connection starts in the test's schema
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(scoped.render_as_string(hide_password=False))
    try:
        create_tables(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_engine(request: pytest.FixtureRequest) -> Engine:
    """Each database the pipeline supports in tests: SQLite, then PostgreSQL."""
    return request.getfixturevalue(
        {"sqlite": "sqlite_engine", "postgres": "pg_engine"}[request.param]
    )


def read_sources(engine: Engine):  # type: ignore[no-untyped-def]
    """All nine tables of ``engine`` as feature-builder ``Sources`` (absent tables as None)."""
    import pandas as pd
    import sqlalchemy as sa

    from ercot_dart.db.tables import TABLES
    from ercot_dart.features.build import Sources

    with engine.connect() as conn:
        frames = {name.value: pd.read_sql(sa.select(t), conn) for name, t in TABLES.items()}
    return Sources(**{k: (v if len(v) else None) for k, v in frames.items()})


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory: pytest.TempPathFactory, real_api_dir: Path) -> Engine:
    """A SQLite database holding the real 2024 Public API files (five hubs), imported once."""
    from ercot_dart.importer import import_paths

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('real') / 'real.sqlite'}")
    results = import_paths(engine, [real_api_dir])
    assert all(r.ok for r in results), [r.error for r in results if r.error]
    return engine


@pytest.fixture(scope="session")
def real_sources(real_engine: Engine):  # type: ignore[no-untyped-def]
    """The real database's rows as ``Sources``."""
    return read_sources(real_engine)
