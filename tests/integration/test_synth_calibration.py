"""The synthetic hubs' price statistics are close to ERCOT's 2024 hubs.

One synthetic year (2024, the five trading hubs, the default seed 7) against ERCOT's 2024
DAM SPPs and SCED LMPs from ``../shared`` (read straight from the Public API files). Both go
through the same statistics: per hub, then averaged over the five hubs.

Why these tolerances. Every statistic here is one draw of one year of a heavy-tailed process:
ERCOT's own 2024 is one such draw. Running the generator over seeds 1, 2, 3 and 7 shows how much
a single year moves (see docs/synthetic-market.md): the medians by about $2, the 5% and 95%
quantiles by $5-20, the means by a third (a hot summer is a different year), the standard
deviations and 99% quantiles by a factor of up to 3 (they are set by a handful of scarcity
hours), the hourly autocorrelations by about 0.15 and the daily ones by 0.3. The tolerances
are those spreads: tight where the statistic is robust (the body of the distributions, the
DART spread's shape and lag-1 memory), loose where one year cannot pin it down (std, 1%/99%
tails, lag-24 autocorrelation). What they rule out is a different market: prices off by a
factor, a thin-tailed DART, no memory, or memory that never decays.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from ercot_dart.db.engine import create_tables, make_engine
from ercot_dart.synth import calibration_report, write_market
from ercot_dart.synth.calibration import (
    compare_statistics,
    load_real_hourly,
    synthetic_hub_hourly,
)

SHARED = Path(__file__).parents[2].parent / "shared"
REAL_DIR = SHARED / "data" / "ercot-real" / "public-api-2024"
SERIES = ("DART", "DAM", "RT")

pytestmark = pytest.mark.skipif(not REAL_DIR.is_dir(), reason=f"{REAL_DIR} not present")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    synthetic = synthetic_hub_hourly(date(2024, 1, 1), date(2024, 12, 31), seed=7)
    return compare_statistics(synthetic, load_real_hourly(REAL_DIR))


def _pair(table: pd.DataFrame, series: str, stat: str) -> tuple[float, float]:
    return table.loc[stat, (series, "synthetic")], table.loc[stat, (series, "real")]


@pytest.mark.parametrize("series", SERIES)
@pytest.mark.parametrize("stat", ["q05", "q50", "q95"])
def test_the_body_of_each_distribution_matches(table, series: str, stat: str) -> None:
    syn, real = _pair(table, series, stat)
    assert abs(syn - real) <= max(7.0, 0.35 * abs(real)), (series, stat, syn, real)


def test_dart_is_centred_like_ercots(table) -> None:
    syn, real = _pair(table, "DART", "mean")
    assert abs(syn - real) <= 3.0
    assert syn > 0  # the day-ahead market carries a premium


@pytest.mark.parametrize("series", ["DAM", "RT"])
def test_price_levels_are_ercots(table, series: str) -> None:
    syn, real = _pair(table, series, "mean")
    assert abs(syn / real - 1) <= 0.4


@pytest.mark.parametrize("series", SERIES)
def test_spreads_and_extreme_tails_are_within_a_factor(table, series: str) -> None:
    syn, real = _pair(table, series, "std")
    assert real / 2.5 <= syn <= real * 2.5
    syn, real = _pair(table, series, "q99")
    assert real / 2 <= syn <= real * 2


def test_dart_is_heavy_tailed_on_both_sides(table) -> None:
    q = {s: table.loc[s, ("DART", "synthetic")] for s in ("q01", "q05", "q95", "q99")}
    real01 = table.loc["q01", ("DART", "real")]
    assert real01 * 2 <= q["q01"] <= real01 / 2
    assert q["q99"] - q["q01"] >= 2.5 * (q["q95"] - q["q05"])


@pytest.mark.parametrize("series", SERIES)
def test_memory_is_like_ercots(table, series: str) -> None:
    syn, real = _pair(table, series, "ac1")
    assert abs(syn - real) <= 0.2
    syn, real = _pair(table, series, "ac24")
    assert abs(syn - real) <= 0.35


@pytest.fixture()
def small_db(tmp_path: Path) -> Engine:
    engine = make_engine("sqlite:///" + str(tmp_path / "cal.sqlite"))
    create_tables(engine)
    write_market(engine, date(2024, 7, 1), date(2024, 7, 7), 5, 7)
    return engine


def test_the_report_sets_the_database_beside_ercot(small_db: Engine) -> None:
    report = calibration_report(small_db, REAL_DIR)
    assert "| statistic | DART synthetic | DART real |" in report
    assert "840 hub-hours" in report  # 7 days x 24 hours x 5 hubs
