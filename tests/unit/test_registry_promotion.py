"""The promotion rule: a candidate replaces the champion only if not worse on the same window."""

from __future__ import annotations

import math

import pytest

from ercot_dart.registry.promotion import Metric, should_promote

WINDOW = ["2024-10-01", "2024-10-31"]


def scored(metric: str, value: float, window: list[str] | None = WINDOW) -> dict:
    recent: dict = {"ensemble": {metric: value}}
    if window:
        recent["window"] = window
    return {"metrics": {"recent": recent}}


def test_without_a_champion_the_candidate_is_promoted() -> None:
    ok, reason = should_promote(scored("mae", 9.0), None)
    assert ok
    assert "no champion" in reason


def test_reason_states_both_scores_and_the_window() -> None:
    ok, reason = should_promote(scored("mae", 7.91), scored("mae", 8.02, None))
    assert ok
    assert reason == "mae 7.91 ≤ champion 8.02 on 2024-10-01..2024-10-31"


def test_a_worse_mae_is_refused() -> None:
    ok, reason = should_promote(scored("mae", 8.3), scored("mae", 8.02))
    assert not ok
    assert reason.startswith("mae 8.3 > champion 8.02")


def test_an_equal_score_is_not_worse() -> None:
    assert should_promote(scored("rmse", 12.0), scored("rmse", 12.0), metric="rmse")[0]


def test_tolerance_admits_a_slightly_worse_candidate() -> None:
    ok, reason = should_promote(scored("mae", 8.05), scored("mae", 8.0), tolerance=0.1)
    assert ok
    assert "tolerance 0.1" in reason
    assert not should_promote(scored("mae", 8.2), scored("mae", 8.0), tolerance=0.1)[0]


def test_negative_tolerance_requires_a_margin() -> None:
    assert not should_promote(scored("mae", 7.95), scored("mae", 8.0), tolerance=-0.1)[0]
    assert should_promote(scored("mae", 7.85), scored("mae", 8.0), tolerance=-0.1)[0]


@pytest.mark.parametrize("metric", [m for m in Metric if m.higher_is_better])
def test_higher_is_better_for_accuracy_r2_and_pnl(metric: str) -> None:
    assert should_promote(scored(metric, 0.6), scored(metric, 0.5), metric=metric)[0]
    assert not should_promote(scored(metric, 0.4), scored(metric, 0.5), metric=metric)[0]


@pytest.mark.parametrize("metric", [m for m in Metric if not m.higher_is_better])
def test_lower_is_better_for_errors(metric: str) -> None:
    assert should_promote(scored(metric, 0.4), scored(metric, 0.5), metric=metric)[0]
    assert not should_promote(scored(metric, 0.6), scored(metric, 0.5), metric=metric)[0]


def test_a_candidate_without_a_finite_score_is_refused() -> None:
    ok, reason = should_promote(scored("mae", math.nan), scored("mae", 8.0))
    assert not ok
    assert "nan" in reason


def test_an_unknown_metric_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown promotion metric 'mape'.*sign_accuracy"):
        should_promote(scored("mae", 1.0), None, metric="mape")


def test_a_missing_score_names_its_place() -> None:
    with pytest.raises(ValueError, match=r"champion has no metrics\.recent\.ensemble\.rmse"):
        should_promote(scored("rmse", 1.0), scored("mae", 1.0), metric="rmse")
