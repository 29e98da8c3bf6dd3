"""Parameters of the synthetic market, tuned against ERCOT 2024 (see docs/synthetic-market.md).

Grouped by stage of the generative model; every field has a one-line docstring with its unit.
The defaults are the calibrated market; tests and benchmarks override only the posting cadence.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
class PostingParams:
    """When forecasts are posted and what they cover."""

    cadence_hours: int = 6
    """Hours between forecast postings (load, wind, solar); must divide 24."""
    horizon_hours: int = 168
    """Hours ahead each posting forecasts."""
    history_hours: int = 48
    """Hours of actuals (GEN columns) each wind/solar posting repeats."""
    dam_cutoff_hour: int = 10
    """The DAM for day D uses the latest posting at or before this local hour on D - 1."""

    def __post_init__(self) -> None:
        if self.cadence_hours < 1 or 24 % self.cadence_hours:
            raise ValueError(
                f"cadence_hours={self.cadence_hours}: use a divisor of 24 (1, 2, 3, 4, 6, 8, 12, 24)"
            )
        if not 1 <= self.horizon_hours <= 168:
            raise ValueError(f"horizon_hours={self.horizon_hours}: use 1..168")
        if not 0 <= self.history_hours <= 48:
            raise ValueError(f"history_hours={self.history_hours}: use 0..48")
        if self.dam_cutoff_hour < self.cadence_hours:
            raise ValueError(
                f"dam_cutoff_hour={self.dam_cutoff_hour} is before the first posting of the day "
                f"(cadence {self.cadence_hours} h): raise it or shorten the cadence"
            )


@dataclass(frozen=True, kw_only=True)
class WeatherParams:
    """Temperature anomalies and the load's response to them."""

    anomaly_hours: float = 60.0
    """Correlation time of the system-wide temperature anomaly (h)."""
    anomaly_sd_summer: float = 1.7
    """Standard deviation of the temperature anomaly in July (deg C)."""
    anomaly_sd_winter: float = 4.6
    """Standard deviation of the temperature anomaly in January (deg C)."""
    zone_anomaly_sd: float = 0.8
    """Standard deviation of each zone's own anomaly (deg C)."""
    load_noise_sd: float = 0.015
    """Relative standard deviation of load not explained by weather and calendar."""


@dataclass(frozen=True, kw_only=True)
class RenewableParams:
    """Installed wind and solar and their weather."""

    wind_mw: float = 39_000.0
    """Installed wind capacity (MW)."""
    wind_hours: float = 30.0
    """Correlation time of the wind weather (h)."""
    solar_mw: float = 24_500.0
    """Installed solar capacity (MW, AC)."""
    cloud_hours: float = 24.0
    """Correlation time of cloud cover (h)."""


@dataclass(frozen=True, kw_only=True)
class SupplyParams:
    """Dispatchable supply: capacity, outages, fuel."""

    thermal_mw: float = 84_000.0
    """Dispatchable capacity incl. storage discharge before maintenance and outages (MW)."""
    maintenance_spring: float = 0.19
    """Fraction of thermal capacity on planned maintenance at the spring trough (April)."""
    maintenance_fall: float = 0.15
    """Fraction on planned maintenance at the autumn trough (late October)."""
    maintenance_winter: float = 0.07
    """Fraction on planned maintenance in winter."""
    outage_mw: float = 4_500.0
    """Mean forced outages (MW)."""
    outage_sd_mw: float = 2_600.0
    """Standard deviation of forced outages (MW)."""
    outage_hours: float = 30.0
    """Correlation time of forced outages (h)."""
    freeze_mw_per_degree: float = 900.0
    """Extra forced outages per deg C of system temperature below -2 deg C (MW)."""
    gas_price: float = 1.8
    """Mean gas price ($/MMBtu)."""
    gas_sd: float = 0.22
    """Standard deviation of log gas price."""
    gas_days: float = 20.0
    """Correlation time of the gas price (days)."""
    gas_cold_premium: float = 0.05
    """Log gas-price increase per deg C of cold anomaly in winter."""


@dataclass(frozen=True, kw_only=True)
class PriceParams:
    """The supply curve, scarcity pricing and the day-ahead market."""

    heat_rate_base: float = 4.0
    """Flat part of the stack's cost in gas units (MMBtu/MWh)."""
    heat_rate_peak: float = 50.0
    """Stack cost at full utilisation in gas units, above the flat part (MMBtu/MWh)."""
    heat_rate_curvature: float = 4.6
    """Curvature of the stack: exp(curvature * (utilisation - 1))."""
    vom: float = 3.0
    """Variable O&M added to every marginal cost ($/MWh)."""
    surplus_utilisation: float = 0.24
    """Utilisation below which renewables are on the margin and prices fall."""
    surplus_slope: float = 150.0
    """Fall of the price per unit of utilisation below the surplus point ($/MWh)."""
    price_floor: float = -35.0
    """Lowest system lambda reached by renewables' offers ($/MWh)."""
    scarcity_cap: float = 5_000.0
    """High system-wide offer cap: the capped system lambda never exceeds it ($/MWh)."""
    scarcity_reserve_mw: float = 3_000.0
    """Reserves at which the scarcity adder reaches half the cap (MW)."""
    scarcity_scale_mw: float = 1_000.0
    """Width of the scarcity (logistic) curve (MW)."""
    offer_noise: float = 0.2
    """Relative noise of real-time offers around the curve (5-minute, ~45-minute memory)."""
    offer_noise_tight: float = 0.6
    """Extra relative offer noise when utilisation is high (evening peaks, batteries pricing)."""
    ramp_spikes_per_day: float = 1.5
    """Mean number of short, unforecastable price spikes per day (ramps, trips)."""
    ramp_spike_scale: float = 40.0
    """Scale of a ramp spike's height (Pareto, $/MWh)."""
    ramp_price: float = 10.0
    """Price of net-load ramps beyond ``ramp_free_mw`` per hour ($/MWh per GW/h)."""
    ramp_free_mw: float = 2_500.0
    """Net-load ramp the fleet follows at no extra cost (MW/h)."""
    ramp_tight_gain: float = 5.0
    """How much more a ramp costs when the system is tight (multiplier at full tightness)."""
    flexible_load_mw: float = 3_000.0
    """Large flexible loads (miners, industry) that curtail as reserves run out (MW)."""
    trip_per_day: float = 0.8
    """Mean number of sudden unit trips per day."""
    trip_mw: float = 1_400.0
    """Mean size of a unit trip (MW; lognormal: now and then several units go together)."""
    dam_premium: float = 0.0
    """Flat day-ahead premium over expected real time ($/MWh)."""
    dam_peak_premium: float = 2.0
    """Extra day-ahead premium in the evening ramp, HE17-HE21 ($/MWh)."""
    dam_risk_factor: float = 1.1
    """The DAM prices scarcity as if reserves were this much more uncertain than they are."""
    dam_negative_share: float = 0.25
    """Share of a negative expected price the DAM clears at (bids shy away from negatives)."""
    dam_noise: float = 0.08
    """Relative noise of day-ahead bids around expected real time."""


@dataclass(frozen=True, kw_only=True)
class MarketParams:
    """All parameters of the synthetic market."""

    posting: PostingParams = field(default_factory=PostingParams)
    weather: WeatherParams = field(default_factory=WeatherParams)
    renewables: RenewableParams = field(default_factory=RenewableParams)
    supply: SupplyParams = field(default_factory=SupplyParams)
    prices: PriceParams = field(default_factory=PriceParams)
