"""The synthetic market's day frames: ERCOT's formats, DST, consistency and determinism."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ercot_dart.ercot.timeconv import interval_to_utc, sced_to_utc
from ercot_dart.ercot.vocab import SettlementPointType as SPType
from ercot_dart.ercot.vocab import SourceTable as T
from ercot_dart.synth import MarketParams, PostingParams, iter_market_days
from ercot_dart.synth.points import HUBS, resource_node_names, settlement_points

SPRING = date(2025, 3, 9)
FALL = date(2025, 11, 2)
HOURLY = {
    T.DAM_SPP: ("DeliveryDate", "HourEnding"),
    T.DAM_AS_PRICES: ("DeliveryDate", "HourEnding"),
    T.ACTUAL_LOAD: ("OperDay", "HourEnding"),
}


def _days(start: date, end: date, points: int = 20, seed: int = 7) -> dict[date, dict]:
    return {d.day: d.frames for d in iter_market_days(start, end, points, seed)}


@pytest.fixture(scope="module")
def dst_days() -> dict[date, dict]:
    return _days(SPRING, SPRING) | _days(FALL, FALL)


@pytest.mark.parametrize(("day", "hours"), [(SPRING, 23), (FALL, 25)])
def test_hourly_tables_have_23_or_25_hours_on_dst_days(dst_days, day: date, hours: int) -> None:
    for table, (date_col, hour_col) in HOURLY.items():
        frame = dst_days[day][table]
        keys = frame[[date_col, hour_col, "DSTFlag"]].drop_duplicates()
        assert len(keys) == hours, table


def test_fall_back_day_has_hour_ending_02_twice_flagged_n_then_y(dst_days) -> None:
    frame = dst_days[FALL][T.ACTUAL_LOAD]
    assert list(frame.loc[frame["HourEnding"] == "02:00", "DSTFlag"]) == ["N", "Y"]
    assert "03:00" not in set(dst_days[SPRING][T.ACTUAL_LOAD]["HourEnding"])


@pytest.mark.parametrize(("day", "intervals"), [(SPRING, 92), (FALL, 100)])
def test_rtm_spp_has_92_or_100_intervals_per_point(dst_days, day: date, intervals: int) -> None:
    frame = dst_days[day][T.RTM_SPP]
    per_point = frame.groupby(["SettlementPointName", "SettlementPointType"]).size()
    assert set(per_point) == {intervals}


def test_all_nine_tables_have_rows(dst_days) -> None:
    for table in T:
        assert len(dst_days[SPRING][table]) > 0, table


def test_every_settlement_point_type_is_present(dst_days) -> None:
    types = set(dst_days[SPRING][T.RTM_SPP]["SettlementPointType"])
    assert types == {
        SPType.HUB,
        SPType.BUS_AVERAGE_HUB,
        SPType.HUB_AVERAGE,
        SPType.LOAD_ZONE,
        SPType.LOAD_ZONE_ENERGY_WEIGHTED,
        SPType.RESOURCE_NODE,
    }


def test_each_load_zone_appears_as_lz_and_lzew_with_close_prices(dst_days) -> None:
    frame = dst_days[SPRING][T.RTM_SPP]
    lz = frame[frame["SettlementPointName"].str.startswith("LZ_")]
    wide = lz.pivot_table(
        index=["DeliveryHour", "DeliveryInterval", "SettlementPointName"],
        columns="SettlementPointType",
        values="SettlementPointPrice",
    )
    assert set(wide.columns) == {"LZ", "LZEW"}
    assert (wide["LZ"] - wide["LZEW"]).abs().median() < 0.5


def test_points_are_distinct_names_hubs_first(dst_days) -> None:
    names = set(dst_days[SPRING][T.DAM_SPP]["SettlementPoint"])
    assert len(names) == 20
    assert set(HUBS) <= names


def test_rtm_spp_is_the_time_weighted_mean_of_the_sced_lmps() -> None:
    days = list(iter_market_days(date(2025, 7, 1), date(2025, 7, 2), 5, 3))
    sced = pd.concat([d.frames[T.SCED_LMP] for d in days])
    sced = sced[sced["SettlementPoint"] == "HB_NORTH"]
    rtm = days[1].frames[T.RTM_SPP]
    rtm = rtm[rtm["SettlementPointName"] == "HB_NORTH"].reset_index(drop=True)
    run = sced_to_utc(sced["SCEDTimestamp"], sced["RepeatedHourFlag"] == "Y").to_numpy()
    price = sced["LMP"].to_numpy()
    start = interval_to_utc(
        rtm["DeliveryDate"], rtm["DeliveryHour"], rtm["DeliveryInterval"], rtm["DSTFlag"] == "Y"
    )
    for i in (0, 37, 95):
        t = pd.date_range(start[i], periods=900, freq="s")
        held = price[np.searchsorted(run, t.to_numpy(), side="right") - 1]
        assert rtm.loc[i, "SettlementPointPrice"] == pytest.approx(held.mean(), abs=0.011)


def test_system_lambda_is_capped_and_consistent_with_hub_prices(dst_days) -> None:
    lam = dst_days[FALL][T.SCED_SYSTEM_LAMBDA]
    assert (lam["CappedSystemLambda"] <= lam["UncappedSystemLambda"] + 1e-9).all()
    assert (lam["CappedSystemLambda"] <= 5000).all()
    sced = dst_days[FALL][T.SCED_LMP]
    hubavg = sced[sced["SettlementPoint"] == "HB_HUBAVG"]
    both = lam.merge(
        hubavg,
        left_on=["SCEDTimeStamp", "RepeatedHourFlag"],
        right_on=["SCEDTimestamp", "RepeatedHourFlag"],
    )
    assert len(both) == len(lam)
    assert np.corrcoef(both["LMP"], both["CappedSystemLambda"])[0, 1] > 0.9


def test_load_forecast_has_one_model_in_use_per_posting_and_hour(dst_days) -> None:
    frame = dst_days[FALL][T.LOAD_FORECAST]
    in_use = frame.groupby(["PostedDatetime", "DeliveryDate", "HourEnding", "DSTFlag"])["InUseFlag"]
    assert (in_use.apply(lambda f: (f == "Y").sum()) == 1).all()
    assert frame["Model"].nunique() == 8


def test_postings_follow_the_cadence_and_cover_the_horizon(dst_days) -> None:
    frame = dst_days[SPRING][T.LOAD_FORECAST]
    posted = sorted(set(frame["PostedDatetime"]))
    assert [p.hour for p in posted] == [5, 11, 17, 23]
    per_posting = frame[frame["Model"] == "E1"].groupby("PostedDatetime").size()
    assert set(per_posting) == {168}


def test_wind_postings_carry_actuals_for_past_hours_only(dst_days) -> None:
    frame = dst_days[SPRING][T.WIND_POWER]
    one = frame[frame["PostedDatetime"] == frame["PostedDatetime"].min()]
    assert len(one) == 48 + 168
    gen = one["SYSTEM_WIDE_GEN"].notna().to_numpy()
    assert gen[:48].all() and not gen[49:].any()
    assert one["STWPF_SYSTEM_WIDE"].notna().all()
    assert (one["WGRPP_SYSTEM_WIDE"] <= one["STWPF_SYSTEM_WIDE"] + 0.1).all()


def test_solar_is_zero_at_night(dst_days) -> None:
    frame = dst_days[FALL][T.SOLAR_POWER]
    night = frame[frame["HOUR_ENDING"].isin([1, 2, 3, 23, 24])]
    assert (night["STPPF_SYSTEM_WIDE"] == 0).all()


def test_same_seed_same_frames_and_another_seed_other_prices() -> None:
    a = _days(date(2025, 1, 5), date(2025, 1, 6), 18, 11)
    b = _days(date(2025, 1, 5), date(2025, 1, 6), 18, 11)
    c = _days(date(2025, 1, 5), date(2025, 1, 6), 18, 12)
    for day in a:
        for table in T:
            pd.testing.assert_frame_equal(a[day][table], b[day][table])
    assert not a[date(2025, 1, 6)][T.SCED_LMP].equals(c[date(2025, 1, 6)][T.SCED_LMP])


def test_hub_prices_do_not_depend_on_the_number_of_points() -> None:
    few = _days(date(2025, 2, 1), date(2025, 2, 2), 5, 4)
    many = _days(date(2025, 2, 1), date(2025, 2, 2), 40, 4)
    for day in few:
        small = few[day][T.DAM_SPP]
        large = many[day][T.DAM_SPP]
        large = large[large["SettlementPoint"].isin(HUBS)].reset_index(drop=True)
        pd.testing.assert_frame_equal(small, large)


def test_resource_node_names_are_deterministic_and_prefix_stable() -> None:
    assert resource_node_names(30)[:10] == resource_node_names(10)
    names = settlement_points(1000).names
    assert len(set(names)) == 1000
    assert all(n.replace("_", "").isalnum() and n.upper() == n for n in names)


def test_a_cadence_that_leaves_no_posting_before_the_dam_fails_fast() -> None:
    with pytest.raises(ValueError, match="cadence"):
        MarketParams(posting=PostingParams(cadence_hours=12))


def test_an_end_before_the_start_is_refused() -> None:
    with pytest.raises(ValueError, match="inclusive"):
        next(iter_market_days(date(2025, 1, 2), date(2025, 1, 1), 5, 1))
