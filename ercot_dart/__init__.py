"""ercot-dart: forecast ERCOT DART spreads (DAM price minus real-time price)."""

__version__ = "0.1.0"
