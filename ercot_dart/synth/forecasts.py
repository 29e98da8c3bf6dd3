"""Forecast postings: what ERCOT's load, wind and solar forecasts said at a posting time.

A forecast is the truth plus an error whose size grows with lead time. The error mixes a factor
shared by every posting for that hour (the weather forecast everyone had) with one of the
posting's own, both AR(1) in delivery time, so successive vintages converge on the outcome
without being independent draws. A posting is a pure function of (truth, posting time, seed):
the day-ahead market re-derives exactly the vintage the tables hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from ercot_dart.ercot.vocab import LoadForecastModel
from ercot_dart.synth.clock import HOUR_S, Posting
from ercot_dart.synth.params import PostingParams, RenewableParams
from ercot_dart.synth.renewables import CLOUD_DEPTH, CLOUD_SPREAD, WIND_SHARE, clearness
from ercot_dart.synth.rng import Stream, ar1, logistic, stream
from ercot_dart.synth.truth import LOAD_COLUMNS, WIND_HSL, ZETA_LOAD, ZETA_WIND, Hours, TruthBuffer

MODELS = tuple(LoadForecastModel)
# each model's bias and own noise (relative): the ensemble disagrees a little, X the most
_MODEL_BIAS: NDArray[np.float64] = np.array(
    [0.004, -0.003, 0.002, 0.0, -0.005, 0.003, 0.001, -0.008]
)
_MODEL_SD: NDArray[np.float64] = np.array([0.007, 0.007, 0.006, 0.005, 0.007, 0.006, 0.006, 0.012])
_IN_USE_CHOICE = (("E1", 0.55), ("E", 0.2), ("E2", 0.1), ("M", 0.1), ("A3", 0.05))
_SHARED = 0.7
_P80 = 0.84  # one-sided z of an 80% probability of exceedance


def load_error_sd(lead_hours: NDArray[np.float64]) -> NDArray[np.float64]:
    """Relative standard deviation of the load forecast error at a lead (h)."""
    return 0.006 + 0.032 * (1 - np.exp(-np.maximum(lead_hours, 0) / 45))


def wind_error_sd(lead_hours: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard deviation of the wind forecast error (fraction of installed capacity)."""
    return 0.010 + 0.13 * (1 - np.exp(-np.maximum(lead_hours, 0) / 110))


