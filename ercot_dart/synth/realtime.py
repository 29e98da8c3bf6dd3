"""Real time: every SCED run's system lambda and LMPs, and the 15-minute settlement prices.

Per run: net load = hourly truth interpolated to the run time + a 5-minute deviation;
available capacity = planned - forced outages - recent unit trips; system lambda = supply curve
x offer noise + scarcity adder + ramp spikes; LMPs = capped lambda + congestion + noise. The
15-minute SPP is the time-weighted mean of the SCED LMPs in force during the interval (a run's
price holds until the next run), so rtm_spp and sced_lmp agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ercot_dart.synth import congestion as cg
from ercot_dart.synth.clock import HOUR_S, DayClock, SCEDRuns, interval_starts, sced_runs
from ercot_dart.synth.params import MarketParams
from ercot_dart.synth.points import FIRST_LOAD_ZONE, FIXED, LOAD_ZONES, Points
from ercot_dart.synth.prices import (
    RAMP_CAP,
    RAMP_HOURS,
    RAMP_PARETO,
    RAMP_RUNS,
    energy_price,
    ramp_adder,
    reserves,
    scarcity_adder,
    tightness,
)
from ercot_dart.synth.rng import Stream, ar1, persistence, stream
from ercot_dart.synth.truth import LOAD_COLUMNS, WIND_GEN, TruthBuffer

PRICE_FLOOR = -250.0
_DEVIATION_MW = 600.0


@dataclass(frozen=True)
class RealTimeState:
    """What real time carries from one day to the next."""

    deviation: float
    offer: float
    trip_mw: float
    shadow_noise: NDArray[np.float64]
    derated: NDArray[np.bool_]
    hub_noise: NDArray[np.float64]
    node_active: NDArray[np.bool_]
    node_noise: NDArray[np.float64]
    last_lmp: NDArray[np.float64] | None
    """LMPs of the previous day's last run (in force until the first run of the day)."""
    hours_utc: NDArray[np.int64]
    """The previous day's hours, for what the day-ahead market knew (UTC seconds)."""
    hours_derated: NDArray[np.bool_]
    hours_node_active: NDArray[np.bool_]

    @classmethod
    def initial(cls, n_nodes: int) -> RealTimeState:
        k = len(cg.CONSTRAINTS)
        return cls(
            0.0,
            0.0,
            0.0,
            np.zeros(k),
            np.zeros(k, bool),
            np.zeros(5),
            np.zeros(n_nodes, bool),
            np.zeros(n_nodes),
            None,
            np.zeros(0, np.int64),
            np.zeros((0, k), bool),
            np.zeros((0, n_nodes), bool),
        )

    def at(self, utc: int) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
        """Derate states and node regimes in force at ``utc`` (the latest known otherwise)."""
        i = np.searchsorted(self.hours_utc, utc, side="right") - 1
        if i < 0:
            return self.derated, self.node_active
        return self.hours_derated[i], self.hours_node_active[i]


@dataclass(frozen=True)
class RealTimeDay:
    """One day of real-time prices (rounded as ERCOT publishes them)."""

    runs: SCEDRuns
    lmp: NDArray[np.float64]
    """SCED LMP (runs x points, $/MWh)."""
    lambda_uncapped: NDArray[np.float64]
    lambda_capped: NDArray[np.float64]
    spp: NDArray[np.float64]
    """15-minute SPP (intervals x points)."""
    spp_energy_weighted: NDArray[np.float64]
    """15-minute SPP of the load zones' LZEW twins (intervals x load zones in the run)."""


