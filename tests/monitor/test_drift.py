"""Drift: PSI and the two-sample KS test per column, and which columns count as drifted."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from ercot_dart.monitor.drift import DRIFT_COLUMNS, drift_table, ks_2samp, psi


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261129)


def kolmogorov_sf(lam: float) -> float:
    """P(K > lam) for the Kolmogorov distribution: 2 Σ (−1)^(k−1) exp(−2 k² lam²)."""
    k = np.arange(1, 101)
    return float(2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k**2 * lam**2)))


def test_psi_is_near_zero_for_the_same_distribution(rng: np.random.Generator) -> None:
    assert psi(rng.normal(0, 1, 5000), rng.normal(0, 1, 5000)) < 0.02


def test_psi_is_large_for_a_shifted_distribution(rng: np.random.Generator) -> None:
    assert psi(rng.normal(0, 1, 5000), rng.normal(1.0, 1, 5000)) > 0.25


def test_psi_matches_the_formula_on_two_bins() -> None:
    # reference 0..99 splits at its median 49.5; current puts 75% below it and 25% above
    current = np.r_[np.zeros(75), np.full(25, 99.0)]
    expected = 0.25 * math.log(0.75 / 0.5) + (-0.25) * math.log(0.25 / 0.5)
    assert psi(np.arange(100.0), current, bins=2) == pytest.approx(expected)


def test_psi_drops_nan_and_inf(rng: np.random.Generator) -> None:
    reference, current = rng.normal(0, 1, 2000), rng.normal(0.5, 1, 2000)
    dirty = np.r_[current, np.nan, np.inf, -np.inf]
    assert psi(np.r_[reference, np.nan], dirty) == pytest.approx(psi(reference, current))


def test_psi_of_values_outside_the_reference_range_counts_in_the_outer_bins() -> None:
    assert psi(np.arange(100.0), np.full(100, 1e6)) > 5


def test_psi_handles_a_constant_reference() -> None:
    assert psi(np.zeros(100), np.zeros(100)) == pytest.approx(0.0)
    assert psi(np.zeros(100), np.ones(100)) > 5


def test_psi_is_nan_when_a_side_has_no_finite_value() -> None:
    assert math.isnan(psi(np.array([np.nan, np.inf]), np.arange(10.0)))
    assert math.isnan(psi(np.arange(10.0), np.array([])))


def test_psi_needs_two_bins() -> None:
    with pytest.raises(ValueError, match="bins"):
        psi(np.arange(10.0), np.arange(10.0), bins=1)


def test_ks_of_disjoint_samples_has_the_exact_p_value() -> None:
    # D = 1; exactly 2 of the C(6, 3) = 20 equally likely orderings are as extreme
    statistic, pvalue = ks_2samp(np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0]))
    assert statistic == 1.0
    assert pvalue == pytest.approx(0.1)


def test_ks_of_large_samples_follows_the_kolmogorov_distribution(
    rng: np.random.Generator,
) -> None:
    reference, current = rng.normal(0, 1, 20_000), rng.normal(0.03, 1, 15_000)
    statistic, pvalue = ks_2samp(reference, current)
    ecdf_gap = max(
        abs(np.mean(reference <= x) - np.mean(current <= x))
        for x in np.r_[reference, current][::50]
    )
    assert statistic == pytest.approx(ecdf_gap, abs=2e-3)
    n = len(reference) * len(current) / (len(reference) + len(current))
    assert pvalue == pytest.approx(kolmogorov_sf(math.sqrt(n) * statistic), rel=0.05)


def test_ks_ignores_nan_and_is_nan_without_data() -> None:
    a, b = np.array([1.0, 2.0, 3.0, np.nan]), np.array([4.0, 5.0, 6.0, np.inf])
    assert ks_2samp(a, b) == pytest.approx((1.0, 0.1))
    assert all(math.isnan(v) for v in ks_2samp(np.array([]), b))


@pytest.fixture
def windows(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    reference = pd.DataFrame(
        {
            "stable": rng.normal(0, 1, 3000),
            "shifted": rng.normal(0, 1, 3000),
            "sparse": rng.normal(0, 1, 3000),
        }
    )
    current = pd.DataFrame(
        {
            "stable": rng.normal(0, 1, 400),
            "shifted": rng.normal(1.5, 1, 400),
            "sparse": np.r_[rng.normal(5, 1, 30), np.full(370, np.nan)],
        }
    )
    return reference, current


def test_drift_table_flags_a_shifted_column_and_not_a_stable_one(
    windows: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    table = drift_table(*windows, ["stable", "shifted"]).set_index("feature")
    assert bool(table.at["shifted", "drifted"]) is True
    assert bool(table.at["stable", "drifted"]) is False
    assert table.at["shifted", "psi"] > 0.25 and table.at["shifted", "ks_pvalue"] < 0.01


def test_drift_table_has_its_columns_sorted_by_psi_descending(
    windows: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    table = drift_table(*windows, ["stable", "sparse", "shifted"], min_rows=10)
    assert list(table.columns) == DRIFT_COLUMNS
    assert table["psi"].is_monotonic_decreasing
    assert table["drifted"].dtype == bool


def test_drift_table_does_not_judge_columns_with_too_few_rows(
    windows: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    table = drift_table(*windows, ["sparse", "shifted"], min_rows=50)
    assert table["feature"].tolist() == ["shifted", "sparse"]  # unjudged last
    sparse = table.set_index("feature").loc["sparse"]
    assert sparse[["psi", "ks_statistic", "ks_pvalue"]].isna().all()
    assert not sparse["drifted"]
    assert (sparse["reference_rows"], sparse["current_rows"]) == (3000, 30)
    # the same 30 rows are judged (and drifted: mean 5 vs 0) when few rows are enough
    assert drift_table(*windows, ["sparse"], min_rows=30)["drifted"].iloc[0]


def test_drift_needs_both_psi_and_ks_to_agree(rng: np.random.Generator) -> None:
    # a tiny shift on many rows: KS rejects, PSI says stable, so not drifted
    reference = pd.DataFrame({"x": rng.normal(0, 1, 50_000)})
    current = pd.DataFrame({"x": rng.normal(0.05, 1, 50_000)})
    row = drift_table(reference, current, ["x"]).iloc[0]
    assert row["ks_pvalue"] < 0.01 and row["psi"] < 0.1
    assert not row["drifted"]


def test_drift_table_of_no_columns_is_empty_with_its_columns(
    windows: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    table = drift_table(*windows, [])
    assert table.empty and list(table.columns) == DRIFT_COLUMNS


def test_drift_table_names_columns_missing_from_a_window(
    windows: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    with pytest.raises(ValueError, match="nope"):
        drift_table(*windows, ["stable", "nope"])
