"""The system energy price: a supply curve in net load plus an ORDC-like scarcity adder.

Both markets use these functions: real time evaluates them at what happened, the day-ahead
market takes their expectation under the forecast's uncertainty. The curve is convex, so the
expectation sits above the curve at the forecast; that, and a small risk premium, is the
predictable part of DART. What real time adds on top (trips, ramps, forecast misses) is the
unpredictable part.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ercot_dart.synth.params import PriceParams
from ercot_dart.synth.rng import logistic

# Ramp spikes cluster in the morning and evening ramps: relative rate by local hour 0..23.
RAMP_HOURS: NDArray[np.float64] = np.array(
    [0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 1.4, 0.6, 0.3, 0.3, 0.3]
    + [0.4, 0.5, 0.7, 1.0, 1.8, 3.0, 4.0, 4.5, 3.0, 1.0, 0.4, 0.2]
)
RAMP_HOURS = RAMP_HOURS / RAMP_HOURS.sum()
RAMP_PARETO = 1.7
RAMP_CAP = 3_000.0
RAMP_RUNS = 4.0  # mean duration of a ramp spike in SCED runs


# expectation over a standard normal: a fine grid, since the scarcity curve (width ~1 GW) is
# much narrower than the day-ahead uncertainty of reserves (~3-4 GW)
_Z = np.linspace(-5.0, 5.0, 201)
_W = np.exp(-0.5 * _Z**2) / np.exp(-0.5 * _Z**2).sum()


def energy_price(
    utilisation: NDArray[np.float64], gas: NDArray[np.float64], p: PriceParams
) -> NDArray[np.float64]:
    """Marginal cost of the dispatchable stack ($/MWh) at a utilisation (net load / capacity).

    Exponential in utilisation (gas units down the stack, peakers at the top), falling below
    the surplus point where wind and solar are on the margin, floored at their offers.
    """
    c = p.heat_rate_curvature
    stack = gas * (p.heat_rate_base + p.heat_rate_peak * np.exp(c * (utilisation - 1))) + p.vom
    surplus = p.surplus_slope * np.maximum(p.surplus_utilisation - utilisation, 0)
    return np.maximum(stack - surplus, p.price_floor)


def tightness(utilisation: NDArray[np.float64]) -> NDArray[np.float64]:
    """0 while a third of the stack is idle, rising to 1 at 90% utilisation."""
    return np.clip((utilisation - 0.55) / 0.35, 0, 1) ** 1.5


# Ramps cost where the fleet is short of ramping capability: the morning pick-up and, above
# all, sunset, when solar leaves faster than thermal units can follow (weight by local hour).
RAMP_WEIGHT: NDArray[np.float64] = np.array(
    [0.0] * 5 + [0.4, 0.6, 0.6, 0.3] + [0.0] * 7 + [0.3, 0.8, 1.0, 1.0, 1.0, 0.6] + [0.0] * 2
)


def ramp_adder(
    ramp_mw: NDArray[np.float64],
    utilisation: NDArray[np.float64],
    local_hour: NDArray[np.float64],
    p: PriceParams,
) -> NDArray[np.float64]:
    """Cost of a steep net-load ramp (MW/h) on top of the curve, by local hour 0..23."""
    steep = np.maximum(ramp_mw - p.ramp_free_mw, 0) / 1_000.0
    weight: NDArray[np.float64] = RAMP_WEIGHT[np.asarray(local_hour, dtype=int) % 24]
    return p.ramp_price * weight * steep * (1 + p.ramp_tight_gain * tightness(utilisation))


def reserves(
    available: NDArray[np.float64], net_load: NDArray[np.float64], p: PriceParams
) -> NDArray[np.float64]:
    """Reserves (MW) after flexible loads curtail: they start as reserves fall towards 4 GW."""
    raw = available - net_load
    return raw + p.flexible_load_mw * logistic((4_000.0 - raw) / 1_000.0)


def scarcity_adder(reserve_mw: NDArray[np.float64], p: PriceParams) -> NDArray[np.float64]:
    """ORDC-like adder ($/MWh): the offer cap times a logistic loss-of-load probability."""
    return p.scarcity_cap * logistic((p.scarcity_reserve_mw - reserve_mw) / p.scarcity_scale_mw)


def system_lambda(
    net_load: NDArray[np.float64],
    available: NDArray[np.float64],
    gas: NDArray[np.float64],
    ramp: NDArray[np.float64],
    local_hour: NDArray[np.float64],
    p: PriceParams,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Uncapped system lambda and its scarcity adder ($/MWh) at a net load, capacity and ramp
    (MW, MW, MW/h)."""
    adder = scarcity_adder(reserves(available, net_load, p), p)
    u = net_load / available
    return energy_price(u, gas, p) + ramp_adder(ramp, u, local_hour, p) + adder, adder


def expected_lambda(
    net_load: NDArray[np.float64],
    available: NDArray[np.float64],
    gas: NDArray[np.float64],
    ramp: NDArray[np.float64],
    local_hour: NDArray[np.float64],
    reserve_sd: NDArray[np.float64],
    p: PriceParams,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Expected system lambda and scarcity adder when reserves are uncertain.

    Args:
        net_load: forecast net load (MW).
        available: expected available capacity (MW).
        gas: gas price ($/MMBtu).
        ramp: forecast net-load ramp into each hour (MW/h).
        local_hour: wall-clock hour of each hour's start.
        reserve_sd: standard deviation of the reserves' forecast error (MW): net-load
            errors, outages and trips together, all moving net load against capacity.
    """
    scenarios = net_load[:, None] + reserve_sd[:, None] * _Z[None, :]
    lam, adder = system_lambda(
        scenarios, available[:, None], gas[:, None], ramp[:, None], local_hour[:, None], p
    )
    return lam @ _W, adder @ _W


def expected_ramp_spike(local_hour: NDArray[np.float64], p: PriceParams) -> NDArray[np.float64]:
    """Expected contribution of ramp spikes to an hour's mean price ($/MWh)."""
    mean_height = p.ramp_spike_scale * RAMP_PARETO / (RAMP_PARETO - 1)
    runs_per_hour = 12.0
    rate: NDArray[np.float64] = p.ramp_spikes_per_day * RAMP_HOURS[local_hour.astype(int) % 24]
    return rate * min(mean_height, RAMP_CAP) * RAMP_RUNS / runs_per_hour
