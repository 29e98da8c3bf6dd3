"""The feature store built from the real 2024 ERCOT data (five hubs): target, DST days,
incremental updates."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from ercot_dart.db.engine import make_engine
from ercot_dart.features.asof import AsOfRules
from ercot_dart.features.catalog import NAMES
from ercot_dart.features.pipeline import update_features
from ercot_dart.features.store import months, read_features

CENTRAL = ZoneInfo("America/Chicago")


@pytest.fixture(scope="module")
def built(real_engine, tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    build = update_features(str(real_engine.url), root / "stage", root / "features", AsOfRules())
    return build, root, read_features(root / "features")


def independent_dart(api_dir: Path, hub: str) -> pd.Series:
    """DAM − hourly mean of the SCED LMPs, from the raw files, with the standard library's
    time zones rather than the project's time layer."""
    dam = pd.read_csv(api_dir / f"da_lmp_{hub}.csv")
    he = dam["hourEnding"].str.slice(0, 2).astype(int)
    start_local = pd.to_datetime(dam["deliveryDate"]) + pd.to_timedelta(he - 1, unit="h")
    dam_utc = [
        pd.Timestamp(t.to_pydatetime().replace(tzinfo=CENTRAL, fold=int(flag))).tz_convert("UTC")
        for t, flag in zip(start_local, dam["DSTFlag"], strict=True)
    ]
    dam_price = pd.Series(dam["settlementPointPrice"].to_numpy(), index=pd.DatetimeIndex(dam_utc))
    sced = pd.read_parquet(api_dir / f"rtm_LMP_{hub}.parquet").drop_duplicates()
    stamps = pd.to_datetime(sced["SCEDTimestamp"])
    utc = [
        pd.Timestamp(t.to_pydatetime().replace(tzinfo=CENTRAL, fold=int(flag))).tz_convert("UTC")
        for t, flag in zip(stamps, sced["repeatHourFlag"], strict=True)
    ]
    rt = (
        pd.Series(sced["LMP"].to_numpy(), index=pd.DatetimeIndex(utc).floor("h"))
        .groupby(level=0)
        .mean()
    )
    return (dam_price - rt).dropna()


def test_dart_is_dam_minus_the_hourly_mean_of_sced(built, real_api_dir):
    _, _, store = built
    hub = (
        store[store["settlement_point"] == "HB_NORTH"]
        .set_index("interval_start_utc")["dart"]
        .dropna()
    )
    expected = independent_dart(real_api_dir, "HB_NORTH")
    common = hub.index.intersection(expected.index)
    assert len(common) > 10_000
    pd.testing.assert_series_equal(
        hub.loc[common], expected.loc[common], check_names=False, check_index_type=False, atol=1e-9
    )
    for day, hours in (("2024-03-10", 23), ("2024-11-03", 25)):
        local_days = hub.index.tz_convert(CENTRAL).strftime("%Y-%m-%d")
        assert (local_days == day).sum() == hours


@pytest.mark.parametrize(
    ("day", "hours"), [("2024-03-10", 23), ("2024-11-03", 25), ("2024-11-04", 24)]
)
def test_dst_days_have_23_and_25_rows_per_point(built, day, hours):
    _, _, store = built
    local = pd.DatetimeIndex(store["interval_start_utc"]).tz_convert(CENTRAL).strftime("%Y-%m-%d")
    counts = store[local == day].groupby("settlement_point").size()
    hubs = counts[
        counts.index.str.startswith("HB_") & ~counts.index.isin(["HB_BUSAVG", "HB_HUBAVG"])
    ]
    assert len(hubs) == 5 and (hubs == hours).all()


