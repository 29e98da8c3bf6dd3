"""The day-ahead market: prices for day D from what was known on D - 1 before the cutoff.

The DAM sees the latest forecast posting at or before ``dam_cutoff_hour`` on D - 1 (the very
rows in load_forecast, wind_power and solar_power), the outages and congestion regimes of that
moment and the day's gas price. It prices the expected real-time lambda under the forecast's
uncertainty (convex curve: scarcity risk is priced even when the forecast looks comfortable),
adds ramp risk and a risk premium, and bids with some noise. Ancillary services clear at an
opportunity cost that rises with the expected scarcity adder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from numpy.typing import NDArray

from ercot_dart.ercot.vocab import AncillaryType
from ercot_dart.synth import congestion as cg
from ercot_dart.synth.clock import HOUR_S, DayClock, Posting
from ercot_dart.synth.forecasts import PostingForecast
from ercot_dart.synth.params import MarketParams
from ercot_dart.synth.points import FIXED, Points
from ercot_dart.synth.prices import expected_lambda, expected_ramp_spike
from ercot_dart.synth.realtime import PRICE_FLOOR, RealTimeState
from ercot_dart.synth.rng import Stream, ar1, stream
from ercot_dart.synth.truth import LOAD_COLUMNS

ANCILLARY = tuple(AncillaryType)
# per product: base ($/MWh), per $/MMBtu of gas, share of the expected scarcity adder, noise
_AS = {
    AncillaryType.REGUP: (2.5, 1.0, 0.08, 0.25),
    AncillaryType.REGDN: (1.2, 0.6, 0.0, 0.30),
    AncillaryType.RRS: (1.0, 0.9, 0.10, 0.25),
    AncillaryType.ECRS: (0.8, 1.0, 0.12, 0.30),
    AncillaryType.NSPIN: (0.6, 0.8, 0.09, 0.30),
}
_TRIP_SD_MW = 600.0
_DEVIATION_SD_MW = 600.0
_NODE_STAY = 0.94
_NEGATIVE_POINT_SHARE = 0.7  # hourly persistence of a node's local constraint


@dataclass(frozen=True)
class DayAheadDay:
    """One day of DAM prices (rounded as ERCOT publishes them)."""

    price: NDArray[np.float64]
    """Settlement point prices (hours x points, $/MWh)."""
    ancillary: NDArray[np.float64]
    """MCPC of each ancillary product (hours x :data:`ANCILLARY`, $/MW)."""


def dam_posting(day: date, postings: list[Posting], cutoff_hour: int) -> Posting:
    """The posting the DAM for ``day`` used: the latest on ``day - 1`` at or before the cutoff."""
    cutoff = np.datetime64(day - timedelta(days=1)) + np.timedelta64(cutoff_hour, "h")
    known = [p for p in postings if p.local <= cutoff]
    if not known:
        raise AssertionError(f"no posting on {day - timedelta(days=1)} before {cutoff_hour}:00")
    return known[-1]


def _forecast_inputs(
    forecast: PostingForecast, rows: NDArray[np.intp]
) -> dict[str, NDArray[np.float64]]:
    load = forecast.in_use_load[rows]
    inputs = {c: load[:, i] for i, c in enumerate(LOAD_COLUMNS)}
    inputs["wind_gen_LZ_SOUTH_HOUSTON"] = forecast.wind[rows, 0]
    inputs["wind_gen_LZ_WEST"] = forecast.wind[rows, 1]
    inputs["solar_gen"] = forecast.solar[rows]
    return inputs


@dataclass(frozen=True)
class _Expectation:
    """What the DAM expects of real time for each hour of the day."""

    system_lambda: NDArray[np.float64]
    scarcity: NDArray[np.float64]
    utilisation: NDArray[np.float64]
    gas: NDArray[np.float64]
    lead_hours: NDArray[np.float64]


def _expectation(clock: DayClock, forecast: PostingForecast, params: MarketParams) -> _Expectation:
    p, supply = params.prices, params.supply
    rows = np.searchsorted(forecast.hours["utc"], clock.utc)
    at_posting = int(np.searchsorted(forecast.hours["utc"], forecast.posting.utc, side="right")) - 1
    all_net = forecast.in_use_load.sum(axis=1) - forecast.wind.sum(axis=1) - forecast.solar
    net_load = all_net[rows]
    ramp = net_load - all_net[rows - 1]
    # forced outages revert to their mean: the market knows that much about tomorrow
    lead = (clock.utc - forecast.posting.utc) / HOUR_S
    revert = np.exp(-lead / supply.outage_hours)
    outage_now = forecast.hours["outage_mw"][at_posting]
    outage = supply.outage_mw + (outage_now - supply.outage_mw) * revert
    outage_sd = supply.outage_sd_mw * np.sqrt(1 - revert**2)
    available = forecast.hours["planned_mw"][rows] - outage
    gas = np.full(clock.n_hours, forecast.hours["gas"][at_posting])
    reserve_sd = p.dam_risk_factor * np.sqrt(
        forecast.net_load_sd[rows] ** 2 + outage_sd**2 + _TRIP_SD_MW**2 + _DEVIATION_SD_MW**2
    )
    lam, adder = expected_lambda(net_load, available, gas, ramp, clock.local_hour, reserve_sd, p)
    spikes = expected_ramp_spike(clock.local_hour, p)
    return _Expectation(lam + spikes, adder + spikes, net_load / available, gas, lead)


def _ancillary(expect: _Expectation, rng: np.random.Generator) -> NDArray[np.float64]:
    """MCPC per hour and product: a base cost in gas plus a share of the expected scarcity."""
    surplus = np.clip((0.35 - expect.utilisation) / 0.2, 0, 1)
    draws = rng.standard_normal((len(expect.gas), len(ANCILLARY)))
    mcpc = np.column_stack(
        [
            (base + per_gas * expect.gas) * np.exp(sd * draws[:, i] - sd**2 / 2)
            + share * expect.scarcity
            + (12.0 * surplus if product is AncillaryType.REGDN else 0.0)
            for i, (product, (base, per_gas, share, sd)) in enumerate(_AS.items())
        ]
    )
    floored: NDArray[np.float64] = np.maximum(mcpc, 0.01)
    return np.round(floored, 2)


def dayahead_day(
    clock: DayClock,
    forecast: PostingForecast,
    points: Points,
    rt_state: RealTimeState,
    seed: int,
    params: MarketParams,
) -> DayAheadDay:
    """DAM settlement point prices and AS clearing prices of one day."""
    p = params.prices
    expect = _expectation(clock, forecast, params)
    evening = (clock.hour_ending >= 17) & (clock.hour_ending <= 21)
    rng = stream(seed, Stream.DAM, clock.day.toordinal())
    bid = ar1(rng.standard_normal(1), 0.8, rng.standard_normal((clock.n_hours, 1)))[:, 0]
    lam = expect.system_lambda * np.exp(p.dam_noise * bid - p.dam_noise**2 / 2)
    lam = np.where(lam < 0, p.dam_negative_share * lam, lam)
    lam = lam + p.dam_premium + p.dam_peak_premium * evening
    lam = np.clip(lam, PRICE_FLOOR, p.scarcity_cap)

    derated, node_active = rt_state.at(forecast.posting.utc)
    rows = np.searchsorted(forecast.hours["utc"], clock.utc)
    shadow = cg.shadow_prices(cg.constraint_drivers(_forecast_inputs(forecast, rows)), derated)
    hub_noise = ar1(rng.standard_normal(5), 0.7, rng.standard_normal((clock.n_hours, 5)))
    hub = lam[:, None] + cg.HUB_OFFSET + shadow @ cg.HUB_LOADINGS.T + 0.4 * hub_noise
    own = 0.1 * rng.standard_normal((clock.n_hours, FIXED))
    prices = [cg.fixed_point_prices(hub, own, points.n_fixed)]
    if points.n_nodes:
        stay = _NODE_STAY ** expect.lead_hours[:, None]
        regime = node_active[None, :] * stay + 0.06 * (1 - stay)
        basis = cg.NodeBasis(regime=regime, noise=np.zeros((clock.n_hours, points.n_nodes)))
        nodes = cg.node_prices(hub, shadow, points, basis, np.arange(clock.n_hours))
        noise = stream(seed, Stream.DAM, clock.day.toordinal(), 1).standard_normal(
            (points.n_nodes, clock.n_hours)
        )
        prices.append(nodes + 0.3 * noise.T)
    price = np.concatenate(prices, axis=1)
    # negative day-ahead prices are bid shy of real time's: congestion clears partly
    shy: NDArray[np.float64] = np.where(price < 0, _NEGATIVE_POINT_SHARE * price, price)
    price = np.round(shy, 2)
    return DayAheadDay(price=price, ancillary=_ancillary(expect, rng))
