"""Closed ERCOT vocabularies as ``StrEnum``s."""

from __future__ import annotations

from enum import StrEnum


class SourceTable(StrEnum):
    """The nine source tables, one per ERCOT report."""

    DAM_SPP = "dam_spp"
    RTM_SPP = "rtm_spp"
    SCED_LMP = "sced_lmp"
    SCED_SYSTEM_LAMBDA = "sced_system_lambda"
    LOAD_FORECAST = "load_forecast"
    ACTUAL_LOAD = "actual_load"
    WIND_POWER = "wind_power"
    SOLAR_POWER = "solar_power"
    DAM_AS_PRICES = "dam_as_prices"


class Report(StrEnum):
    """ERCOT report ids (EMIL ids) of the reports the tables mirror."""

    DAM_SPP = "NP4-190-CD"
    RTM_SPP = "NP6-905-CD"
    SCED_LMP = "NP6-788-CD"
    SCED_SYSTEM_LAMBDA = "NP6-322-CD"
    LOAD_FORECAST = "NP3-565-CD"
    ACTUAL_LOAD = "NP6-345-CD"
    WIND_POWER = "NP4-732-CD"
    WIND_POWER_REGIONAL = "NP4-742-CD"
    SOLAR_POWER = "NP4-737-CD"
    SOLAR_POWER_REGIONAL = "NP4-745-CD"
    DAM_AS_PRICES = "NP4-188-CD"
    RTM_AS_PRICES = "NP6-331-CD"
    LOAD_ARCHIVE = "NATIVE-LOAD-ARCHIVE"


class SettlementPointType(StrEnum):
    """Settlement point types as ERCOT labels them in NP6-905-CD."""

    HUB = "HU"
    BUS_AVERAGE_HUB = "SH"
    HUB_AVERAGE = "AH"
    LOAD_ZONE = "LZ"
    LOAD_ZONE_ENERGY_WEIGHTED = "LZEW"
    LOAD_ZONE_DC = "LZ_DC"
    LOAD_ZONE_DC_ENERGY_WEIGHTED = "LZ_DCEW"
    RESOURCE_NODE = "RN"
    PCC_RESOURCE_NODE = "PCCRN"
    LCC_RESOURCE_NODE = "LCCRN"
    PUN = "PUN"


class AncillaryType(StrEnum):
    """Day-ahead ancillary service products (NP4-188-CD)."""

    REGUP = "REGUP"
    REGDN = "REGDN"
    RRS = "RRS"
    ECRS = "ECRS"
    NSPIN = "NSPIN"


class WeatherZone(StrEnum):
    """ERCOT weather zones as NP6-345-CD (actual load) names them."""

    COAST = "COAST"
    EAST = "EAST"
    FAR_WEST = "FAR_WEST"
    NORTH = "NORTH"
    NORTH_C = "NORTH_C"
    SOUTHERN = "SOUTHERN"
    SOUTH_C = "SOUTH_C"
    WEST = "WEST"


class LoadForecastModel(StrEnum):
    """Load forecast models posted in NP3-565-CD; the one in use has InUseFlag = Y."""

    A3 = "A3"
    A6 = "A6"
    E = "E"
    E1 = "E1"
    E2 = "E2"
    E3 = "E3"
    M = "M"
    X = "X"
