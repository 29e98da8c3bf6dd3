"""What really happens, hour by hour: weather, load, wind, solar, supply, gas.

The generator simulates these drivers ahead of the market day (forecasts posted on day D look
168 hours ahead) and keeps a rolling window of them, :class:`TruthBuffer`, from three days
back to eight ahead: a few hundred rows, however long the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ercot_dart.synth.clock import day_clock
from ercot_dart.synth.params import MarketParams
from ercot_dart.synth.renewables import WIND_REGIONS, RenewableState, simulate_renewables
from ercot_dart.synth.rng import Stream, ar1, persistence, stream
from ercot_dart.synth.supply import SupplyState, planned_capacity, simulate_supply
from ercot_dart.synth.weather import LOAD_WEIGHTS, ZONES, WeatherState, anomaly_sd, simulate_weather

LOAD_COLUMNS = tuple(f"load_{z.actual}" for z in ZONES)
WIND_HSL = tuple(f"wind_hsl_{r}" for r in WIND_REGIONS)
WIND_GEN = tuple(f"wind_gen_{r}" for r in WIND_REGIONS)
# shared forecast-error factors (unit variance): what every forecaster gets wrong together
ZETA_LOAD = ("zeta_load", *(f"zeta_{z.actual}" for z in ZONES))
ZETA_WIND = tuple(f"zeta_{r}" for r in WIND_REGIONS)
ZETA = (*ZETA_LOAD, *ZETA_WIND, "zeta_solar")


@dataclass(frozen=True)
class DriverState:
    """Everything the drivers carry from one day to the next."""

    weather: WeatherState
    renewables: RenewableState
    supply: SupplyState
    zeta: NDArray[np.float64]

    @classmethod
    def stationary(cls, rng: np.random.Generator) -> DriverState:
        return cls(
            WeatherState.stationary(rng),
            RenewableState.stationary(rng),
            SupplyState.stationary(rng),
            rng.standard_normal(len(ZETA)),
        )


def simulate_day(
    day: date, state: DriverState, seed: int, params: MarketParams
) -> tuple[dict[str, NDArray[Any]], DriverState]:
    """The hourly drivers of one day (one row per local hour) and the state after it."""
    clock = day_clock(day)
    rng = stream(seed, Stream.DRIVERS, day.toordinal())
    temperature, load, weather = simulate_weather(clock, state.weather, rng, params.weather)
    ren, renewables = simulate_renewables(clock, state.renewables, rng, params.renewables)
    system_t = temperature @ LOAD_WEIGHTS
    sd = anomaly_sd(clock.day_of_year, params.weather)
    cold = max(-float(np.mean(weather.anomaly)) * sd, 0.0)
    outage, gas, supply = simulate_supply(
        clock.day_of_year, system_t, cold, state.supply, rng, params.supply
    )
    zeta = ar1(state.zeta, persistence(10.0), rng.standard_normal((clock.n_hours, len(ZETA))))
    columns = {
        "utc": clock.utc,
        "date": np.full(clock.n_hours, day.toordinal()),
        "hour_ending": clock.hour_ending,
        "dst_flag": clock.dst_flag,
        "temperature": system_t,
        **dict(zip(LOAD_COLUMNS, load.T, strict=True)),
        **dict(zip(WIND_HSL, ren["wind_hsl"].T, strict=True)),
        **dict(zip(WIND_GEN, ren["wind_gen"].T, strict=True)),
        "solar_clear": ren["solar_clear"],
        "cloud": ren["cloud"],
        "cloud_level": ren["cloud_level"],
        "solar_hsl": ren["solar_hsl"],
        "solar_gen": ren["solar_gen"],
        "planned_mw": np.full(clock.n_hours, planned_capacity(clock.day_of_year, params.supply)),
        "outage_mw": outage,
        "gas": gas,
        **dict(zip(ZETA, zeta.T, strict=True)),
    }
    return columns, DriverState(weather, renewables, supply, zeta[-1])


@dataclass(frozen=True)
class Hours:
    """Consecutive hours of drivers: one array per column, one row per hour."""

    columns: dict[str, NDArray[Any]]
    """int64 ``utc``, ``date`` (ordinal), ``hour_ending``; object ``dst_flag``; float64 drivers."""

    def __getitem__(self, name: str) -> NDArray[Any]:
        return self.columns[name]

    def __len__(self) -> int:
        return len(self.columns["utc"])

    def stack(self, names: tuple[str, ...] | list[str]) -> NDArray[Any]:
        """The named columns side by side (hours x names)."""
        return np.column_stack([self.columns[n] for n in names])

    def take(self, rows: NDArray[np.intp] | NDArray[np.bool_] | slice) -> Hours:
        """A subset of the hours."""
        return Hours({k: v[rows] for k, v in self.columns.items()})


class TruthBuffer:
    """The drivers of a rolling window of days, simulated in order from a first day."""

    def __init__(self, first_day: date, seed: int, params: MarketParams) -> None:
        self._seed = seed
        self._params = params
        self._state = DriverState.stationary(stream(seed, Stream.INITIAL, first_day.toordinal()))
        self._next = first_day
        self._all = Hours({})

    def extend_to(self, last_day: date) -> None:
        """Simulate days until ``last_day`` is in the buffer."""
        days = [self._all.columns] if self._all.columns else []
        while self._next <= last_day:
            columns, self._state = simulate_day(self._next, self._state, self._seed, self._params)
            days.append(columns)
            self._next = date.fromordinal(self._next.toordinal() + 1)
        if len(days) > 1:
            self._all = Hours({k: np.concatenate([d[k] for d in days]) for k in days[-1]})
        elif days:
            self._all = Hours(days[0])

    def drop_before(self, first_day: date) -> None:
        """Forget days before ``first_day``."""
        first = int(np.searchsorted(self._all["date"], first_day.toordinal()))
        self._all = self._all.take(slice(first, None))

    def hours(self, start_utc: int, end_utc: int) -> Hours:
        """The hours starting in ``[start_utc, end_utc)`` (UTC seconds)."""
        lo, hi = np.searchsorted(self._all["utc"], [start_utc, end_utc])
        return self._all.take(slice(lo, hi))

    def day(self, day: date) -> Hours:
        """The hours of one operating day."""
        lo, hi = np.searchsorted(self._all["date"], [day.toordinal(), day.toordinal() + 1])
        return self._all.take(slice(lo, hi))
