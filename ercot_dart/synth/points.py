"""The settlement points of the synthetic market and where each sits on the grid.

``--points N`` takes the first N names of a fixed order: the five trading hubs, the two hub
averages, the eight load zones, then resource nodes. Resource-node names look like ERCOT's
(``CEDROHIL_CHW1``, ``ABINDUST_RN``) and, with each node's technology, home hub and exposure to
congestion, depend only on the node's index: the grid is the same for every seed and N, the
seed only drives the weather and the market on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from ercot_dart.ercot.vocab import SettlementPointType as SPType

HUBS = ("HB_HOUSTON", "HB_NORTH", "HB_SOUTH", "HB_WEST", "HB_PAN")
HUB_AVERAGES = (("HB_BUSAVG", SPType.BUS_AVERAGE_HUB), ("HB_HUBAVG", SPType.HUB_AVERAGE))
LOAD_ZONES = (
    "LZ_HOUSTON",
    "LZ_NORTH",
    "LZ_SOUTH",
    "LZ_WEST",
    "LZ_AEN",
    "LZ_CPS",
    "LZ_LCRA",
    "LZ_RAYBN",
)
FIRST_LOAD_ZONE = len(HUBS) + len(HUB_AVERAGES)
FIXED = FIRST_LOAD_ZONE + len(LOAD_ZONES)

# Each load zone's price as a blend of the five hubs (HOUSTON, NORTH, SOUTH, WEST, PAN).
LOAD_ZONE_MIX: NDArray[np.float64] = np.array(
    [
        [0.97, 0.03, 0.00, 0.00, 0.00],
        [0.00, 0.95, 0.02, 0.03, 0.00],
        [0.03, 0.00, 0.97, 0.00, 0.00],
        [0.00, 0.12, 0.00, 0.80, 0.08],
        [0.05, 0.35, 0.60, 0.00, 0.00],
        [0.00, 0.05, 0.95, 0.00, 0.00],
        [0.00, 0.30, 0.55, 0.15, 0.00],
        [0.00, 0.92, 0.00, 0.04, 0.04],
    ]
)

# The four hubs whose average is HB_HUBAVG (and, up to bus weights, HB_BUSAVG).
AVERAGED_HUBS: NDArray[np.int64] = np.array([0, 1, 2, 3])

_SYLLABLES = [
    "CED",
    "ROH",
    "IL",
    "BRA",
    "ZOS",
    "SAN",
    "DEC",
    "KER",
    "LIM",
    "EST",
    "ONE",
    "PEC",
    "OS",
    "WIL",
    "LOW",
    "SWE",
    "ETW",
    "AT",
    "NOR",
    "TEX",
    "HAR",
    "GRO",
    "VAL",
    "LEY",
    "MAR",
    "FA",
    "BUF",
    "GAP",
    "BLU",
    "SKY",
    "RAN",
    "CHO",
    "OAK",
    "CRK",
    "MES",
    "QUI",
    "TRE",
    "TAY",
    "LOR",
    "KIN",
    "ELM",
    "ROS",
    "HIC",
    "DRA",
    "COL",
    "ORA",
    "JAC",
    "ALV",
    "ABI",
    "NDU",
    "ST",
    "ADL",
    "GOL",
    "DEN",
    "SPR",
    "ING",
    "HOL",
    "LOW",
    "BIG",
    "LAK",
    "RED",
    "MOU",
    "NTN",
    "PRA",
    "IRE",
]

# technology: (unit suffixes, share of nodes, home-hub weights H/N/S/W/P)
_TECHS = {
    "wind": (("WND1", "WND2", "CHW1", "WIND_1", "ALL"), 0.28, (0.02, 0.10, 0.22, 0.40, 0.26)),
    "solar": (("SLR1", "SLR2", "PV1", "SOLAR1", "ALL"), 0.26, (0.02, 0.18, 0.20, 0.50, 0.10)),
    "storage": (("ESR1", "BES1", "BESS_1"), 0.14, (0.25, 0.30, 0.25, 0.15, 0.05)),
    "thermal": (
        ("CC1", "CT1", "GT1", "ST1", "UNIT1", "U1", "RN"),
        0.32,
        (0.34, 0.34, 0.24, 0.08, 0.00),
    ),
}
TECHS = tuple(_TECHS)
_NAME_SEED = 20_240_101


@dataclass(frozen=True)
class Points:
    """The settlement points of a run, in ``--points`` order."""

    names: NDArray[np.object_]
    """Settlement point names (object array of str)."""
    types: NDArray[np.object_]
    """Each name's SettlementPointType (LZ for load zones; rtm_spp adds an LZEW twin)."""
    n_fixed: int
    """How many of the names are hubs, hub averages and load zones (the rest are nodes)."""
    home_hub: NDArray[np.int64]
    """Resource nodes: index of the hub the node's price follows."""
    tech: NDArray[np.int64]
    """Resource nodes: index into :data:`TECHS`."""
    offset: NDArray[np.float64]
    """Resource nodes: persistent basis to the home hub ($/MWh)."""
    exposure: NDArray[np.float64]
    """Resource nodes: multiplier of the home hub's congestion loadings."""
    local_size: NDArray[np.float64]
    """Resource nodes: signed size of the node's own congestion when it binds ($/MWh)."""

    @property
    def n_nodes(self) -> int:
        return len(self.home_hub)

    def __len__(self) -> int:
        return len(self.names)


