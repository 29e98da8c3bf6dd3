"""The synthetic market, one operating day at a time (pure: frames in, nothing written).

For each day D the generator (1) simulates the drivers up to D + 8, (2) posts the day's load,
wind and solar forecasts, (3) runs SCED and settles the 15-minute prices, (4) clears the DAM
for D from the posting made before the cutoff on D - 1, and yields the day's rows of all nine
tables. State (AR processes, regimes, the last SCED prices) is carried from day to day; nothing
older than three days is kept, so memory does not grow with the length of the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.synth import frames
from ercot_dart.synth.clock import Posting, day_clock, posting_times
from ercot_dart.synth.dayahead import dam_posting, dayahead_day
from ercot_dart.synth.forecasts import posting_forecast
from ercot_dart.synth.params import MarketParams
from ercot_dart.synth.points import settlement_points
from ercot_dart.synth.realtime import RealTimeState, realtime_day
from ercot_dart.synth.rng import Stream, stream
from ercot_dart.synth.truth import TruthBuffer

LOOK_BACK_DAYS = 3
LOOK_AHEAD_DAYS = 8
_POSTED_MINUTE = 55


@dataclass(frozen=True)
class MarketDay:
    """The rows of one operating day for each of the nine tables."""

    day: date
    frames: dict[SourceTable, pd.DataFrame]

    def rows(self) -> dict[str, int]:
        """Rows per table."""
        return {str(t): len(f) for t, f in self.frames.items()}


def postings(day: date, seed: int, cadence_hours: int) -> list[Posting]:
    """The forecast postings of ``day`` (the same times for load, wind and solar)."""
    seconds = stream(seed, Stream.POSTING_TIME, day.toordinal()).integers(0, 60, 24)
    return posting_times(day, cadence_hours, _POSTED_MINUTE, seconds)


def _check(start: date, end: date, points: int, seed: int) -> None:
    if end < start:
        raise ValueError(f"end {end} is before start {start}: the end date is inclusive")
    if points < 1:
        raise ValueError(f"points={points}: need at least 1 settlement point")
    if seed < 0:
        raise ValueError(f"seed={seed}: use a non-negative integer")


def iter_market_days(
    start: date,
    end: date,
    points: int,
    seed: int,
    params: MarketParams | None = None,
) -> Iterator[MarketDay]:
    """Yield the synthetic market day by day, ``start`` to ``end`` inclusive.

    Args:
        start: first operating day.
        end: last operating day (inclusive).
        points: number of distinct settlement point names (hubs, hub averages, load zones,
            then resource nodes).
        seed: seed of every random stream; the same arguments give the same frames.
        params: market parameters; the calibrated defaults when None.
    """
    _check(start, end, points, seed)
    params = params or MarketParams()
    post = params.posting
    pts = settlement_points(points)
    truth = TruthBuffer(start - timedelta(days=LOOK_BACK_DAYS), seed, params)
    rt_state = RealTimeState.initial(pts.n_nodes)
    day = start
    while day <= end:
        truth.extend_to(day + timedelta(days=LOOK_AHEAD_DAYS))
        clock = day_clock(day)
        out: dict[SourceTable, list[frames.Columns]] = {t: [] for t in SourceTable}
        for posting in postings(day, seed, post.cadence_hours):
            forecast = posting_forecast(truth, posting, seed, post, params.renewables)
            out[SourceTable.LOAD_FORECAST].append(
                frames.load_forecast(forecast, post.horizon_hours)
            )
            out[SourceTable.WIND_POWER].append(
                frames.wind_power(forecast, post.history_hours, post.horizon_hours)
            )
            out[SourceTable.SOLAR_POWER].append(
                frames.solar_power(forecast, post.history_hours, post.horizon_hours)
            )
        seen = dam_posting(
            day, postings(day - timedelta(days=1), seed, post.cadence_hours), post.dam_cutoff_hour
        )
        dam_forecast = posting_forecast(truth, seen, seed, post, params.renewables)
        dam = dayahead_day(clock, dam_forecast, pts, rt_state, seed, params)
        rt, rt_state = realtime_day(clock, truth, pts, rt_state, seed, params)
        out[SourceTable.DAM_SPP].append(frames.dam_spp(clock, pts, dam))
        out[SourceTable.DAM_AS_PRICES].append(frames.dam_as_prices(clock, dam))
        out[SourceTable.RTM_SPP].append(frames.rtm_spp(clock, pts, rt))
        out[SourceTable.SCED_LMP].append(frames.sced_lmp(pts, rt))
        out[SourceTable.SCED_SYSTEM_LAMBDA].append(frames.sced_system_lambda(rt))
        out[SourceTable.ACTUAL_LOAD].append(frames.actual_load(clock, truth.day(day)))
        yield MarketDay(day, {t: frames.to_frame(parts) for t, parts in out.items()})
        truth.drop_before(day - timedelta(days=LOOK_BACK_DAYS - 1))
        day += timedelta(days=1)
