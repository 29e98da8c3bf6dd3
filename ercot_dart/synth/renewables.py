"""Wind by load-zone region and system-wide solar: what could be produced (HSL) and was (GEN).

Wind: capacity factor = logistic(seasonal and diurnal level of the region + weather), the
weather an AR(1) mixing a system-wide and a regional part: windy springs, calm Septembers,
nights windier than afternoons in the West, sea breeze in the south. Solar: clear-sky output
from the sun's elevation (single-axis trackers: a flat top) times a cloud factor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from ercot_dart.synth.clock import DayClock
from ercot_dart.synth.params import RenewableParams
from ercot_dart.synth.rng import ar1, logistic, persistence

WIND_REGIONS = ("LZ_SOUTH_HOUSTON", "LZ_WEST", "LZ_NORTH")
WIND_SHARE: NDArray[np.float64] = np.array([0.27, 0.60, 0.13])
_WIND_LEVEL: NDArray[np.float64] = np.array([-0.78, -0.47, -0.57])
# diurnal swing of the logit and the hour it peaks: sea breeze vs. nocturnal low-level jet
_WIND_DIURNAL: NDArray[np.float64] = np.array([0.30, 0.58, 0.40])
_WIND_PEAK_HOUR: NDArray[np.float64] = np.array([17.0, 1.0, 2.0])
_WIND_SPREAD = 1.35
CLOUD_DEPTH = 0.8  # share of clear-sky output the thickest clouds take
CLOUD_SPREAD = 1.6
_LATITUDE = np.deg2rad(31.0)
_LONGITUDE_HOURS = -100.5 / 15.0  # where the solar fleet sits, on average
_DAWN = 0.12  # sine of the elevation below which trackers produce next to nothing


@dataclass(frozen=True)
class RenewableState:
    """AR states (unit variance) of the wind (system + 3 regions) and of cloud cover."""

    wind: NDArray[np.float64]
    cloud: float

    @classmethod
    def stationary(cls, rng: np.random.Generator) -> RenewableState:
        return cls(rng.standard_normal(1 + len(WIND_REGIONS)), float(rng.standard_normal()))


def wind_level(day_of_year: int, local_hour: NDArray[np.float64]) -> NDArray[np.float64]:
    """Logit of the regions' typical capacity factor by season and hour (hours x regions)."""
    spring: float = 0.28 * np.cos(2 * np.pi * (day_of_year - 100) / 365.25)
    late_summer: float = -0.25 * np.exp(-(((day_of_year - 255) / 28) ** 2))
    diurnal = _WIND_DIURNAL * np.cos(2 * np.pi * (local_hour[:, None] - _WIND_PEAK_HOUR) / 24)
    return _WIND_LEVEL + spring + late_summer + diurnal


def wind_capacity_factor(
    level: NDArray[np.float64], weather: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Capacity factor from the logit level and the regional weather (unit variance)."""
    return 0.93 * logistic(level + _WIND_SPREAD * weather)


def clear_sky(clock: DayClock) -> NDArray[np.float64]:
    """Clear-sky solar output of each hour as a fraction of capacity (hour mean)."""
    declination = np.deg2rad(23.44) * np.sin(2 * np.pi * (284 + clock.day_of_year) / 365)
    out = np.zeros(clock.n_hours)
    for minute in (7.5, 22.5, 37.5, 52.5):
        utc_hour = (clock.utc % 86_400) / 3600 + minute / 60
        angle = np.deg2rad(15.0 * (utc_hour + _LONGITUDE_HOURS - 12.0))
        sin_elev = np.sin(_LATITUDE) * np.sin(declination) + np.cos(_LATITUDE) * np.cos(
            declination
        ) * np.cos(angle)
        out += np.clip((sin_elev - _DAWN) / (1 - _DAWN), 0, None) ** 0.35 / 4
    return 0.84 * out


def cloud_level(day_of_year: int) -> float:
    """Logit of the typical cloudiness: cloudier in winter and spring."""
    return cast(float, -1.2 - 0.5 * np.cos(2 * np.pi * (day_of_year - 30) / 365.25))


def clearness(
    level: float | NDArray[np.float64], weather: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Share of clear-sky output getting through the clouds."""
    return 1.0 - CLOUD_DEPTH * logistic(level + CLOUD_SPREAD * weather)


def simulate_renewables(
    clock: DayClock, state: RenewableState, rng: np.random.Generator, p: RenewableParams
) -> tuple[dict[str, NDArray[np.float64]], RenewableState]:
    """One day of hourly wind and solar.

    Returns:
        ``wind_hsl``/``wind_gen`` (hours x regions, MW), ``solar_hsl``/``solar_gen`` (hours, MW),
        ``solar_clear`` (hours, MW: output under a clear sky), ``cloud`` (the cloud weather,
        unit variance) and ``cloud_level`` (its seasonal logit) for the forecasters; the state.
    """
    n = clock.n_hours
    latent = ar1(
        state.wind, persistence(p.wind_hours), rng.standard_normal((n, 1 + len(WIND_REGIONS)))
    )
    weather = 0.8 * latent[:, :1] + 0.6 * latent[:, 1:]
    cf = wind_capacity_factor(wind_level(clock.day_of_year, clock.local_hour), weather)
    wind_hsl = p.wind_mw * WIND_SHARE * cf
    curtail = 1 - 0.04 * rng.random((n, 1)) * cf
    cloud = ar1(np.array(state.cloud), persistence(p.cloud_hours), rng.standard_normal(n))
    solar_clear = p.solar_mw * clear_sky(clock)
    solar_hsl = solar_clear * clearness(cloud_level(clock.day_of_year), cloud)
    solar_gen = solar_hsl * (1 - 0.03 * rng.random(n))
    out = {
        "wind_hsl": wind_hsl,
        "wind_gen": wind_hsl * curtail,
        "solar_clear": solar_clear,
        "cloud": cloud,
        "cloud_level": np.full(n, cloud_level(clock.day_of_year)),
        "solar_hsl": solar_hsl,
        "solar_gen": solar_gen,
    }
    return out, RenewableState(latent[-1], float(cloud[-1]))
