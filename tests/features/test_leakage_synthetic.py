"""The leakage test on the synthetic market, which fills all nine tables (load forecasts,
AS prices and system lambda included, which the real 2024 files lack), across both DST days."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from ercot_dart.features.asof import AsOfRules
from ercot_dart.features.build import Sources, build_features, feature_columns, prepare
from ercot_dart.features.catalog import NAMES
from ercot_dart.synth import iter_market_days
from tests.features.test_leakage import changed_before


def synthetic_sources(start: date, end: date, points: int = 8, seed: int = 11) -> Sources:
    frames: dict[str, list[pd.DataFrame]] = {}
    for day in iter_market_days(start, end, points, seed):
        for table, frame in day.frames.items():
            frames.setdefault(str(table), []).append(frame)
    return Sources(**{t: pd.concat(f, ignore_index=True) for t, f in frames.items()})


@pytest.fixture(scope="module")
def autumn() -> Sources:
    return synthetic_sources(date(2024, 9, 20), date(2024, 11, 12))


@pytest.fixture(scope="module")
def spring() -> Sources:
    return synthetic_sources(date(2024, 1, 28), date(2024, 3, 20))


@pytest.mark.parametrize("how", ["scale", "shift"])
@pytest.mark.parametrize("cutoff", ["2024-11-03T07:20Z", "2024-11-02T14:00Z", "2024-10-28T18:40Z"])
def test_no_leak_around_the_fall_back_day(autumn, cutoff, how):
    leaked, after = changed_before(autumn, pd.Timestamp(cutoff), how, AsOfRules())
    assert leaked == 0 and after > 0


@pytest.mark.parametrize("how", ["scale", "shift"])
def test_no_leak_around_the_spring_forward_day(spring, how):
    leaked, after = changed_before(spring, pd.Timestamp("2024-03-10T08:05Z"), how, AsOfRules())
    assert leaked == 0 and after > 0


def test_every_catalog_feature_is_built_when_every_source_is_there(autumn):
    prepared = prepare(autumn)
    assert prepared.missing == []
    rows = prepared.prices.loc[
        prepared.prices["dam_price"].notna(), ["settlement_point", "interval_start_utc"]
    ]
    rows = rows[rows["interval_start_utc"] >= pd.Timestamp("2024-11-01T05:00Z")].reset_index(
        drop=True
    )
    rows["issue_time_utc"] = pd.Timestamp("2024-10-31T14:00Z")
    frame = build_features(prepared, rows, AsOfRules())
    assert feature_columns(frame) == list(NAMES) or set(feature_columns(frame)) == set(NAMES)
    # every feature has values somewhere: none is silently all-missing
    empty = [c for c in NAMES if frame[c].isna().all()]
    assert empty == []
