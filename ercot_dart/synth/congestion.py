"""Congestion: four transmission constraints, their shadow prices, and every point's basis.

Each constraint binds when its driver (a flow proxy built from zonal load, wind and solar)
exceeds its limit; the limit switches between normal and derated (outage season, a line out)
as a two-state Markov chain, so congestion comes in persistent regimes. A hub's price is
system lambda plus its loadings times the shadow prices; a resource node follows its home hub,
scaled by its own exposure, plus a persistent offset and a local constraint of its own that
switches on and off (regime-switching basis).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from ercot_dart.synth.points import AVERAGED_HUBS, FIRST_LOAD_ZONE, FIXED, LOAD_ZONE_MIX, Points

CONSTRAINTS = ("WEST_EXPORT", "FAR_WEST_IMPORT", "HOUSTON_IMPORT", "SOUTH_EXPORT")
# driver weights on: wind west, wind south/houston, solar, load far west+west, load coast,
# load southern
_DRIVER: NDArray[np.float64] = np.array(
    [
        [1.00, 0.00, 0.55, -0.35, 0.00, 0.00],
        [-0.30, 0.00, -0.25, 1.00, 0.00, 0.00],
        [0.00, -0.30, 0.00, 0.00, 1.00, 0.00],
        [0.00, 1.00, 0.10, 0.00, 0.00, -0.40],
    ]
)
_LIMIT: NDArray[np.float64] = np.array(
    [[12_000.0, 9_000.0], [7_300.0, 6_400.0], [19_500.0, 17_200.0], [6_000.0, 4_800.0]]
)
_SLOPE: NDArray[np.float64] = np.array([0.004, 0.020, 0.015, 0.006])  # $/MWh per MW over the limit
_WIDTH = 700.0  # MW: how sharply a constraint starts to bind
_SHADOW_CAP: NDArray[np.float64] = np.array(
    [45.0, 300.0, 300.0, 150.0]
)  # $/MWh: how high each binds
_DERATE_PER_HOUR = 1 / (24 * 20)
_RESTORE_PER_HOUR = 1 / 36

# hub loadings on each constraint (rows HOUSTON, NORTH, SOUTH, WEST, PAN)
HUB_LOADINGS: NDArray[np.float64] = np.array(
    [
        [0.00, 0.00, 0.85, -0.10],
        [-0.15, 0.00, -0.05, 0.00],
        [-0.02, 0.00, 0.20, -0.65],
        [-0.45, 0.85, -0.02, 0.00],
        [-1.20, 0.40, 0.00, 0.00],
    ]
)
# persistent basis of each hub to system lambda (losses, chronic congestion), $/MWh
HUB_OFFSET: NDArray[np.float64] = np.array([0.5, -0.3, 0.0, 0.2, -2.0])
_NODE_ENTER = 0.004
_NODE_ENTER_WINDY = 0.02
_NODE_EXIT = 0.06
_INV = NormalDist().inv_cdf


def constraint_drivers(hours: dict[str, NDArray[np.float64]]) -> NDArray[np.float64]:
    """Flow proxies (rows x constraints, MW) from wind, solar and zonal load (MW)."""
    x = np.column_stack(
        [
            hours["wind_gen_LZ_WEST"],
            hours["wind_gen_LZ_SOUTH_HOUSTON"],
            hours["solar_gen"],
            hours["load_FAR_WEST"] + hours["load_WEST"],
            hours["load_COAST"],
            hours["load_SOUTHERN"],
        ]
    )
    return x @ _DRIVER.T


def shadow_prices(drivers: NDArray[np.float64], derated: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Shadow prices ($/MWh, >= 0) of the constraints given drivers and derate states."""
    limit = np.where(derated, _LIMIT[:, 1], _LIMIT[:, 0])
    over = (drivers - limit) / _WIDTH
    raw = _SLOPE * _WIDTH * np.logaddexp(0, over)
    return _SHADOW_CAP * np.tanh(raw / _SHADOW_CAP)


def derate_path(derated: NDArray[np.bool_], shocks: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Hourly derate states (hours x constraints) from standard normal shocks."""
    out = np.empty(shocks.shape, dtype=bool)
    state = derated.copy()
    enter, leave = _INV(_DERATE_PER_HOUR), _INV(_RESTORE_PER_HOUR)
    for t in range(shocks.shape[0]):
        state = np.where(state, shocks[t] > leave, shocks[t] < enter)
        out[t] = state
    return out


def node_regime_path(
    active: NDArray[np.bool_], windy: NDArray[np.float64], shocks: NDArray[np.float64]
) -> NDArray[np.bool_]:
    """Hourly on/off of each node's local constraint (hours x nodes).

    Args:
        active: state before the first hour (nodes).
        windy: per hour, how hard the West export binds (0..1): renewables' local limits bind
            together with it.
        shocks: standard normal draws (hours x nodes).
    """
    out = np.empty(shocks.shape, dtype=bool)
    state = active.copy()
    leave = _INV(_NODE_EXIT)
    for t in range(shocks.shape[0]):
        enter = _INV(_NODE_ENTER + _NODE_ENTER_WINDY * float(windy[t]))
        state = np.where(state, shocks[t] > leave, shocks[t] < enter)
        out[t] = state
    return out


@dataclass(frozen=True)
class NodeBasis:
    """What a run needs to price the resource nodes."""

    regime: NDArray[np.bool_] | NDArray[np.float64]
    """Local constraint on/off per hour (hours x nodes); day ahead, the chance that it binds."""
    noise: NDArray[np.float64]
    """Slow basis noise per hour (hours x nodes, $/MWh)."""


def fixed_point_prices(
    hub: NDArray[np.float64], own: NDArray[np.float64], n: int
) -> NDArray[np.float64]:
    """Prices of the first ``n`` fixed points (hubs, averages, load zones) from the five hubs.

    Args:
        hub: hub prices (rows x 5).
        own: small own noise of each fixed point (rows x 15, $/MWh).
        n: how many fixed points the run has.
    """
    four = hub[:, AVERAGED_HUBS].mean(axis=1)
    bus_average = four + own[:, hub.shape[1]]  # bus-weighted, so a few cents off the hub average
    cols = [
        hub,
        bus_average[:, None],
        four[:, None],
        hub @ LOAD_ZONE_MIX.T + own[:, FIRST_LOAD_ZONE:FIXED],
    ]
    return np.concatenate(cols, axis=1)[:, :n]


def node_prices(
    hub: NDArray[np.float64],
    shadow: NDArray[np.float64],
    points: Points,
    basis: NodeBasis,
    hour_of_row: NDArray[np.int64],
) -> NDArray[np.float64]:
    """Resource-node prices (rows x nodes): home hub + scaled congestion + offset + local."""
    congestion = shadow @ HUB_LOADINGS.T  # rows x hubs
    extra = (points.exposure - 1.0) * congestion[:, points.home_hub]
    local = basis.regime[hour_of_row] * points.local_size
    return hub[:, points.home_hub] + extra + points.offset + local + basis.noise[hour_of_row]
