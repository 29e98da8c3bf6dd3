"""Prefect tasks: one unit of I/O or computation each; the work itself lives in ``ercot_dart``."""
