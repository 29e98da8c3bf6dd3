"""The calibration statistics and their rendering, on series whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ercot_dart.synth.calibration import (
    STATISTICS,
    compare_statistics,
    price_statistics,
    render_comparison,
)


def _hourly(values_by_point: dict[str, np.ndarray], rt: float = 0.0) -> pd.DataFrame:
    parts = []
    for point, values in values_by_point.items():
        utc = pd.date_range("2024-01-01", periods=len(values), freq="h", tz="UTC")
        parts.append(pd.DataFrame({"point": point, "utc": utc, "dam": values, "rt": rt}))
    return pd.concat(parts, ignore_index=True)


def test_statistics_are_per_point_then_averaged() -> None:
    hourly = _hourly({"A": np.full(100, 10.0), "B": np.full(100, 30.0)})
    stats = price_statistics(hourly)
    assert stats.loc["DAM", "mean"] == pytest.approx(20.0)
    assert stats.loc["DAM", "q50"] == pytest.approx(20.0)
    assert stats.loc["DART", "mean"] == pytest.approx(20.0)  # rt is 0
    assert list(stats.columns) == list(STATISTICS)


def test_autocorrelation_is_by_hour_lag_and_skips_missing_hours() -> None:
    daily = np.tile(np.sin(np.arange(24) / 24 * 2 * np.pi), 30)
    hourly = _hourly({"A": daily})
    hourly = hourly.drop(index=[5, 200, 400])  # gaps must not shift the lag
    stats = price_statistics(hourly)
    assert stats.loc["DAM", "ac24"] == pytest.approx(1.0)
    assert stats.loc["DAM", "ac1"] == pytest.approx(np.cos(2 * np.pi / 24), abs=2e-3)


def test_comparison_renders_as_a_markdown_table() -> None:
    rng = np.random.default_rng(0)
    a = _hourly({"A": rng.normal(20, 5, 500)}, rt=19.0)
    b = _hourly({"A": rng.normal(22, 6, 500)}, rt=20.0)
    table = compare_statistics(a, b)
    text = render_comparison(table)
    lines = text.splitlines()
    assert lines[0].startswith("| statistic | DART synthetic | DART real | DAM synthetic")
    assert len(lines) == 2 + len(STATISTICS)
    assert table.loc["mean", ("DAM", "real")] == pytest.approx(b["dam"].mean())
