"""Skill on real ERCOT data: five hubs, 2024, the models against both baselines.

Imports ``shared/data/ercot-real/public-api-2024`` into a fresh SQLite file, builds the feature
store, trains on delivery days through 2024-10-31 (train through 2024-09-30, validation in
October, with a 7-day gap) and tests on 2024-11-01 .. 2025-02-25. Run for the default issue time
(09:00 Central, when the day-ahead wind and solar forecasts of these files, posted at 09:55, are
not yet known) and, with --issue-time, for another.

Besides the forecasts it prints a *hindsight* reference that is not a forecast: the median DART
of the test period itself by hour ending (and by hour ending and month), the best any
hour-of-day profile could do. It shows how much of the error no seasonal shape can remove.

    .venv/bin/python benchmarks/skill_real.py [--issue-time 09:00] [--models lightgbm,xgboost,lstm]
        [--cache DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from datetime import time as clock
from pathlib import Path

import pandas as pd

from ercot_dart.db.engine import make_engine
from ercot_dart.features.asof import AsOfRules, local_day
from ercot_dart.features.pipeline import update_features
from ercot_dart.importer import import_paths
from ercot_dart.models.base import ModelConfig
from ercot_dart.models.metrics import metrics
from ercot_dart.models.training import TrainRequest, evaluate, fit, prepare

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "ercot-real" / "public-api-2024"
METRICS = ["mae", "rmse", "r2", "smape", "sign_accuracy", "coverage_p10_p90", "pnl_per_mwh"]
BASE = "baseline_same_hour_median_7d"


def build_store(root: Path, rules: AsOfRules) -> Path:
    """Import the real files and build the feature store under ``root`` (once)."""
    if not (root / "features").is_dir():
        root.mkdir(parents=True, exist_ok=True)
        engine = make_engine(f"sqlite:///{root / 'real.sqlite'}")
        assert all(r.ok for r in import_paths(engine, [REAL]))
        update_features(str(engine.url), root / "stage", root / "features", rules)
    return root / "features"


def hindsight(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """MAE and sign accuracy of the test period's own median DART by hour ending (and by hour
    ending and month): a ceiling for hour-of-day profiles, not a forecast."""
    y = frame["dart"].to_numpy("float64")
    month = pd.DatetimeIndex(local_day(frame["interval_start_utc"])).month.to_numpy()
    out = {}
    for label, keys in (
        ("hour ending", [frame["hour_ending"]]),
        ("hour ending × month", [frame["hour_ending"], month]),
    ):
        profile = frame.groupby(keys)["dart"].transform("median").to_numpy("float64")
        out[label] = metrics(y, profile)
    return out


def by_month(frame: pd.DataFrame, names: list[str]) -> dict[str, dict[str, dict[str, float]]]:
    """:func:`metrics` of each named column per local delivery month of the test split."""
    month = pd.DatetimeIndex(local_day(frame["interval_start_utc"])).strftime("%Y-%m")
    y = frame["dart"].to_numpy("float64")
    return {
        m: {n: metrics(y[month == m], frame[n].to_numpy("float64")[month == m]) for n in names}
        for m in sorted(set(month))
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issue-time", default="09:00")
    parser.add_argument("--models", default="lightgbm,xgboost,lstm")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="keep the imported data and feature store here and reuse them (one per issue time)",
    )
    args = parser.parse_args()
    hour, minute = map(int, args.issue_time.split(":"))
    rules = AsOfRules(issue_local_time=clock(hour, minute))
    with tempfile.TemporaryDirectory() as tmp:
        root = args.cache / f"issue-{hour:02d}{minute:02d}" if args.cache else Path(tmp)
        t0 = time.perf_counter()
        store = build_store(root, rules)
        t1 = time.perf_counter()
        request = TrainRequest(
            store=store,
            train_end=date(2024, 9, 30),
            valid_end=date(2024, 10, 31),
            test_end=date(2025, 2, 25),
            gap_days=7,
            models=args.models.split(","),
            config=ModelConfig(threads=2),
        )
        prepared = prepare(request)
        models = {m: fit(m, prepared) for m in request.models}
        evaluation = evaluate(prepared, models)
        t2 = time.perf_counter()
    test = evaluation.metrics["test"]
    print(
        f"issue time {args.issue_time} Central; features {t1 - t0:.0f} s, training {t2 - t1:.0f} s"
    )
    print(f"split: {prepared.days.as_dict()}; rows {evaluation.metrics['rows']}")
    print("| model | " + " | ".join(METRICS) + " |")
    print("|---|" + "---|" * len(METRICS))
    for name, values in test.items():
        cells = [f"{values[m]:.3f}" if m in values else "–" for m in METRICS]
        print(f"| {name} | " + " | ".join(cells) + " |")
    base, ens = test[BASE], test["ensemble"]
    print(
        f"ensemble vs 7-day same-hour median: MAE {100 * (1 - ens['mae'] / base['mae']):+.1f}% "
        f"better, sign accuracy {100 * (ens['sign_accuracy'] - base['sign_accuracy']):+.1f} points "
        f"(goal: ≥ +10% and ≥ +5 points)"
    )
    print("\nper hub (MAE $/MWh, sign accuracy): ensemble | 7-day same-hour median")
    by_point = evaluation.metrics["by_point"]
    for point, e in by_point["ensemble"].items():
        b = by_point[BASE][point]
        print(
            f"| {point} | {e['mae']:.2f} | {e['sign_accuracy']:.3f} | "
            f"{b['mae']:.2f} | {b['sign_accuracy']:.3f} |"
        )
    print("\nper hub MAE ($/MWh) of every model and both baselines")
    print("| hub | " + " | ".join(by_point) + " |")
    print("|---|" + "---|" * len(by_point))
    for point in by_point["ensemble"]:
        cells = [f"{by_point[n][point].get('mae', float('nan')):.2f}" for n in by_point]
        print(f"| {point} | " + " | ".join(cells) + " |")
    print("\nper month (MAE $/MWh, sign accuracy): ensemble | 7-day same-hour median")
    for month, values in by_month(evaluation.test_frame, ["ensemble", BASE]).items():
        e, b = values["ensemble"], values[BASE]
        print(
            f"| {month} | {e['mae']:.2f} | {e['sign_accuracy']:.3f} | "
            f"{b['mae']:.2f} | {b['sign_accuracy']:.3f} |"
        )
    print("\nhindsight (the test period's own median profile, not a forecast):")
    for label, values in hindsight(evaluation.test_frame).items():
        print(
            f"  by {label}: MAE {values['mae']:.3f} ({100 * (1 - values['mae'] / base['mae']):+.1f}% "
            f"vs the 7-day median), sign accuracy {values['sign_accuracy']:.3f}"
        )
    print("models:", json.dumps(evaluation.metrics["models"], default=float))
    if args.json:
        args.json.write_text(json.dumps(evaluation.metrics, indent=2, default=float))


if __name__ == "__main__":
    main()