def test_store_is_partitioned_by_month_with_the_promised_columns(built):
    build, root, store = built
    assert months(root / "features")[:3] == ["2024-01", "2024-02", "2024-03"]
    assert list(store.columns[:4]) == [
        "settlement_point",
        "interval_start_utc",
        "issue_time_utc",
        "dart",
    ]
    assert str(store["interval_start_utc"].dtype) == "datetime64[ns, UTC]"
    assert len(NAMES) >= 50
    # the real files have no load forecast, AS prices or lambda: their features are left out
    assert set(build.missing_sources) == {
        "rtm_spp",
        "sced_system_lambda",
        "load_forecast",
        "dam_as_prices",
    }
    features = set(store.columns[4:])
    assert features < set(NAMES) and len(features) >= 50
    assert not any(f.startswith(("as_", "lambda_", "load_fc")) for f in features)


def test_the_store_reads_as_a_plain_parquet_dataset(built):
    _, root, store = built
    plain = pd.read_parquet(root / "features")  # what a notebook does first
    assert len(plain) == len(store) and set(plain.columns) == set(store.columns)
    assert "month" in plain.columns  # the calendar feature, not a partition key
    schema = pq.read_schema(next((root / "features").glob("*/part.parquet")))
    assert str(schema.field("settlement_point").type) == "string"  # as contracts.md says


def test_an_older_store_is_read_then_renamed_by_the_next_build(built, real_engine, tmp_path):
    _, root, store = built
    old = tmp_path / "features"
    shutil.copytree(root / "features", old)
    for folder in [f for f in old.iterdir() if not f.name.startswith("_")]:
        folder.rename(old / f"month={folder.name}")  # the layout before 2026-12
    assert months(old) == months(root / "features")
    pd.testing.assert_frame_equal(read_features(old), store)
    update_features(str(real_engine.url), root / "stage", old, AsOfRules())
    assert not list(old.glob("month=*")) and months(old) == months(root / "features")
    assert len(pd.read_parquet(old)) == len(store)


def test_a_second_run_with_nothing_new_does_nothing(built, real_engine):
    _, root, _ = built
    again = update_features(str(real_engine.url), root / "stage", root / "features", AsOfRules())
    assert (again.rows_extracted, again.feature_days, again.hourly_days) == (0, 0, 0)


def test_one_new_day_processes_one_day(real_engine, tmp_path):
    """A database cut at 2024-06-10 is built; then 2024-06-11 arrives: one day is processed."""
    source = Path(real_engine.url.database)
    partial = tmp_path / "partial.sqlite"
    shutil.copy(source, partial)
    engine = make_engine(f"sqlite:///{partial}")
    cut = {
        "dam_spp": "DeliveryDate",
        "sced_lmp": "SCEDTimestamp",
        "actual_load": "OperDay",
        "wind_power": "PostedDatetime",
        "solar_power": "PostedDatetime",
    }
    with engine.begin() as conn:
        for table, col in cut.items():
            conn.execute(sa.text(f'DELETE FROM {table} WHERE "{col}" >= :d'), {"d": "2024-06-11"})
    stage, store = tmp_path / "stage", tmp_path / "features"
    first = update_features(str(engine.url), stage, store, AsOfRules(), end=date(2024, 6, 11))
    assert first.feature_days > 100
    with engine.begin() as conn:
        conn.execute(sa.text("ATTACH DATABASE :p AS full"), {"p": str(source)})
        for table, col in cut.items():
            conn.execute(
                sa.text(
                    f"INSERT INTO main.{table} SELECT * FROM full.{table} "
                    f'WHERE "{col}" >= :lo AND "{col}" < :hi'
                ),
                {"lo": "2024-06-11", "hi": "2024-06-12"},
            )
    second = update_features(str(engine.url), stage, store, AsOfRules(), end=date(2024, 6, 11))
    assert second.days_extracted == len(cut)  # one day of each table that has one
    assert second.feature_days == 1 and second.months == ["2024-06"]
    rows = read_features(store)
    day = pd.DatetimeIndex(rows["interval_start_utc"]).tz_convert(CENTRAL).strftime("%Y-%m-%d")
    assert rows[day == "2024-06-11"]["dart"].notna().sum() == 5 * 24
