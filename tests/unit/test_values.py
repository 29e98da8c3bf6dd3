"""ERCOT value formats: every spelling the spec lists is read, anything else is named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ercot_dart.ercot.values import (
    ValueFormatError,
    format_flag,
    format_hour_ending,
    parse_dates,
    parse_flag,
    parse_hour_ending,
    parse_int,
    parse_number,
    parse_timestamps,
)

MIS = Path(__file__).resolve().parents[1] / "fixtures" / "mis"


def read_mis(name: str) -> pd.DataFrame:
    """A real MIS sample with every cell as the text ERCOT wrote (no stripping, no typing)."""
    return pd.read_csv(MIS / name, dtype=str, keep_default_na=False)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# --- dates -------------------------------------------------------------------------------


def test_dates_in_mis_format_mm_dd_yyyy():
    assert parse_dates(pd.Series(["09/29/2026", "03/10/2024"])).tolist() == [
        ts("2026-09-29"),
        ts("2024-03-10"),
    ]


def test_dates_in_public_api_format_yyyy_mm_dd():
    assert parse_dates(pd.Series(["2024-11-03"])).tolist() == [ts("2024-11-03")]


def test_dates_of_both_formats_in_one_column():
    out = parse_dates(pd.Series(["2024-11-03", "11/04/2024"]))
    assert out.tolist() == [ts("2024-11-03"), ts("2024-11-04")]


def test_dates_as_sql_date_objects():
    values = pd.Series([dt.date(2024, 3, 10), dt.date(2024, 11, 3)], dtype=object)
    assert parse_dates(values).tolist() == [ts("2024-03-10"), ts("2024-11-03")]


def test_dates_as_datetime64_are_kept_at_midnight():
    values = pd.Series(pd.to_datetime(["2024-03-10 00:00", "2024-11-03 13:00"]))
    assert parse_dates(values).tolist() == [ts("2024-03-10"), ts("2024-11-03")]


def test_dates_carrying_a_time_of_day_give_their_date():
    out = parse_dates(pd.Series(["2024-03-10T00:00:00", "2024-03-10 00:00:00.000000"]))
    assert out.tolist() == [ts("2024-03-10")] * 2


def test_dates_with_surrounding_spaces():
    assert parse_dates(pd.Series([" 09/29/2026 "])).tolist() == [ts("2026-09-29")]


def test_dates_timezone_aware_are_read_in_central_time():
    # 03:00Z on 4 Nov is 21:00 CST on 3 Nov: the local date, not the UTC one
    values = pd.Series(pd.to_datetime(["2024-11-04 03:00"]).tz_localize("UTC"))
    assert parse_dates(values).tolist() == [ts("2024-11-03")]


def test_dates_result_is_naive_nanosecond_datetime():
    assert parse_dates(pd.Series(["2024-03-10"])).dtype == np.dtype("datetime64[ns]")


@pytest.mark.parametrize("bad", ["03/10/24", "1:00", "01:00", "2024", "Mar 10 2024", "2024-02-30"])
def test_dates_reject_what_is_no_ercot_date(bad):
    with pytest.raises(ValueFormatError) as err:
        parse_dates(pd.Series(["2024-03-10", bad]))
    assert (err.value.position, err.value.value) == (1, bad)


def test_dates_reject_a_missing_value_naming_its_position():
    with pytest.raises(ValueFormatError) as err:
        parse_dates(pd.Series(["2024-03-10", "2024-03-11", None]))
    assert err.value.position == 2


def test_date_error_names_value_and_expected_format():
    with pytest.raises(ValueFormatError, match=r"'13/45/2024' is not a date \(MM/DD/YYYY"):
        parse_dates(pd.Series(["13/45/2024"]))


def test_date_error_position_is_the_row_not_the_index_label():
    values = pd.Series(["2024-03-10", "x"], index=[100, 200])
    with pytest.raises(ValueFormatError) as err:
        parse_dates(values)
    assert err.value.position == 1


# --- hour ending -------------------------------------------------------------------------


def test_hour_ending_with_leading_zero():
    assert parse_hour_ending(pd.Series(["01:00", "09:00", "24:00"])).tolist() == [1, 9, 24]


def test_hour_ending_without_leading_zero():
    assert parse_hour_ending(pd.Series(["1:00", "9:00", "24:00"])).tolist() == [1, 9, 24]


def test_hour_ending_as_integers():
    assert parse_hour_ending(pd.Series([1, 12, 24])).tolist() == [1, 12, 24]


def test_hour_ending_as_integer_text_and_padded():
    assert parse_hour_ending(pd.Series(["11", " 7:00", "12 "])).tolist() == [11, 7, 12]


def test_hour_ending_as_whole_floats():
    assert parse_hour_ending(pd.Series([1.0, 24.0])).tolist() == [1, 24]


def test_hour_ending_25_is_read_for_the_dst_repair():
    assert parse_hour_ending(pd.Series(["25", 25]).astype(object)).tolist() == [25, 25]


def test_hour_ending_result_is_int64():
    assert parse_hour_ending(pd.Series(["01:00"])).dtype == np.dtype("int64")


@pytest.mark.parametrize("bad", ["00:00", "0", "26", "01:30", "1:00:00", "HB_HOUSTON", "", "-1"])
def test_hour_ending_rejects_what_names_no_hour(bad):
    with pytest.raises(ValueFormatError) as err:
        parse_hour_ending(pd.Series(["01:00", bad]))
    assert (err.value.position, err.value.value) == (1, bad)


def test_hour_ending_rejects_a_fractional_number():
    with pytest.raises(ValueFormatError) as err:
        parse_hour_ending(pd.Series([1.0, 2.5]))
    assert (err.value.position, err.value.value) == (1, 2.5)


def test_hour_ending_rejects_a_missing_value():
    with pytest.raises(ValueFormatError) as err:
        parse_hour_ending(pd.Series([3.0, np.nan]))
    assert err.value.position == 1


def test_hour_ending_formats_and_parses_back_for_seeded_hours():
    hours = pd.Series(np.random.default_rng(11).integers(1, 25, size=500))
    text = format_hour_ending(hours)
    assert text.str.fullmatch(r"\d\d:00").all()
    assert parse_hour_ending(text).tolist() == hours.tolist()


def test_format_hour_ending_pads_to_two_digits():
    assert format_hour_ending(pd.Series([1, 24])).tolist() == ["01:00", "24:00"]


# --- intervals and other integers --------------------------------------------------------


def test_interval_1_to_4_text_and_padded():
    assert parse_int(pd.Series(["1", " 2", "3 ", "4"]), 1, 4, "an interval").tolist() == [
        1,
        2,
        3,
        4,
    ]


def test_interval_as_integers():
    assert parse_int(pd.Series([4, 1]), 1, 4, "an interval").tolist() == [4, 1]


@pytest.mark.parametrize("bad", ["0", "5", "1.5", "", "x"])
def test_interval_outside_1_to_4_is_rejected_naming_the_expectation(bad):
    with pytest.raises(ValueFormatError, match="a 15-minute interval") as err:
        parse_int(pd.Series(["1", bad]), 1, 4, "a 15-minute interval")
    assert (err.value.position, err.value.value, err.value.expected) == (
        1,
        bad,
        "a 15-minute interval",
    )


# --- SCED and posting timestamps ---------------------------------------------------------


def test_timestamps_in_mis_format():
    out = parse_timestamps(pd.Series(["06/25/2026 00:40:18"]))
    assert out.tolist() == [ts("2026-06-25 00:40:18")]


def test_timestamps_in_public_api_iso_format():
    out = parse_timestamps(pd.Series(["2024-11-03T01:05:12"]))
    assert out.tolist() == [ts("2024-11-03 01:05:12")]


def test_timestamps_as_sqlite_stores_them():
    out = parse_timestamps(pd.Series(["2024-11-03 01:05:12.000000", "2024-11-03 01:05:12"]))
    assert out.tolist() == [ts("2024-11-03 01:05:12")] * 2


def test_timestamps_to_the_minute_as_the_load_archive_writes_them():
    assert parse_timestamps(pd.Series(["11/03/2024 02:00"])).tolist() == [ts("2024-11-03 02:00")]


def test_timestamps_as_datetime_objects():
    values = pd.Series([dt.datetime(2024, 11, 3, 1, 5, 12)], dtype=object)
    assert parse_timestamps(values).tolist() == [ts("2024-11-03 01:05:12")]


def test_timestamps_timezone_aware_are_converted_to_central_wall_clock():
    values = pd.Series(pd.to_datetime(["2024-11-03 07:05:12"]).tz_localize("UTC"))
    assert parse_timestamps(values).tolist() == [ts("2024-11-03 01:05:12")]


def test_timestamps_keep_seconds_of_each_sced_run():
    out = parse_timestamps(pd.Series(["2024-03-10T01:55:20", "2024-03-10T03:00:24"]))
    assert out.diff().iloc[1] == pd.Timedelta("1h5min4s")


@pytest.mark.parametrize(
    "bad",
    ["1:00", "2024", "2024-11-03T01:05:12Z", "2024-11-03T01:05:12-05:00", "25/11/2024 01:00:00"],
)
def test_timestamps_reject_what_is_no_local_ercot_timestamp(bad):
    with pytest.raises(ValueFormatError) as err:
        parse_timestamps(pd.Series(["2024-11-03T01:05:12", bad]))
    assert (err.value.position, err.value.value) == (1, bad)
    assert "timestamp" in str(err.value)


# --- flags -------------------------------------------------------------------------------


def test_flags_y_and_n():
    assert parse_flag(pd.Series(["Y", "N", "N"])).tolist() == [True, False, False]


def test_flags_in_any_case_and_padded():
    assert parse_flag(pd.Series([" y", "n ", "YES", "no"])).tolist() == [True, False, True, False]


def test_flags_as_booleans_from_the_public_api():
    assert parse_flag(pd.Series([True, False])).tolist() == [True, False]


def test_flags_as_boolean_text_from_a_csv():
    assert parse_flag(pd.Series(["True", "False", "TRUE"])).tolist() == [True, False, True]


def test_flags_missing_mean_n():
    assert parse_flag(pd.Series(["Y", None, ""], dtype=object)).tolist() == [True, False, False]


def test_flags_nullable_boolean_missing_means_n():
    assert parse_flag(pd.Series([True, None], dtype="boolean")).tolist() == [True, False]


def test_flags_result_is_bool():
    assert parse_flag(pd.Series(["Y"])).dtype == np.dtype(bool)


def test_flags_reject_other_letters_naming_position_and_value():
    with pytest.raises(ValueFormatError, match=r"'X' is not a flag") as err:
        parse_flag(pd.Series(["N", "N", "X"]))
    assert (err.value.position, err.value.value) == (2, "X")


def test_format_flag_writes_y_and_n():
    assert format_flag(pd.Series([True, False])).tolist() == ["Y", "N"]


# --- numbers -----------------------------------------------------------------------------


def test_numbers_with_leading_spaces_as_mis_writes_prices():
    out = parse_number(pd.Series([" 27.36", "       27.15", "29"]))
    assert out.tolist() == [27.36, 27.15, 29.0]


def test_numbers_negative_and_scientific():
    assert parse_number(pd.Series(["-12.5", " 1e3"])).tolist() == [-12.5, 1000.0]


def test_numbers_already_numeric_pass_through():
    assert parse_number(pd.Series([1, 2])).tolist() == [1.0, 2.0]


def test_numbers_blank_are_missing_when_nullable():
    out = parse_number(pd.Series(["1.5", "", "  ", None], dtype=object))
    assert out.iloc[0] == 1.5 and out.iloc[1:].isna().all()


def test_numbers_blank_are_rejected_when_required():
    with pytest.raises(ValueFormatError, match=r"a number \(required\)") as err:
        parse_number(pd.Series(["1.5", ""]), nullable=False)
    assert (err.value.position, err.value.value) == (1, "")


def test_numbers_missing_numeric_rejected_when_required():
    with pytest.raises(ValueFormatError) as err:
        parse_number(pd.Series([1.0, np.nan]), nullable=False)
    assert err.value.position == 1


@pytest.mark.parametrize("bad", ["abc", "1,234", "inf", "N"])
def test_numbers_reject_text_that_is_no_number(bad):
    with pytest.raises(ValueFormatError) as err:
        parse_number(pd.Series(["1", bad]))
    assert (err.value.position, err.value.value) == (1, bad)


def test_numbers_reject_booleans():
    with pytest.raises(ValueFormatError):
        parse_number(pd.Series([True, False]))


def test_numbers_from_seeded_prices_round_trip_through_padded_text():
    prices = np.round(np.random.default_rng(3).normal(30, 25, size=300), 2)
    text = pd.Series([f"{p:>12.2f}" for p in prices])  # right-aligned, as SCED LMPs are
    assert np.allclose(parse_number(text).to_numpy(), prices)


# --- the error itself --------------------------------------------------------------------


def test_value_format_error_is_a_value_error_with_its_parts():
    err = ValueFormatError(4, "24:30", "an hour ending")
    assert isinstance(err, ValueError)
    assert (err.position, err.value, err.expected) == (4, "24:30", "an hour ending")
    assert str(err) == "'24:30' is not an hour ending"


# --- the real MIS samples, byte for byte -------------------------------------------------


def test_real_dam_prices_with_leading_space_and_zero_padded_hour_ending():
    frame = read_mis("np4-190-cd.csv")
    assert frame["SettlementPointPrice"].str.startswith(" ").any()
    assert parse_number(frame["SettlementPointPrice"], nullable=False).notna().all()
    assert frame["HourEnding"].str.fullmatch(r"0\d:00").all()
    assert set(parse_hour_ending(frame["HourEnding"])) == {1, 2}
    assert parse_dates(frame["DeliveryDate"]).eq(ts("2026-09-29")).all()
    assert not parse_flag(frame["DSTFlag"]).any()


def test_real_load_forecast_hour_ending_without_leading_zero():
    frame = read_mis("np3-565-cd.csv")
    assert frame["HourEnding"].str.match(r"^\d:00$").any()
    assert parse_hour_ending(frame["HourEnding"]).between(1, 24).all()
    assert parse_flag(frame["InUseFlag"]).sum() >= 1


def test_real_wind_hour_ending_is_an_integer():
    frame = read_mis("np4-732-cd.csv")
    assert frame["HOUR_ENDING"].str.fullmatch(r"\d{1,2}").all()
    assert parse_hour_ending(frame["HOUR_ENDING"]).tolist() == [11, 12]


def test_real_rtm_delivery_hour_and_interval():
    frame = read_mis("np6-905-cd.csv")
    assert parse_hour_ending(frame["DeliveryHour"]).between(1, 24).all()
    assert parse_int(frame["DeliveryInterval"], 1, 4, "an interval").between(1, 4).all()


def test_real_sced_timestamps_and_space_padded_lmps():
    frame = read_mis("np6-788-cd.csv")
    assert frame["LMP"].str.startswith("       ").all()
    stamps = parse_timestamps(frame["SCEDTimestamp"])
    assert stamps.eq(ts("2026-09-29 11:25:17")).all()
    assert parse_number(frame["LMP"], nullable=False).notna().all()
    assert not parse_flag(frame["RepeatedHourFlag"]).any()


def test_real_actual_load_and_ancillary_prices_parse():
    load = read_mis("np6-345-cd.csv")
    assert parse_dates(load["OperDay"]).eq(ts("2026-09-28")).all()
    assert parse_number(load["TOTAL"]).gt(0).all()
    prices = read_mis("np4-188-cd.csv")
    assert parse_number(prices["MCPC"], nullable=False).ge(0).all()
