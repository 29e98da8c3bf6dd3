"""Source frames for the feature tests: the real 2024 hubs (five hubs, DAM + SCED + wind, solar
and load), read once per session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from ercot_dart.db.engine import make_engine
from ercot_dart.db.tables import TABLES
from ercot_dart.features.build import Sources
from ercot_dart.importer import import_paths


def read_sources(engine: sa.Engine) -> Sources:
    with engine.connect() as conn:
        frames = {name.value: pd.read_sql(sa.select(t), conn) for name, t in TABLES.items()}
    return Sources(**{k: (v if len(v) else None) for k, v in frames.items()})


@pytest.fixture(scope="session")
def real_engine(tmp_path_factory: pytest.TempPathFactory, real_api_dir: Path) -> sa.Engine:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('real') / 'real.sqlite'}")
    results = import_paths(engine, [real_api_dir])
    assert all(r.ok for r in results)
    return engine


@pytest.fixture(scope="session")
def real_sources(real_engine: sa.Engine) -> Sources:
    return read_sources(real_engine)
