"""Skill on real ERCOT data: five hubs, 2024, the models against both baselines.

Imports ``shared/data/ercot-real/public-api-2024`` into a fresh SQLite file, builds the feature
store, trains on delivery days through 2024-10-31 (train through 2024-09-30, validation in
October, with a 7-day gap) and tests on 2024-11-01 .. 2025-02-25. Run for the default issue time
(09:00 Central, when the day-ahead wind and solar forecasts of these files, posted at 09:55, are
not yet known) and, with --issue-time, for another.

    .venv/bin/python benchmarks/skill_real.py [--issue-time 09:00] [--models lightgbm,xgboost,lstm]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from datetime import time as clock
from pathlib import Path

from ercot_dart.db.engine import make_engine
from ercot_dart.features.asof import AsOfRules
from ercot_dart.features.pipeline import update_features
from ercot_dart.importer import import_paths
from ercot_dart.models.base import ModelConfig
from ercot_dart.models.training import TrainRequest, evaluate, fit, prepare

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "ercot-real" / "public-api-2024"
METRICS = ["mae", "rmse", "r2", "smape", "sign_accuracy", "coverage_p10_p90", "pnl_per_mwh"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issue-time", default="09:00")
    parser.add_argument("--models", default="lightgbm,xgboost,lstm")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    hour, minute = map(int, args.issue_time.split(":"))
    rules = AsOfRules(issue_local_time=clock(hour, minute))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engine = make_engine(f"sqlite:///{root / 'real.sqlite'}")
        t0 = time.perf_counter()
        assert all(r.ok for r in import_paths(engine, [REAL]))
        update_features(str(engine.url), root / "stage", root / "features", rules)
        t1 = time.perf_counter()
        request = TrainRequest(
            store=root / "features", train_end=date(2024, 9, 30), valid_end=date(2024, 10, 31),
            test_end=date(2025, 2, 25), gap_days=7, models=args.models.split(","), config=ModelConfig(threads=2),
        )
        prepared = prepare(request)
        models = {m: fit(m, prepared) for m in request.models}
        evaluation = evaluate(prepared, models)
        t2 = time.perf_counter()
    test = evaluation.metrics["test"]
    print(f"issue time {args.issue_time} Central; features {t1 - t0:.0f} s, training {t2 - t1:.0f} s")
    print(f"split: {prepared.days.as_dict()}; rows {evaluation.metrics['rows']}")
    print("| model | " + " | ".join(METRICS) + " |")
    print("|---|" + "---|" * len(METRICS))
    for name, values in test.items():
        cells = [f"{values.get(m, float('nan')):.3f}" if m in values else "–" for m in METRICS]
        print(f"| {name} | " + " | ".join(cells) + " |")
    base = test["baseline_same_hour_median_7d"]
    ens = test["ensemble"]
    print(f"ensemble vs 7-day same-hour median: MAE {100 * (1 - ens['mae'] / base['mae']):+.1f}% better, "
          f"sign accuracy {100 * (ens['sign_accuracy'] - base['sign_accuracy']):+.1f} points")
    if args.json:
        args.json.write_text(json.dumps(evaluation.metrics, indent=2, default=float))


if __name__ == "__main__":
    main()
