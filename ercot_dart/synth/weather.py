"""Temperature per weather zone and the load it drives (hourly, MW).

Temperature = seasonal climate + daily cycle + a system-wide anomaly (fat-tailed AR(1), wider
in winter: cold snaps) + a small zone anomaly. Load = base x calendar shape (daily, weekly) x
(1 + cooling x degrees above 19 C + heating x degrees below 13 C) x noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ercot_dart.synth.clock import DayClock
from ercot_dart.synth.params import WeatherParams
from ercot_dart.synth.rng import ar1, persistence

SUMMER_PEAK_DOY = 200


@dataclass(frozen=True)
class Zone:
    """A weather zone's climate and load."""

    actual: str
    """Column in actual_load (NP6-345-CD)."""
    forecast: str
    """Column in load_forecast (NP3-565-CD)."""
    base_mw: float
    """Load at mild temperature, at the daily mean of the calendar shape (MW)."""
    cooling: float
    """Relative load increase per deg C above 19 C."""
    heating: float
    """Relative load increase per deg C below 13 C."""
    mean_c: float
    """Annual mean temperature (deg C)."""
    season_c: float
    """Seasonal half-range of the daily mean (deg C)."""
    daily_c: float
    """Half-range of the daily cycle (deg C)."""


ZONES = (
    Zone("COAST", "Coast", 12_000.0, 0.032, 0.025, 21.0, 7.8, 3.5),
    Zone("EAST", "East", 1_450.0, 0.037, 0.040, 19.0, 9.0, 4.5),
    Zone("FAR_WEST", "FarWest", 6_450.0, 0.004, 0.006, 18.0, 9.5, 6.0),
    Zone("NORTH", "North", 1_300.0, 0.037, 0.045, 17.5, 10.0, 5.0),
    Zone("NORTH_C", "NorthCentral", 11_950.0, 0.042, 0.045, 19.5, 10.0, 4.5),
    Zone("SOUTHERN", "Southern", 3_550.0, 0.032, 0.025, 23.0, 7.5, 4.5),
    Zone("SOUTH_C", "SouthCentral", 7_000.0, 0.038, 0.035, 21.0, 8.8, 5.0),
    Zone("WEST", "West", 1_150.0, 0.032, 0.040, 18.5, 9.5, 5.5),
)
N_ZONES = len(ZONES)
_BASE: NDArray[np.float64] = np.array([z.base_mw for z in ZONES])
_COOL: NDArray[np.float64] = np.array([z.cooling for z in ZONES])
_HEAT: NDArray[np.float64] = np.array([z.heating for z in ZONES])
_MEAN: NDArray[np.float64] = np.array([z.mean_c for z in ZONES])
_SEASON: NDArray[np.float64] = np.array([z.season_c for z in ZONES])
_DAILY: NDArray[np.float64] = np.array([z.daily_c for z in ZONES])
LOAD_WEIGHTS = _BASE / _BASE.sum()


def season(day_of_year: int) -> float:
    """+1 at the height of summer, -1 in the depth of winter."""
    return float(np.cos(2 * np.pi * (day_of_year - SUMMER_PEAK_DOY) / 365.25))


@dataclass(frozen=True)
class WeatherState:
    """AR states carried from one hour to the next (unit variance)."""

    anomaly: float
    zone_anomaly: NDArray[np.float64]
    load_noise: NDArray[np.float64]
    temperature: NDArray[np.float64] | None
    """Last hour's temperature per zone (deg C); None before the first day."""

    @classmethod
    def stationary(cls, rng: np.random.Generator) -> WeatherState:
        return cls(
            float(rng.standard_normal()),
            rng.standard_normal(N_ZONES),
            rng.standard_normal(N_ZONES),
            None,
        )


def anomaly_sd(day_of_year: int, p: WeatherParams) -> float:
    """Standard deviation of the system temperature anomaly on this day (deg C)."""
    winter = max(-season(day_of_year), 0.0)
    return p.anomaly_sd_summer + (p.anomaly_sd_winter - p.anomaly_sd_summer) * winter


def calendar_shape(clock: DayClock) -> NDArray[np.float64]:
    """Load multiplier of the hour and weekday, weather aside (mean about 1)."""
    h = clock.local_hour
    winter = (1 - season(clock.day_of_year)) / 2
    shape = (
        1.0
        + 0.07 * np.cos(2 * np.pi * (h - 16.0) / 24)
        + (0.005 + 0.06 * winter) * np.cos(4 * np.pi * (h - 8.0) / 24)
        - 0.02 * np.cos(6 * np.pi * (h - 1.0) / 24)
    )
    weekday = clock.day.weekday()
    weekend = {5: 0.95, 6: 0.925}.get(weekday, 1.0)
    holiday = 0.92 if (clock.day.month, clock.day.day) in {(1, 1), (7, 4), (12, 25)} else 1.0
    return shape * weekend * holiday


def simulate_weather(
    clock: DayClock, state: WeatherState, rng: np.random.Generator, p: WeatherParams
) -> tuple[NDArray[np.float64], NDArray[np.float64], WeatherState]:
    """One day of hourly temperature and load per zone.

    Returns:
        temperature (hours x zones, deg C), load (hours x zones, MW), the state after the day.
    """
    n = clock.n_hours
    fat = rng.standard_t(5, n) / np.sqrt(5 / 3)
    anomaly = ar1(np.array(state.anomaly), persistence(p.anomaly_hours), fat)
    zone = ar1(state.zone_anomaly, persistence(30.0), rng.standard_normal((n, N_ZONES)))
    noise = ar1(state.load_noise, persistence(6.0), rng.standard_normal((n, N_ZONES)))
    s = season(clock.day_of_year)
    diurnal = np.cos(2 * np.pi * (clock.local_hour - 15.0) / 24)
    temperature = (
        _MEAN
        + _SEASON * s
        + _DAILY * diurnal[:, None]
        + anomaly_sd(clock.day_of_year, p) * anomaly[:, None]
        + p.zone_anomaly_sd * zone
    )
    # buildings lag the air by about an hour: the load sees last hour's temperature
    before = temperature[:1] if state.temperature is None else state.temperature[None, :]
    lagged = np.vstack([before, temperature[:-1]])
    response = (
        1 + _COOL * np.maximum(lagged - 19.0, 0) ** 1.15 + _HEAT * np.maximum(13.0 - lagged, 0)
    )
    load = _BASE * calendar_shape(clock)[:, None] * response * np.exp(p.load_noise_sd * noise)
    return temperature, load, WeatherState(float(anomaly[-1]), zone[-1], noise[-1], temperature[-1])
