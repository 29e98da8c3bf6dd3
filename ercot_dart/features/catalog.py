"""The feature catalog: every feature, its source and its as-of rule. ``docs/features.md``
is generated from it, and a test checks that the builder produces exactly these features.

"Known at issue" below means: only values published by the row's ``issue_time_utc``
(DAM: 13:30 the day before delivery; real-time and lambda: 5 minutes after the hour; forecasts:
their posting time; actual load: 06:00 the day after), see ``ercot_dart.features.asof``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    name: str
    source: str
    rule: str
    meaning: str


RT = "rtm_spp (else sced_lmp)"
DART = "dam_spp − rtm_spp/sced_lmp"
LAST_KNOWN = "hours whose real-time price is published by the issue time"


def _f(name: str, source: str, rule: str, meaning: str) -> Feature:
    return Feature(name, source, rule, meaning)


FEATURES: tuple[Feature, ...] = (
    _f(
        "dam_lag24h",
        "dam_spp",
        "DAM of the same point 24 h before the delivery hour, if published",
        "$/MWh",
    ),
    _f("dam_lag48h", "dam_spp", "as dam_lag24h, 48 h before", "$/MWh"),
    _f("dam_lag168h", "dam_spp", "as dam_lag24h, one week before", "$/MWh"),
    _f("rt_lag48h", RT, "real-time price 48 h before, if published", "$/MWh"),
    _f("rt_lag168h", RT, "real-time price one week before, if published", "$/MWh"),
    _f("dart_lag48h", DART, "DART 48 h before, if its real-time price is published", "$/MWh"),
    _f("dart_lag168h", DART, "DART one week before, if published", "$/MWh"),
    _f("rt_last_known", RT, "the last hour whose real-time price is published", "$/MWh"),
    _f(
        "rt_from_sced",
        "rtm_spp / sced_lmp",
        "the last known hour's real-time price came from SCED LMPs",
        "0/1",
    ),
    _f(
        "dart_same_hour_latest",
        DART,
        "the same hour on the latest day whose real-time price is published",
        "$/MWh",
    ),
    _f("rt_same_hour_latest", RT, "as dart_same_hour_latest, the real-time price", "$/MWh"),
    _f("dart_same_hour_mean_7d", DART, "mean of the same hour on the 7 latest days known", "$/MWh"),
    _f(
        "dart_same_hour_median_7d",
        DART,
        "median of the same hour on the 7 latest days known (the baseline)",
        "$/MWh",
    ),
    _f(
        "dam_prev_day_mean",
        "dam_spp",
        "the 24 hours before the delivery day starts, if published",
        "$/MWh",
    ),
    _f("dam_prev_day_max", "dam_spp", "as dam_prev_day_mean, the maximum", "$/MWh"),
    _f("dam_prev_day_min", "dam_spp", "as dam_prev_day_mean, the minimum", "$/MWh"),
    *(
        _f(f"dart_{stat}_{days}d", DART, f"{stat} over the last {days * 24} {LAST_KNOWN}", unit)
        for days, stats in (
            (1, ("mean", "std", "min", "max")),
            (7, ("mean", "std", "min", "max", "q10", "q50", "q90")),
            (28, ("mean", "std", "min", "max", "q10", "q50", "q90")),
        )
        for stat in stats
        for unit in ("$/MWh",)
    ),
    *(
        _f(
            f"dart_spikes_{sign}_{days}d",
            DART,
            f"hours with DART {'>' if sign == 'pos' else '<'} {'+' if sign == 'pos' else '−'}$50 over the last {days * 24} {LAST_KNOWN}",
            "count",
        )
        for days in (7, 28)
        for sign in ("pos", "neg")
    ),
    _f("rt_mean_1d", RT, f"mean over the last 24 {LAST_KNOWN}", "$/MWh"),
    _f("rt_std_1d", RT, f"standard deviation over the last 24 {LAST_KNOWN}", "$/MWh"),
    _f("rt_max_1d", RT, f"maximum over the last 24 {LAST_KNOWN}", "$/MWh"),
    _f(
        "hub_dam_lag24h",
        "dam_spp",
        "mean DAM of the trading hubs 24 h before, if published",
        "$/MWh",
    ),
    _f("basis_dam_lag24h", "dam_spp", "dam_lag24h − hub_dam_lag24h", "$/MWh"),
    _f("hub_dart_mean_7d", DART, f"mean hub DART over the last 168 {LAST_KNOWN}", "$/MWh"),
    _f("basis_dart_mean_7d", DART, "dart_mean_7d − hub_dart_mean_7d", "$/MWh"),
    _f("hub_rt_last_known", RT, "mean hub real-time price of the last known hour", "$/MWh"),
    _f("hour_ending", "calendar", "local hour ending of the delivery hour (1..24)", "hour"),
    _f("day_of_week", "calendar", "local delivery day, Monday = 0", "day"),
    _f("month", "calendar", "local delivery month", "month"),
    _f("is_weekend", "calendar", "Saturday or Sunday", "0/1"),
    _f("is_holiday", "calendar", "ERCOT (NERC) holiday, Sunday holidays observed Monday", "0/1"),
    _f(
        "is_repeated_hour", "calendar", "the repeated 02:00 (DSTFlag Y) of the fall-back day", "0/1"
    ),
    _f("is_dst_change_day", "calendar", "a 23- or 25-hour day", "0/1"),
    _f("hour_sin", "calendar", "sine of the local clock hour", "−1..1"),
    _f("hour_cos", "calendar", "cosine of the local clock hour", "−1..1"),
    _f("doy_sin", "calendar", "sine of the day of year", "−1..1"),
    _f("doy_cos", "calendar", "cosine of the day of year", "−1..1"),
    _f("lead_time_hours", "issue time", "delivery hour start − issue time", "hours"),
    _f(
        "point_type",
        "rtm_spp types / name",
        "hub 0, bus/hub average 1, load zone 2, resource node 3, other 4",
        "code",
    ),
    *(
        _f(
            f"load_fc_{zone}",
            "load_forecast (InUseFlag = Y)",
            "latest posting by the issue time covering the hour",
            "MW",
        )
        for zone in (
            "total",
            "coast",
            "east",
            "far_west",
            "north",
            "north_central",
            "south_central",
            "southern",
            "west",
        )
    ),
    _f(
        "wind_fc",
        "wind_power STWPF_SYSTEM_WIDE",
        "latest posting by the issue time covering the hour",
        "MW",
    ),
    _f("wind_cop_hsl", "wind_power COP_HSL_SYSTEM_WIDE", "latest posting by the issue time", "MW"),
    _f("wind_fc_lz_west", "wind_power STWPF_LZ_WEST", "latest posting by the issue time", "MW"),
    _f("wind_fc_lz_north", "wind_power STWPF_LZ_NORTH", "latest posting by the issue time", "MW"),
    _f(
        "wind_fc_lz_south_houston",
        "wind_power STWPF_LZ_SOUTH_HOUSTON",
        "latest posting by the issue time",
        "MW",
    ),
    _f(
        "solar_fc",
        "solar_power STPPF_SYSTEM_WIDE",
        "latest posting by the issue time covering the hour",
        "MW",
    ),
    _f(
        "solar_cop_hsl", "solar_power COP_HSL_SYSTEM_WIDE", "latest posting by the issue time", "MW"
    ),
    _f("net_load_fc", "load / wind / solar forecasts", "load_fc_total − wind_fc − solar_fc", "MW"),
    _f(
        "net_load_fc_ramp",
        "load / wind / solar forecasts",
        "net_load_fc − the same for the hour before, same issue time",
        "MW",
    ),
    _f(
        "renewable_share_fc",
        "load / wind / solar forecasts",
        "(wind_fc + solar_fc) / load_fc_total",
        "ratio",
    ),
    _f(
        "actual_load_mean_1d",
        "actual_load TOTAL",
        "mean of the last 24 hours published by the issue time",
        "MW",
    ),
    _f(
        "load_fc_error_1d",
        "load_forecast, actual_load",
        "mean (day-ahead forecast − actual) over the last 24 hours whose actual is published",
        "MW",
    ),
    _f(
        "load_fc_abs_error_1d",
        "load_forecast, actual_load",
        "as load_fc_error_1d, mean absolute",
        "MW",
    ),
    _f(
        "wind_fc_error_1d",
        "wind_power STWPF, SYSTEM_WIDE_GEN",
        "mean (day-ahead forecast − first posted actual) over the last 24 hours whose actual is posted",
        "MW",
    ),
    _f("wind_fc_abs_error_1d", "wind_power", "as wind_fc_error_1d, mean absolute", "MW"),
    _f(
        "solar_fc_error_1d",
        "solar_power STPPF, SYSTEM_WIDE_GEN",
        "as wind_fc_error_1d for solar",
        "MW",
    ),
    _f("solar_fc_abs_error_1d", "solar_power", "as solar_fc_error_1d, mean absolute", "MW"),
    *(
        _f(
            f"as_{kind}_lag24h",
            f"dam_as_prices {kind.upper()}",
            "clearing price of the same hour the day before, if published",
            "$/MW",
        )
        for kind in ("regup", "regdn", "rrs", "ecrs", "nspin")
    ),
    _f(
        "lambda_mean_1d",
        "sced_system_lambda",
        f"mean of hourly mean lambda over the last 24 {LAST_KNOWN}",
        "$/MWh",
    ),
    _f(
        "lambda_std_1d",
        "sced_system_lambda",
        "standard deviation of the hourly means, same window",
        "$/MWh",
    ),
    _f("lambda_max_1d", "sced_system_lambda", "maximum lambda, same window", "$/MWh"),
    _f(
        "lambda_last_known", "sced_system_lambda", "mean lambda of the last hour published", "$/MWh"
    ),
    _f(
        "lambda_spike_hours_7d",
        "sced_system_lambda",
        "hours with lambda > $100 over the last 168 hours published",
        "count",
    ),
)

NAMES = tuple(f.name for f in FEATURES)


def markdown() -> str:
    """The catalog as a markdown table."""
    lines = ["| feature | source | as of the issue time | unit |", "|---|---|---|---|"]
    lines += [f"| `{f.name}` | {f.source} | {f.rule} | {f.meaning} |" for f in FEATURES]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