def interval_weights(
    runs_utc: NDArray[np.int64], starts: NDArray[np.int64], length: int = 900
) -> NDArray[np.float64]:
    """Share of each interval during which each run's price was in force.

    Column 0 is the previous day's last run (in force until the first run).
    """
    bounds = np.concatenate(
        [[np.iinfo(np.int64).min // 2], runs_utc, [np.iinfo(np.int64).max // 2]]
    )
    lo = np.maximum(bounds[None, :-1], starts[:, None])
    hi = np.minimum(bounds[None, 1:], starts[:, None] + length)
    weights: NDArray[np.float64] = np.clip(hi - lo, 0, None) / length
    return weights


def _hourly_inputs(truth: TruthBuffer, clock: DayClock) -> dict[str, NDArray[Any]]:
    rows = truth.hours(int(clock.utc[0]) - HOUR_S, int(clock.utc[-1]) + 2 * HOUR_S)
    return {c: v for c, v in rows.columns.items() if c != "dst_flag"}


def _trips(
    rng: np.random.Generator,
    runs: NDArray[np.int64],
    day_start: int,
    n_hours: int,
    carried: float,
    p: MarketParams,
) -> tuple[NDArray[np.float64], float]:
    tau = 2.0 * HOUR_S
    n = rng.poisson(p.prices.trip_per_day * n_hours / 24)
    start = day_start + rng.integers(0, n_hours * HOUR_S, n)
    size = p.prices.trip_mw * rng.lognormal(-0.32, 0.8, n)  # mean trip_mw
    elapsed = runs[:, None] - start[None, :]
    trips = np.where(elapsed >= 0, size * np.exp(-np.maximum(elapsed, 0) / tau), 0.0).sum(axis=1)
    trips += carried * np.exp(-(runs - day_start) / tau)
    day_end = day_start + n_hours * HOUR_S
    left = carried * np.exp(-n_hours * HOUR_S / tau) + float(
        np.sum(size * np.exp(-(day_end - start) / tau))
    )
    return trips, left


def _ramp_spikes(
    rng: np.random.Generator, runs: SCEDRuns, clock: DayClock, p: MarketParams
) -> NDArray[np.float64]:
    out = np.zeros(len(runs.utc))
    weights = RAMP_HOURS[clock.local_hour.astype(int)]
    n = rng.poisson(p.prices.ramp_spikes_per_day * weights.sum())
    hours = rng.choice(clock.n_hours, n, p=weights / weights.sum())
    height = np.minimum(p.prices.ramp_spike_scale * (1 + rng.pareto(RAMP_PARETO, n)), RAMP_CAP)
    length = rng.geometric(1 / RAMP_RUNS, n)
    offset = rng.random(n)
    for h, size, d, u in zip(hours, height, length, offset, strict=True):
        in_hour = np.flatnonzero(runs.hour == h)
        first = in_hour[int(u * len(in_hour))]
        out[first : first + d] += size
    return out


def _system_lambda(
    clock: DayClock,
    runs: SCEDRuns,
    hourly: dict[str, NDArray[Any]],
    at_run: dict[str, NDArray[np.float64]],
    state: RealTimeState,
    rng: np.random.Generator,
    params: MarketParams,
) -> tuple[NDArray[np.float64], NDArray[np.float64], dict[str, float]]:
    """Uncapped and capped system lambda of each run, and the AR states to carry over."""
    p = params.prices
    n_runs = len(runs.utc)
    step = persistence(30.0, 5 / 60)
    deviation = ar1(np.array(state.deviation), step, rng.standard_normal(n_runs))
    offer = ar1(np.array(state.offer), persistence(0.75, 5 / 60), rng.standard_normal(n_runs))
    trips, trip_left = _trips(
        rng, runs.utc, int(clock.utc[0]), clock.n_hours, state.trip_mw, params
    )
    spikes = _ramp_spikes(rng, runs, clock, params)
    load = sum(at_run[c] for c in LOAD_COLUMNS)
    net_load = (
        load - sum(at_run[c] for c in WIND_GEN) - at_run["solar_gen"] + _DEVIATION_MW * deviation
    )
    available = at_run["planned_mw"] - at_run["outage_mw"] - trips
    utilisation = net_load / available
    energy = energy_price(utilisation, at_run["gas"], p)
    spread = p.offer_noise + p.offer_noise_tight * tightness(utilisation)
    lam = energy * np.exp(spread * offer - spread**2 / 2)
    hourly_net = (
        sum(hourly[c] for c in LOAD_COLUMNS)
        - sum(hourly[c] for c in WIND_GEN)
        - hourly["solar_gen"]
    )
    ramp = np.diff(hourly_net)[runs.hour]
    lam = lam + ramp_adder(ramp, utilisation, clock.local_hour[runs.hour], p)
    lam = lam + scarcity_adder(reserves(available, net_load, p), p) + spikes
    capped = np.clip(lam, PRICE_FLOOR, p.scarcity_cap)
    carried = {"deviation": float(deviation[-1]), "offer": float(offer[-1]), "trip_mw": trip_left}
    return lam, capped, carried


def realtime_day(
    clock: DayClock,
    truth: TruthBuffer,
    points: Points,
    state: RealTimeState,
    seed: int,
    params: MarketParams,
) -> tuple[RealTimeDay, RealTimeState]:
    """One day of SCED runs and 15-minute prices, and the state after it."""
    rng = stream(seed, Stream.SCED, clock.day.toordinal())
    runs = sced_runs(clock, rng, extra_per_hour=0.12)
    n_runs, n_hours = len(runs.utc), clock.n_hours
    hourly = _hourly_inputs(truth, clock)
    mid = hourly["utc"] + HOUR_S // 2
    at_run = {k: np.interp(runs.utc, mid, v) for k, v in hourly.items() if k != "utc"}

    lam, capped, carried = _system_lambda(clock, runs, hourly, at_run, state, rng, params)

    k = len(cg.CONSTRAINTS)
    derated = cg.derate_path(state.derated, rng.standard_normal((n_hours, k)))
    shadow_noise = ar1(
        state.shadow_noise, persistence(45.0, 5 / 60), rng.standard_normal((n_runs, k))
    )
    shadow = cg.shadow_prices(cg.constraint_drivers(at_run), derated[runs.hour])
    shadow = shadow * np.exp(0.3 * shadow_noise - 0.045)
    hub_noise = ar1(state.hub_noise, 0.8, rng.standard_normal((n_runs, 5)))
    hub = capped[:, None] + cg.HUB_OFFSET + shadow @ cg.HUB_LOADINGS.T + 0.35 * hub_noise
    own = 0.12 * rng.standard_normal((n_runs, FIXED))
    lz_twin = rng.standard_normal((len(clock.utc) * 4, len(LOAD_ZONES)))
    prices = [cg.fixed_point_prices(hub, own, points.n_fixed)]

    node_active, node_noise = state.node_active, state.node_noise
    regimes = np.zeros((n_hours, points.n_nodes), bool)
    if points.n_nodes:
        draws = stream(seed, Stream.NODES, clock.day.toordinal()).standard_normal(
            (points.n_nodes, 2 * n_hours + n_runs)
        )
        per_hour = np.bincount(runs.hour, minlength=n_hours)
        west = np.bincount(runs.hour, weights=shadow[:, 0], minlength=n_hours) / per_hour
        windy = np.tanh(west / 30.0)
        regimes = cg.node_regime_path(node_active, windy, draws[:, :n_hours].T)
        slow = ar1(node_noise, 0.9, draws[:, n_hours : 2 * n_hours].T)
        basis = cg.NodeBasis(regime=regimes, noise=0.4 * slow)
        nodes = cg.node_prices(hub, shadow, points, basis, runs.hour)
        prices.append(nodes + 0.15 * draws[:, 2 * n_hours :].T)
        node_active, node_noise = regimes[-1], slow[-1]
    lmp = np.concatenate(prices, axis=1)
    lmp = np.round(lmp, 2)  # in two steps: nested in round, mypy infers float16 for concatenate

    previous = lmp[0] if state.last_lmp is None else state.last_lmp
    weights = interval_weights(runs.utc, interval_starts(clock))
    spp = np.round(weights @ np.vstack([previous, lmp]), 2)
    n_lz = max(points.n_fixed - FIRST_LOAD_ZONE, 0)
    twin = spp[:, FIRST_LOAD_ZONE : FIRST_LOAD_ZONE + n_lz]
    twin = np.round(twin * (1 + 0.002 * lz_twin[:, :n_lz]) + 0.03 * lz_twin[:, ::-1][:, :n_lz], 2)
    day = RealTimeDay(runs, lmp, np.round(lam, 5), np.round(capped, 5), spp, twin)
    new_state = replace(
        state,
        **carried,
        shadow_noise=shadow_noise[-1],
        derated=derated[-1],
        hub_noise=hub_noise[-1],
        node_active=node_active,
        node_noise=node_noise,
        last_lmp=lmp[-1],
        hours_utc=clock.utc,
        hours_derated=derated,
        hours_node_active=regimes,
    )
    return day, new_state
