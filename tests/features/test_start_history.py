"""A build from ``--start`` on a fresh stage reads the history its first rows need: their
features equal those of a build that started long before (synthetic market, all nine tables,
the spring-forward day among the compared days)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ercot_dart.db.engine import make_engine
from ercot_dart.features.asof import AsOfRules, local_day
from ercot_dart.features.pipeline import extract_start, update_features
from ercot_dart.features.store import read_features
from ercot_dart.features.update import REACH_DAYS
from ercot_dart.synth import write_market

FIRST, START, END = date(2024, 1, 20), date(2024, 3, 5), date(2024, 3, 12)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite source holding a synthetic market from ``FIRST`` to ``END`` (4 points, seeded)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('start-history') / 'source.sqlite'}"
    engine = make_engine(url)
    try:
        write_market(engine, FIRST, END, points=4, seed=7)
    finally:
        engine.dispose()
    return url


def build(url: str, root: Path, start: date | None) -> pd.DataFrame:
    update_features(url, root / "stage", root / "features", AsOfRules(), start=start, end=END)
    return read_features(root / "features")


def test_the_first_days_after_start_equal_a_build_started_long_before(
    source: str, tmp_path: Path
) -> None:
    from_start = build(source, tmp_path / "from-start", START)
    everything = build(source, tmp_path / "everything", None)

    days = local_day(from_start["interval_start_utc"]).date
    assert days.min() == START and days.max() == END  # the store keeps to --start..--end
    earlier = everything[local_day(everything["interval_start_utc"]).date >= START]
    assert len(from_start) == len(earlier) > 0
    pd.testing.assert_frame_equal(
        from_start.reset_index(drop=True), earlier.reset_index(drop=True), check_exact=True
    )
    # the history was staged, reaching REACH_DAYS before --start
    staged = sorted((tmp_path / "from-start" / "stage" / "dam_spp").glob("day=*"))
    assert staged[0].name == f"day={extract_start(START)}"
    assert (START - extract_start(START)).days == REACH_DAYS  # type: ignore[operator]


def test_without_start_the_extract_is_not_bounded() -> None:
    assert extract_start(None) is None
