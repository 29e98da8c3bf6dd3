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
from tests.helpers import free_port, stop_process

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


# --- Azurite: a real Azure Blob Storage emulator for the blob registry tests ---

AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's well-known development key (public, documented by Microsoft; not a secret)
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
AZURITE_BIN = REPO / "node_modules" / ".bin" / "azurite-blob"


def _answers(port: int) -> bool:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        conn.request("GET", f"/{AZURITE_ACCOUNT}?comp=list")
        conn.getresponse().read()  # any HTTP answer (403 without a signature) means it is up
        return True
    except OSError:
        return False
    finally:
        conn.close()


def azurite_connection_string(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
        f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )


def start_azurite(root: Path, port: int, timeout: float = 30):  # type: ignore[no-untyped-def]
    """Azurite's blob service on 127.0.0.1:``port``, storing under ``root``; the process once it
    answers, None if it did not start (e.g. the port was taken)."""
    import subprocess
    import time

    if not AZURITE_BIN.exists():
        pytest.fail(
            f"{AZURITE_BIN} is missing: run `npm ci` in {REPO} (`make test` does it)",
            pytrace=False,
        )
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "azurite.log", "ab") as out:
        proc = subprocess.Popen(
            [str(AZURITE_BIN), "--blobHost", "127.0.0.1", "--blobPort", str(port),
             "--location", str(root / "data"), "--silent", "--disableTelemetry",
             "--skipApiVersionCheck", "--loose"],
            stdout=out, stderr=subprocess.STDOUT, cwd=REPO,
        )  # fmt: skip
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline and not _answers(port):
        time.sleep(0.2)
    if proc.poll() is None and _answers(port):
        return proc
    stop_process(proc, timeout=5)
    return None


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A connection string to an Azurite blob service on 127.0.0.1, started for the session."""
    root = tmp_path_factory.mktemp("azurite")
    for _attempt in range(3):  # another process may take the free port before Azurite does
        port = free_port()
        proc = start_azurite(root, port)
        if proc is not None:
            break
    else:
        pytest.fail(
            f"Azurite did not start; its log:\n{(root / 'azurite.log').read_text()}",
            pytrace=False,
        )
    try:
        yield azurite_connection_string(port)
    finally:
        stop_process(proc, timeout=10)


# --- a small feature store of the five real hubs (spring to summer 2024), for model tests ---


def _quick_config():  # type: ignore[no-untyped-def]
    from ercot_dart.models.base import ModelConfig

    return ModelConfig(
        threads=2, max_rounds=200, early_stopping=20, epochs=2, samples_per_epoch=3000, hidden=16
    )


@pytest.fixture(scope="session")
def small_store(real_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from datetime import date

    from ercot_dart.features.asof import AsOfRules
    from ercot_dart.features.pipeline import update_features

    root = tmp_path_factory.mktemp("model-store")
    update_features(
        str(real_engine.url),
        root / "stage",
        root / "features",
        AsOfRules(),
        start=date(2024, 3, 1),
        end=date(2024, 8, 31),
    )
    return root / "features"


@pytest.fixture(scope="session")
def request_small(small_store: Path):  # type: ignore[no-untyped-def]
    from datetime import date

    from ercot_dart.models.training import TrainRequest

    return TrainRequest(
        store=small_store,
        train_end=date(2024, 6, 30),
        valid_end=date(2024, 7, 31),
        gap_days=7,
        recent_days=10,
        config=_quick_config(),
    )


# --- a PostgreSQL database of its own, which a test can switch off and on (fault injection) ---


class Database:
    """A throwaway PostgreSQL database; :meth:`down` refuses new connections as a server that
    went away would, :meth:`up` lets them in again."""

    def __init__(self, admin_url: str, name: str) -> None:
        self.admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        self.name = name
        self.url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def _sql(self, statement: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(statement))

    def down(self) -> None:
        self._sql(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS false')
        self._sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{self.name}' AND pid <> pg_backend_pid()"
        )

    def up(self) -> None:
        self._sql(f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS true')


@pytest.fixture
def pg_database() -> Iterator[Database]:
    url = os.environ.get(POSTGRES_URL_VAR)
    if not url:
        pytest.skip(f"{POSTGRES_URL_VAR} not set")
    db = Database(url, f"dart_{uuid.uuid4().hex[:12]}")
    db._sql(f'CREATE DATABASE "{db.name}"')
    try:
        yield db
    finally:
        db.down()
        db._sql(f'DROP DATABASE IF EXISTS "{db.name}"')
        db.admin.dispose()