def _site_name(rng: np.random.Generator) -> str:
    parts = rng.choice(_SYLLABLES, size=rng.integers(2, 4))
    site = "".join(parts)[:8]
    if rng.random() < 0.15:
        site = f"{site[:7]}{rng.integers(1, 10)}"
    if rng.random() < 0.05:
        site = f"{rng.integers(1, 10)}{site[:7]}"
    return site


@lru_cache(maxsize=8)
def _nodes(n: int) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The first ``n`` node names and technologies (a prefix of any longer list)."""
    rng = np.random.default_rng(_NAME_SEED)
    shares = np.array([spec[1] for spec in _TECHS.values()])
    names: list[str] = []
    techs: list[int] = []
    seen: set[str] = set(HUBS) | set(LOAD_ZONES) | {name for name, _ in HUB_AVERAGES}
    while len(names) < n:
        tech = int(rng.choice(len(TECHS), p=shares / shares.sum()))
        suffix = str(rng.choice(_TECHS[TECHS[tech]][0]))
        name = f"{_site_name(rng)}_{suffix}"
        if name not in seen:
            seen.add(name)
            names.append(name)
            techs.append(tech)
    return tuple(names), tuple(techs)


def resource_node_names(n: int) -> list[str]:
    """ERCOT-like resource node names; the first k are the same for any ``n >= k``."""
    return list(_nodes(n)[0])


def settlement_points(n: int) -> Points:
    """The first ``n`` settlement points: hubs, hub averages, load zones, resource nodes."""
    if n < 1:
        raise ValueError(f"points={n}: need at least 1 settlement point")
    fixed = [(h, SPType.HUB) for h in HUBS] + list(HUB_AVERAGES)
    fixed += [(z, SPType.LOAD_ZONE) for z in LOAD_ZONES]
    node_names, techs = _nodes(max(n - FIXED, 0))
    listed = (fixed + [(name, SPType.RESOURCE_NODE) for name in node_names])[:n]
    home, offset, exposure, local = [], [], [], []
    for i, tech in enumerate(techs):
        rng = np.random.default_rng([_NAME_SEED, i])
        home.append(rng.choice(5, p=_TECHS[TECHS[tech]][2]))
        offset.append(rng.normal(0.0, 1.2) - (0.8 if TECHS[tech] in ("wind", "solar") else 0.0))
        exposure.append(rng.lognormal(0.0, 0.35))
        sign = -1.0 if TECHS[tech] in ("wind", "solar") or rng.random() < 0.4 else 1.0
        local.append(sign * (3.0 + 6.0 * rng.pareto(2.2)))
    return Points(
        names=np.array([name for name, _ in listed], dtype=object),
        types=np.array([str(t) for _, t in listed], dtype=object),
        n_fixed=min(n, FIXED),
        home_hub=np.array(home, dtype=np.int64),
        tech=np.array(techs, dtype=np.int64),
        offset=np.array(offset),
        exposure=np.array(exposure),
        local_size=np.array(local),
    )