def cloud_error_sd(lead_hours: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard deviation of the cloud forecast error (units of the cloud weather's sd)."""
    return 0.12 + 0.9 * (1 - np.exp(-np.maximum(lead_hours, 0) / 60))


def in_use_model(seed: int, posted: date) -> int:
    """Index in :data:`MODELS` of the model in use for postings of the ISO week of ``posted``."""
    year, week, _ = posted.isocalendar()
    names = [name for name, _ in _IN_USE_CHOICE]
    weights = [weight for _, weight in _IN_USE_CHOICE]
    pick = stream(seed, Stream.IN_USE_MODEL, year * 100 + week).choice(len(names), p=weights)
    return MODELS.index(LoadForecastModel(names[pick]))


@dataclass(frozen=True)
class PostingForecast:
    """One posting's forecasts for the hours from ``history`` before it to the horizon."""

    posting: Posting
    hours: Hours
    """Truth of the window, in time order."""
    lead: NDArray[np.float64]
    """Hours from the posting to the end of each hour (<= 0: the hour is over)."""
    load: NDArray[np.float64]
    """Load forecast (hours x models x zones, MW)."""
    in_use: int
    """Index of the model in use."""
    wind: NDArray[np.float64]
    """STWPF by region (hours x regions, MW)."""
    wind_p80: NDArray[np.float64]
    """WGRPP by region (hours x regions, MW)."""
    wind_cop: NDArray[np.float64]
    """COP HSL by region (hours x regions, MW)."""
    solar: NDArray[np.float64]
    """STPPF (hours, MW)."""
    solar_p80: NDArray[np.float64]
    """PVGRPP (hours, MW)."""
    solar_cop: NDArray[np.float64]
    """COP HSL (hours, MW)."""
    net_load_sd: NDArray[np.float64]
    """Standard deviation of the in-use forecast's net-load error (hours, MW)."""

    @property
    def in_use_load(self) -> NDArray[np.float64]:
        """The model in use, hours x zones (MW)."""
        return self.load[:, self.in_use, :]


def _window(posting: Posting, p: PostingParams) -> tuple[int, int]:
    hour = posting.utc - posting.utc % HOUR_S
    return hour - p.history_hours * HOUR_S, hour + (p.horizon_hours + 1) * HOUR_S


def posting_forecast(
    truth: TruthBuffer,
    posting: Posting,
    seed: int,
    posting_params: PostingParams,
    renewables: RenewableParams,
) -> PostingForecast:
    """The forecasts posted at ``posting`` (needs the truth of the whole window)."""
    start, end = _window(posting, posting_params)
    hours = truth.hours(start, end)
    n = len(hours)
    if n != (end - start) // HOUR_S:
        raise AssertionError(f"truth does not cover posting {posting.local}")
    lead = (hours["utc"] + HOUR_S - posting.utc) / HOUR_S
    rng = stream(seed, Stream.FORECAST, posting.utc // 60)
    n_zones, n_models = len(LOAD_COLUMNS), len(MODELS)
    own = ar1(rng.standard_normal(1 + n_zones + 4), 0.93, rng.standard_normal((n, 1 + n_zones + 4)))
    models = ar1(rng.standard_normal(n_models), 0.9, rng.standard_normal((n, n_models)))
    cop_noise = rng.standard_normal((n, 4))
    mix = np.sqrt(1 - _SHARED**2)

    zeta = hours.stack(ZETA_LOAD)
    zone_err = _SHARED * (0.8 * zeta[:, :1] + 0.6 * zeta[:, 1:]) + mix * (
        0.8 * own[:, :1] + 0.6 * own[:, 1 : 1 + n_zones]
    )
    rel = load_error_sd(lead)[:, None] * zone_err
    rel = rel[:, None, :] + _MODEL_BIAS[None, :, None] + (_MODEL_SD * models)[:, :, None]
    load = hours.stack(LOAD_COLUMNS)[:, None, :] * (1 + rel)

    cap = renewables.wind_mw * WIND_SHARE
    wind_err = _SHARED * hours.stack(ZETA_WIND) + mix * own[:, 1 + n_zones : 4 + n_zones]
    w_sd = wind_error_sd(lead)[:, None] * cap
    wind = np.clip(hours.stack(WIND_HSL) + w_sd * (wind_err + 0.15), 0, 0.93 * cap)
    clear = hours["solar_clear"]
    # solar errs in the cloud weather, not in MW: a clear day cannot be forecast clearer
    c_sd = cloud_error_sd(lead)
    solar_err = _SHARED * hours["zeta_solar"] + mix * own[:, -1]
    cloud = hours["cloud"] + c_sd * solar_err
    solar = clear * clearness(hours["cloud_level"], cloud) * 0.985
    solar_p80 = clear * clearness(hours["cloud_level"], cloud + _P80 * c_sd) * 0.985
    shade = logistic(hours["cloud_level"] + CLOUD_SPREAD * cloud)
    solar_sd = clear * CLOUD_DEPTH * CLOUD_SPREAD * shade * (1 - shade) * c_sd
    load_sd = load[:, 0, :].sum(axis=1) * load_error_sd(lead)
    wind_sd = renewables.wind_mw * wind_error_sd(lead) * 0.9
    return PostingForecast(
        posting=posting,
        hours=hours,
        lead=lead,
        load=load,
        in_use=in_use_model(seed, posting.local.astype("datetime64[D]").item()),
        wind=wind,
        wind_p80=np.clip(wind - _P80 * w_sd, 0, None),
        wind_cop=np.clip(wind * (1 + 0.03 * cop_noise[:, :3]), 0, cap),
        solar=solar,
        solar_p80=solar_p80,
        solar_cop=np.clip(solar * (1 + 0.03 * cop_noise[:, 3]), 0, clear),
        net_load_sd=np.sqrt(load_sd**2 + wind_sd**2 + solar_sd**2),
    )
