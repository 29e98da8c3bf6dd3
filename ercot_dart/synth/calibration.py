"""Calibration: the synthetic hubs' hourly DAM, real-time and DART statistics next to ERCOT's.

Both sides are reduced to the same thing: per hub and UTC hour start, the DAM price and the
hourly real-time price, DART = DAM - RT. Real: the Public API files of 2024 (DAM SPP; RT = mean
of the SCED LMPs whose run time falls in the hour). Synthetic: a source database (dam_spp; RT =
mean of the hour's four rtm_spp prices). Each statistic is computed per hub, then averaged over
the hubs with equal weight (quantiles too: the mean of the hubs' quantiles, not a pooled one).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, func, select

from ercot_dart.db.tables import dam_spp, rtm_spp
from ercot_dart.ercot.timeconv import hour_ending_to_utc, sced_to_utc
from ercot_dart.ercot.values import parse_dates, parse_flag, parse_hour_ending, parse_timestamps
from ercot_dart.ercot.vocab import SettlementPointType as SPType
from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.synth.market import iter_market_days
from ercot_dart.synth.params import MarketParams
from ercot_dart.synth.points import HUBS

QUANTILES = (0.01, 0.05, 0.50, 0.95, 0.99)
STATISTICS = ("mean", "std", "q01", "q05", "q50", "q95", "q99", "ac1", "ac24")
SERIES = ("DART", "DAM", "RT")
REAL_YEAR = (date(2024, 1, 1), date(2024, 12, 31))
_TWINS = (SPType.LOAD_ZONE_ENERGY_WEIGHTED, SPType.LOAD_ZONE_DC_ENERGY_WEIGHTED)


def join_native(dam: pd.DataFrame, rt: pd.DataFrame) -> pd.DataFrame:
    """Join DAM and hourly RT on ERCOT's native keys, then convert to UTC hour starts.

    Args:
        dam: columns ``date``, ``hour`` (int hour ending), ``flag`` (bool), ``point``, ``dam``.
        rt: the same keys and ``rt``.

    Returns:
        Columns ``point``, ``utc``, ``dam``, ``rt``, sorted by point and time.
    """
    both = dam.merge(rt, on=["date", "hour", "flag", "point"], how="inner")
    both["utc"] = hour_ending_to_utc(
        both["date"].reset_index(drop=True),
        both["hour"].reset_index(drop=True),
        both["flag"].reset_index(drop=True),
    ).to_numpy()
    both = both.dropna(subset=["utc"])
    return both[["point", "utc", "dam", "rt"]].sort_values(["point", "utc"], ignore_index=True)


def hourly_from_frames(
    dam_frame: pd.DataFrame, rtm_frame: pd.DataFrame, points: tuple[str, ...] = HUBS
) -> pd.DataFrame:
    """Hourly DAM and RT of ``points`` from dam_spp and rtm_spp rows (canonical formats)."""
    dam = dam_frame.loc[dam_frame["SettlementPoint"].isin(points)]
    dam = pd.DataFrame(
        {
            "date": parse_dates(dam["DeliveryDate"]),
            "hour": parse_hour_ending(dam["HourEnding"]),
            "flag": parse_flag(dam["DSTFlag"]),
            "point": dam["SettlementPoint"].to_numpy(object),
            "dam": dam["SettlementPointPrice"].to_numpy(),
        }
    )
    rt = rtm_frame.loc[
        rtm_frame["SettlementPointName"].isin(points)
        & ~rtm_frame["SettlementPointType"].isin([str(t) for t in _TWINS])
    ]
    rt = (
        rt.groupby(["DeliveryDate", "DeliveryHour", "DSTFlag", "SettlementPointName"])[
            "SettlementPointPrice"
        ]
        .mean()
        .reset_index()
    )
    rt = pd.DataFrame(
        {
            "date": parse_dates(rt["DeliveryDate"]),
            "hour": rt["DeliveryHour"].astype("int64"),
            "flag": parse_flag(rt["DSTFlag"]),
            "point": rt["SettlementPointName"].to_numpy(object),
            "rt": rt["SettlementPointPrice"].to_numpy(),
        }
    )
    return join_native(dam, rt)


def load_synthetic_hourly(engine: Engine, points: tuple[str, ...] = HUBS) -> pd.DataFrame:
    """Hourly DAM and RT of ``points`` from a source database (dam_spp, rtm_spp)."""
    dam_q = select(dam_spp).where(dam_spp.c.SettlementPoint.in_(points))
    c = rtm_spp.c
    rt_q = (
        select(
            c.DeliveryDate,
            c.DeliveryHour,
            c.DSTFlag,
            c.SettlementPointName,
            c.SettlementPointType,
            func.avg(c.SettlementPointPrice).label("SettlementPointPrice"),
        )
        .where(
            c.SettlementPointName.in_(points),
            c.SettlementPointType.not_in([str(t) for t in _TWINS]),
        )
        .group_by(
            c.DeliveryDate, c.DeliveryHour, c.DSTFlag, c.SettlementPointName, c.SettlementPointType
        )
    )
    with engine.connect() as conn:
        dam = pd.DataFrame(conn.execute(dam_q).mappings().all())
        rt = pd.DataFrame(conn.execute(rt_q).mappings().all())
    if dam.empty or rt.empty:
        raise ValueError(
            f"no dam_spp/rtm_spp rows for {', '.join(points)}: run `ercot-dart synth` first"
        )
    return hourly_from_frames(dam, rt, points)


def synthetic_hub_hourly(
    start: date, end: date, seed: int, params: MarketParams | None = None
) -> pd.DataFrame:
    """Hourly DAM and RT of the five hubs straight from the generator (no database)."""
    dam, rtm = [], []
    for market_day in iter_market_days(start, end, len(HUBS), seed, params):
        dam.append(market_day.frames[SourceTable.DAM_SPP])
        rtm.append(market_day.frames[SourceTable.RTM_SPP])
    return hourly_from_frames(pd.concat(dam, ignore_index=True), pd.concat(rtm, ignore_index=True))


def load_real_hourly(real_dir: Path, period: tuple[date, date] = REAL_YEAR) -> pd.DataFrame:
    """Hourly DAM and RT of the five hubs from ERCOT Public API files (``da_lmp_HB_*.csv``,
    ``rtm_LMP_HB_*.parquet``), delivery dates within ``period`` (inclusive)."""
    parts = []
    for hub in HUBS:
        raw = pd.read_csv(Path(real_dir) / f"da_lmp_{hub}.csv")
        dam = pd.DataFrame(
            {
                "date": parse_dates(raw["deliveryDate"]),
                "hour": parse_hour_ending(raw["hourEnding"]),
                "flag": parse_flag(raw["DSTFlag"]),
                "point": hub,
                "dam": raw["settlementPointPrice"].to_numpy(float),
            }
        )
        dam["utc"] = hour_ending_to_utc(dam["date"], dam["hour"], dam["flag"]).to_numpy()
        in_period = (dam["date"] >= pd.Timestamp(period[0])) & (
            dam["date"] <= pd.Timestamp(period[1])
        )
        sced = pd.read_parquet(Path(real_dir) / f"rtm_LMP_{hub}.parquet")
        utc = sced_to_utc(
            parse_timestamps(sced["SCEDTimestamp"]), parse_flag(sced["repeatHourFlag"])
        )
        rt = (
            pd.DataFrame({"utc": utc.dt.floor("h").to_numpy(), "rt": sced["LMP"].to_numpy(float)})
            .groupby("utc")["rt"]
            .mean()
            .reset_index()
        )
        parts.append(dam.loc[in_period, ["point", "utc", "dam"]].merge(rt, on="utc", how="inner"))
    return pd.concat(parts, ignore_index=True).sort_values(["point", "utc"], ignore_index=True)


def _autocorrelation(values: pd.Series, lag_hours: int) -> float:
    """Pearson correlation of the series with itself ``lag_hours`` earlier (UTC hours)."""
    full = values.reindex(pd.date_range(values.index.min(), values.index.max(), freq="h"))
    return float(full.corr(full.shift(lag_hours)))


def _point_statistics(values: pd.Series) -> dict[str, float]:
    q = values.quantile(list(QUANTILES)).to_numpy()
    return {
        "mean": float(values.mean()),
        "std": float(values.std()),
        **{f"q{round(level * 100):02d}": float(v) for level, v in zip(QUANTILES, q, strict=True)},
        "ac1": _autocorrelation(values, 1),
        "ac24": _autocorrelation(values, 24),
    }


def price_statistics(hourly: pd.DataFrame) -> pd.DataFrame:
    """Statistics (columns :data:`STATISTICS`) of DART, DAM and RT (rows), per point then
    averaged over points with equal weight. ``hourly``: columns point, utc, dam, rt."""
    frame = hourly.assign(dart=hourly["dam"] - hourly["rt"])
    rows = {}
    for series, column in zip(SERIES, ("dart", "dam", "rt"), strict=True):
        per_point = [
            _point_statistics(group.set_index("utc")[column]) for _, group in frame.groupby("point")
        ]
        rows[series] = pd.DataFrame(per_point).mean()
    return pd.DataFrame(rows).T[list(STATISTICS)]


def compare_statistics(synthetic: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """Side by side: rows statistic, columns (series, ``synthetic``/``real``)."""
    s, r = price_statistics(synthetic), price_statistics(real)
    columns = pd.MultiIndex.from_product([SERIES, ("synthetic", "real")])
    table = pd.DataFrame(index=list(STATISTICS), columns=columns, dtype=float)
    for series in SERIES:
        table[(series, "synthetic")] = s.loc[series]
        table[(series, "real")] = r.loc[series]
    return table


def render_comparison(table: pd.DataFrame) -> str:
    """The comparison as a Markdown table ($/MWh; autocorrelations unitless)."""
    header = ["statistic", *(f"{series} {source}" for series, source in table.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for stat, row in table.iterrows():
        digits = 2 if str(stat).startswith("ac") else 1
        lines.append("| " + " | ".join([str(stat), *(f"{v:.{digits}f}" for v in row)]) + " |")
    return "\n".join(lines)


def calibration_report(synthetic_engine: Engine, real_dir: Path | str) -> str:
    """Markdown report: synthetic hub statistics (from the database) next to ERCOT 2024."""
    synthetic = load_synthetic_hourly(synthetic_engine)
    real = load_real_hourly(Path(real_dir))
    span = f"{synthetic['utc'].min():%Y-%m-%d} to {synthetic['utc'].max():%Y-%m-%d}"
    notes = [
        f"Hourly prices of {', '.join(HUBS)} ($/MWh). Synthetic: {len(synthetic):,} hub-hours, "
        f"{span} (UTC). Real: ERCOT {REAL_YEAR[0].year}, {len(real):,} hub-hours.",
        "Each statistic is computed per hub, then averaged over the hubs; acN is the lag-N-hour "
        "autocorrelation.",
        "",
    ]
    return "\n".join(notes) + render_comparison(compare_statistics(synthetic, real)) + "\n"


__all__ = [
    "calibration_report",
    "compare_statistics",
    "hourly_from_frames",
    "load_real_hourly",
    "load_synthetic_hourly",
    "price_statistics",
    "render_comparison",
    "synthetic_hub_hourly",
]
