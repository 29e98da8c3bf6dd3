"""The synthetic ERCOT market: all nine source tables, generated, so the system runs offline.

- :func:`write_market` streams a period into a source database (the ``synth`` command);
- :func:`iter_market_days` yields the same rows day by day as data frames (pure, no database);
- :func:`calibration_report` sets the synthetic hubs' price statistics beside ERCOT 2024
  (the ``calibrate`` command).

The generative model is described in ``docs/synthetic-market.md``.
"""

from ercot_dart.synth.calibration import calibration_report
from ercot_dart.synth.market import MarketDay, iter_market_days
from ercot_dart.synth.params import MarketParams, PostingParams
from ercot_dart.synth.points import resource_node_names, settlement_points
from ercot_dart.synth.writer import write_market

__all__ = [
    "MarketDay",
    "MarketParams",
    "PostingParams",
    "calibration_report",
    "iter_market_days",
    "resource_node_names",
    "settlement_points",
    "write_market",
]
