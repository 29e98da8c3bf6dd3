"""Dispatchable supply: capacity after maintenance and forced outages, and the gas price.

Planned maintenance takes a large slice of the fleet in April and late October (the shoulder
months are when ERCOT is tight at lower load); forced outages wander (AR(1)) and jump in hard
freezes; the gas price is a daily log-AR(1) with a winter cold premium.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import NDArray

from ercot_dart.synth.params import SupplyParams
from ercot_dart.synth.rng import ar1, persistence
from ercot_dart.synth.weather import season


@dataclass(frozen=True)
class SupplyState:
    """AR states (unit variance) of forced outages (hourly) and log gas price (daily)."""

    outage: float
    gas: float

    @classmethod
    def stationary(cls, rng: np.random.Generator) -> SupplyState:
        return cls(float(rng.standard_normal()), float(rng.standard_normal()))


def maintenance(day_of_year: int, p: SupplyParams) -> float:
    """Fraction of dispatchable capacity on planned maintenance."""
    winter = (1 - season(day_of_year)) / 2
    return cast(
        float,
        0.02
        + (p.maintenance_winter - 0.02) * winter**2
        + p.maintenance_spring * np.exp(-(((day_of_year - 102) / 30) ** 2))
        + p.maintenance_fall * np.exp(-(((day_of_year - 298) / 26) ** 2)),
    )


def planned_capacity(day_of_year: int, p: SupplyParams) -> float:
    """Dispatchable capacity after planned maintenance (MW), known well in advance."""
    return p.thermal_mw * (1 - maintenance(day_of_year, p))


def simulate_supply(
    day_of_year: int,
    system_temperature: NDArray[np.float64],
    cold_anomaly: float,
    state: SupplyState,
    rng: np.random.Generator,
    p: SupplyParams,
) -> tuple[NDArray[np.float64], NDArray[np.float64], SupplyState]:
    """One day of hourly forced outages (MW) and gas price ($/MMBtu, one value per hour).

    Args:
        day_of_year: 1..366.
        system_temperature: load-weighted temperature of each hour (deg C).
        cold_anomaly: the day's mean temperature anomaly below normal (deg C, >= 0).
    """
    n = len(system_temperature)
    latent = ar1(np.array(state.outage), persistence(p.outage_hours), rng.standard_normal(n))
    freeze = p.freeze_mw_per_degree * np.maximum(-2.0 - system_temperature, 0) ** 1.3
    outage = np.maximum(p.outage_mw + p.outage_sd_mw * latent, 500.0) + freeze
    gas_state = ar1(np.array(state.gas), persistence(p.gas_days), rng.standard_normal(1))[0]
    winter = max(-season(day_of_year), 0.0)
    log_gas = (
        np.log(p.gas_price) + p.gas_sd * gas_state + p.gas_cold_premium * winter * cold_anomaly
    )
    gas = np.full(n, np.exp(log_gas))
    return outage, gas, SupplyState(float(latent[-1]), float(gas_state))
