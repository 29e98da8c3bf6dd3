"""The walk-forward backtest: promised prediction format, training only on data published
before each window."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest
from click.testing import CliRunner

from ercot_dart.cli import main
from ercot_dart.models import backtest as bt
from ercot_dart.models.backtest import BacktestError, run_backtest, windows
from inference.scoring import PREDICTION_COLUMNS


def test_backtest_writes_the_prediction_format_with_metrics(small_store, request_small):
    request = replace(request_small, models=["lightgbm"])
    result = run_backtest(
        request, date(2024, 8, 1), date(2024, 8, 20), retrain_every=10, valid_days=14
    )
    frame = result.predictions
    assert frame.columns.tolist() == PREDICTION_COLUMNS
    assert set(frame["model"]) == {"lightgbm", "ensemble"}
    assert set(frame["bundle_id"]) == {"backtest-20240801", "backtest-20240811"}
    assert (
        frame["dst_flag"].isin(["Y", "N"]).all()
        and frame["hour_ending_local"].str.match(r"^\d\d:00$").all()
    )
    assert len(result.windows) == 2 and {"ensemble", "baseline_same_hour_median_7d"} <= set(
        result.overall
    )


def test_each_window_trains_only_on_days_whose_targets_were_published(
    small_store, request_small, monkeypatch
):
    seen = []
    real_prepare = bt.prepare

    def spy(request, split=None, frame=None):
        seen.append(split)
        return real_prepare(request, split, frame)

    refits = []
    real_refit = bt.refit

    def refit_spy(prepared, model, last=None):
        refitted = real_refit(prepared, model, last)
        refits.append((prepared.days, last, refitted.info["rows"], len(prepared.up_to(last))))
        return refitted

    monkeypatch.setattr(bt, "prepare", spy)
    monkeypatch.setattr(bt, "refit", refit_spy)
    run_backtest(
        replace(request_small, models=["lightgbm"], refit=True),
        date(2024, 8, 1),
        date(2024, 8, 12),
        retrain_every=6,
        valid_days=14,
    )
    for split in seen:
        # rows of day W are issued at 09:00 on W − 1: the last labelled day used is W − 2
        assert (split.test[0] - split.valid[1]).days == 2
        assert split.train[1] < split.valid[0]
    # each window is predicted by refits on every day up to W − 2, its validation days included
    assert [days for days, *_ in refits] == seen
    for days, last, rows, expected in refits:
        assert last == days.valid[1] and rows == expected


def test_the_refit_predicts_the_window_and_the_held_out_fit_calibrates_the_bands(
    small_store, request_small
):
    request = replace(request_small, models=["lightgbm"])
    runs = {
        refit: run_backtest(
            replace(request, refit=refit), date(2024, 8, 1), date(2024, 8, 10), 10, 14
        ).predictions
        for refit in (True, False)
    }
    assert not runs[True]["prediction"].equals(runs[False]["prediction"])
    # the bands come from the same calibration (the held-out fit's residuals on valid): their
    # widths around each prediction are the same whichever model predicts
    width = {k: (v["p90"] - v["p10"]).round(6) for k, v in runs.items()}
    assert (width[True] > 0).all()
    pd.testing.assert_series_equal(width[True], width[False])


def test_bad_windows_are_refused():
    with pytest.raises(BacktestError, match="before --start"):
        windows(date(2024, 2, 1), date(2024, 1, 1), 7)
    assert windows(date(2024, 1, 1), date(2024, 1, 10), 4)[-1] == (
        date(2024, 1, 9),
        date(2024, 1, 10),
    )


def test_backtest_cli(small_store, tmp_path):
    out = tmp_path / "bt.parquet"
    result = CliRunner().invoke(
        main,
        [
            "backtest",
            "--store",
            str(small_store),
            "--start",
            "2024-08-10",
            "--end",
            "2024-08-16",
            "--retrain-every",
            "7",
            "--models",
            "xgboost",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 window(s)" in result.output
    scored = pd.read_parquet(out)
    assert scored.columns.tolist() == PREDICTION_COLUMNS
    ensemble = scored[scored["model"] == "ensemble"]  # the summary counts (point, hour) pairs
    assert f"{len(ensemble):,} point-hours: ensemble MAE" in result.output
    assert out.with_suffix(".metrics.json").is_file()
    bad = CliRunner().invoke(
        main,
        [
            "backtest",
            "--store",
            str(small_store),
            "--start",
            "2024-08-10",
            "--end",
            "2024-08-16",
            "--out",
            str(tmp_path / "x.csv"),
        ],
    )
    assert bad.exit_code != 0 and "must end in .parquet" in bad.output


def test_train_cli_takes_the_quick_and_search_options():
    result = CliRunner().invoke(main, ["train", "--help"])
    assert (
        result.exit_code == 0 and "--quick" in result.output and "--search-seconds" in result.output
    )
