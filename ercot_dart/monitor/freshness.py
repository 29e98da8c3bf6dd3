"""Is each source table as fresh as its publication lag allows, at a given moment?

Checked before features are built, so a stale source stops the run with a clear message
instead of publishing predictions made from old data. The checks, at moment *t* (UTC):

| table | fresh when its latest … is at least |
|---|---|
| sced_lmp, sced_system_lambda | SCED timestamp: *t* − ``realtime_minutes`` |
| rtm_spp | delivery date: the operating day of *t* − 2 h |
| dam_spp, dam_as_prices | delivery date: tomorrow once the DAM is published (13:30 + 30 min), else today |
| load_forecast, wind_power, solar_power | posting time: *t* − ``forecast_hours`` |
| actual_load | operating day: yesterday after 07:00, else the day before |

and two more: no gap longer than ``gap_minutes`` between SCED runs in the 24 hours before *t*,
and no settlement point with a DAM price in the last week missing from the real-time prices of
the last day. A table with no rows at all is ``missing`` (its features are left out, as the
feature build does). Data newer than *t* is fine: a run for a past issue time is a replay.

:func:`evaluate` is pure; :func:`observe` reads the few numbers it needs from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from ercot_dart.db.tables import TABLES
from ercot_dart.ercot.timeconv import CENTRAL
from ercot_dart.ercot.vocab import SourceTable

FRESHNESS_COLUMNS = ["table", "latest_utc", "expected_by_utc", "status", "detail"]
# table -> (column, kind): 'stamp' naive local timestamps, 'day' operating dates
LATEST = {
    "dam_spp": ("DeliveryDate", "day"),
    "rtm_spp": ("DeliveryDate", "day"),
    "sced_lmp": ("SCEDTimestamp", "stamp"),
    "sced_system_lambda": ("SCEDTimeStamp", "stamp"),
    "load_forecast": ("PostedDatetime", "stamp"),
    "actual_load": ("OperDay", "day"),
    "wind_power": ("PostedDatetime", "stamp"),
    "solar_power": ("PostedDatetime", "stamp"),
    "dam_as_prices": ("DeliveryDate", "day"),
}


class StaleSourceError(RuntimeError):
    """A source table is older than its publication lag allows; the message names it.
    ``alerted``: its incident was recorded and alerted (so no failure notice is due)."""

    def __init__(self, message: str, alerted: bool = False) -> None:
        super().__init__(message)
        self.alerted = alerted


@dataclass(frozen=True)
class Limits:
    """How old each kind of source may be (settings ``freshness_*``)."""

    realtime_minutes: int = 30
    forecast_hours: int = 3
    gap_minutes: int = 15


@dataclass
class Observed:
    """What the database holds, read by :func:`observe`."""

    latest: dict[str, datetime | date | None]
    sced_stamps: list[datetime] = field(default_factory=list)
    """SCED timestamps (naive local) of the 24 hours before the moment checked."""
    dam_points: set[str] = field(default_factory=set)
    rt_points: set[str] = field(default_factory=set)


def _utc(local: datetime) -> pd.Timestamp:
    return (
        pd.Timestamp(local)
        .tz_localize(CENTRAL, ambiguous=True, nonexistent="shift_forward")
        .tz_convert("UTC")
    )


def _day_end_utc(day: date) -> pd.Timestamp:
    return _utc(datetime.combine(day + timedelta(days=1), time(0)))


def expected_by(table: str, moment: pd.Timestamp, limits: Limits) -> datetime | date:
    """The oldest latest value of ``table`` that is still fresh at ``moment`` (naive local
    timestamp or operating date, as the table stores it)."""
    local = moment.tz_convert(CENTRAL).tz_localize(None).to_pydatetime()
    today = local.date()
    if table in ("sced_lmp", "sced_system_lambda"):
        return local - timedelta(minutes=limits.realtime_minutes)
    if table == "rtm_spp":
        return (local - timedelta(hours=2)).date()
    if table in ("dam_spp", "dam_as_prices"):
        return today + timedelta(days=1) if local.time() >= time(14, 0) else today
    if table in ("load_forecast", "wind_power", "solar_power"):
        return local - timedelta(hours=limits.forecast_hours)
    if table == "actual_load":
        return today - timedelta(days=1 if local.time() >= time(7, 0) else 2)
    raise ValueError(f"no freshness rule for table {table!r}")


def evaluate(observed: Observed, moment: pd.Timestamp, limits: Limits) -> pd.DataFrame:
    """One row per check (``FRESHNESS_COLUMNS``); ``status`` is ok, stale or missing."""
    moment = pd.Timestamp(moment).tz_convert("UTC")
    rows = []
    for table in LATEST:
        latest = observed.latest.get(table)
        want = expected_by(table, moment, limits)
        want_utc = (
            _utc(want) if isinstance(want, datetime) else _day_end_utc(want) - pd.Timedelta(days=1)
        )
        if latest is None:
            rows.append((table, pd.NaT, want_utc, "missing", "no rows"))
            continue
        latest_utc = (
            _utc(latest)
            if isinstance(latest, datetime)
            else _day_end_utc(latest) - pd.Timedelta(hours=1)
        )
        stale = latest < want
        detail = f"latest {latest}, expected at least {want}" if stale else ""
        rows.append((table, latest_utc, want_utc, "stale" if stale else "ok", detail))
    if observed.latest.get("sced_lmp") is not None:
        rows.append(_gap_check(observed.sced_stamps, moment, limits))
    if observed.dam_points and observed.rt_points:
        gone = sorted(observed.dam_points - observed.rt_points)
        rows.append(
            (
                "settlement points",
                pd.NaT,
                moment,
                "stale" if gone else "ok",
                f"{len(gone)} point(s) with DAM prices have no real-time price in the last day: "
                f"{', '.join(gone[:10])}{' ...' if len(gone) > 10 else ''}"
                if gone
                else "",
            )
        )
    return pd.DataFrame(rows, columns=FRESHNESS_COLUMNS)


def _gap_check(stamps: list[datetime], moment: pd.Timestamp, limits: Limits) -> tuple:
    """The longest gap between SCED runs in the 24 hours before ``moment``."""
    end = moment.tz_convert(CENTRAL).tz_localize(None).to_pydatetime()
    points = sorted({s for s in stamps if end - timedelta(hours=24) <= s <= end})
    if len(points) < 2:
        return ("sced_lmp gaps", pd.NaT, moment, "ok", "")
    gaps = [(b - a, a) for a, b in zip(points, points[1:], strict=False)]
    widest, at = max(gaps)
    if widest > timedelta(minutes=limits.gap_minutes):
        return (
            "sced_lmp gaps",
            _utc(at),
            moment,
            "stale",
            f"no SCED run for {widest} after {at} (local)",
        )
    return ("sced_lmp gaps", pd.NaT, moment, "ok", "")


def problems(report: pd.DataFrame) -> list[str]:
    """The stale checks, one sentence each (missing tables are not problems: their features
    are left out)."""
    stale = report[report["status"] == "stale"]
    return [f"{r.table} is stale: {r.detail}" for r in stale.itertuples()]


def observe(engine: Engine, moment: pd.Timestamp) -> Observed:
    """Read the latest value of each table, the SCED timestamps of the last day and the points
    of the DAM (last week) and of the real-time prices (last day), as of ``moment``."""
    local = pd.Timestamp(moment).tz_convert(CENTRAL).tz_localize(None).to_pydatetime()
    latest: dict[str, datetime | date | None] = {}
    out = Observed(latest)
    with engine.connect() as conn:
        for name, (column, _kind) in LATEST.items():
            table = TABLES[SourceTable(name)]
            try:
                value = conn.execute(select(func.max(table.c[column]))).scalar()
            except Exception:  # the table does not exist: a missing source
                conn.rollback()
                value = None
            if isinstance(value, str):  # SQLite hands back text for a MAX() of dates
                value = pd.Timestamp(value).to_pydatetime()
                if LATEST[name][1] == "day":
                    value = value.date()
            latest[name] = value
        if latest["sced_lmp"] is not None:
            sced = TABLES[SourceTable.SCED_LMP]
            stamps = conn.execute(
                select(sced.c.SCEDTimestamp)
                .where(sced.c.SCEDTimestamp >= local - timedelta(hours=24))
                .where(sced.c.SCEDTimestamp <= local)
                .distinct()
            ).scalars()
            out.sced_stamps = [pd.Timestamp(s).to_pydatetime() for s in stamps]
        dam = TABLES[SourceTable.DAM_SPP]
        if latest["dam_spp"] is not None:
            out.dam_points = set(
                conn.execute(
                    select(dam.c.SettlementPoint)
                    .where(dam.c.DeliveryDate > local.date() - timedelta(days=7))
                    .where(dam.c.DeliveryDate <= local.date())
                    .distinct()
                ).scalars()
            )
        rt_day = (local - timedelta(hours=2)).date()
        if latest["rtm_spp"] is not None:
            rtm = TABLES[SourceTable.RTM_SPP]
            query = select(rtm.c.SettlementPointName).where(rtm.c.DeliveryDate == rt_day)
        elif latest["sced_lmp"] is not None:
            sced = TABLES[SourceTable.SCED_LMP]
            query = (
                select(sced.c.SettlementPoint)
                .where(sced.c.SCEDTimestamp >= local - timedelta(hours=24))
                .where(sced.c.SCEDTimestamp <= local)
            )
        else:
            query = None
        if query is not None:
            out.rt_points = set(conn.execute(query.distinct()).scalars())
    return out
