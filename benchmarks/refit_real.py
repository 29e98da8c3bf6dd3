"""What the refit buys on real ERCOT data: the daily retrain's bundle with and without it.

Walks forward over the real files of ``shared/data/ercot-real/public-api-2024`` (five hubs).
On each as-of day D (every ``--every`` days from ``--start``), the models are trained as the
daily retrain trains them: the default split (80/10/10 of the labelled days up to D − 2, the
last whose targets are known when D's rows are issued, with the default gaps or
``--gap-days``), early stopping on the validation split. Then both candidates for deployment predict D .. D + every − 1:

- the held-out fit (``--no-refit``; the baseline): trained on the training split alone, which
  ends months before D;
- the refit (the default): the same recipe trained on every labelled day up to D − 2.

Both run in the same process on the same rows, so the ratio is what to read. With
``--gap-days 32`` the split needs 326 days of history: the real files start on 2024-01-01, so
the default first as-of day is 2024-11-25, and every gap is compared on the same days.

    .venv/bin/python benchmarks/refit_real.py [--cache DIR] [--start 2024-11-25] [--every 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from skill_real import BASE, build_store  # noqa: E402

from ercot_dart.features.asof import AsOfRules, local_day  # noqa: E402
from ercot_dart.features.store import read_features  # noqa: E402
from ercot_dart.models.base import ModelConfig  # noqa: E402
from ercot_dart.models.data import labelled  # noqa: E402
from ercot_dart.models.metrics import metrics  # noqa: E402
from ercot_dart.models.training import TrainRequest, fit, prepare, refit  # noqa: E402

END = date(2025, 2, 25)
"""The last delivery day of the real files with a realized DART."""


def window_predictions(
    frame: pd.DataFrame, as_of: date, last: date, names: list[str], gap_days: int | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Train as the daily retrain does with as-of day ``as_of``; both candidates' predictions
    of delivery days ``as_of`` .. ``last``, and the split used."""
    request = TrainRequest(
        store=Path("unused"),  # the frame is given
        test_end=as_of - timedelta(days=2),
        gap_days=gap_days,
        models=names,
        config=ModelConfig(threads=2),
    )
    prepared = prepare(
        request, frame=frame[local_day(frame["interval_start_utc"]) <= pd.Timestamp(last)]
    )
    window = prepared.data.split("window", (as_of, last))
    out = window.frame[["settlement_point", "interval_start_utc", "dart"]].copy()
    out[BASE] = window.column("dart_same_hour_median_7d")
    held, refitted = [], []
    for name in names:
        model = fit(name, prepared)
        again = refit(prepared, model)
        out[f"{name}:held-out"] = model.predict(window)
        out[f"{name}:refit"] = again.predict(window)
        held.append(out[f"{name}:held-out"])
        refitted.append(out[f"{name}:refit"])
    out["ensemble:held-out"] = np.mean(held, axis=0)
    out["ensemble:refit"] = np.mean(refitted, axis=0)
    return out, {k: str(v) for k, v in prepared.days.as_dict().items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None, help="reuse skill_real's store here")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 11, 25))
    parser.add_argument("--every", type=int, default=30)
    parser.add_argument("--models", default="lightgbm,xgboost,lstm")
    parser.add_argument("--gap-days", type=int, default=None, help="default: the split's own")
    args = parser.parse_args()
    names = args.models.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.cache / "issue-0900" if args.cache else Path(tmp)
        store = build_store(root, AsOfRules())
        frame = labelled(read_features(store))
        parts = []
        as_of = args.start
        while as_of <= END:
            last = min(as_of + timedelta(days=args.every - 1), END)
            t0 = time.perf_counter()
            part, split = window_predictions(frame, as_of, last, names, args.gap_days)
            print(
                f"as of {as_of} (predicting to {last}): train {split['train_start']}.."
                f"{split['train_end']}, valid {split['valid_start']}..{split['valid_end']}, "
                f"test {split['test_start']}..{split['test_end']}; refit to {split['test_end']}; "
                f"{time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            parts.append(part)
            as_of = last + timedelta(days=1)
    scored = pd.concat(parts, ignore_index=True)
    y = scored["dart"].to_numpy("float64")
    print(f"\n{len(scored):,} point-hours, {len(parts)} as-of day(s)")
    print("| model | MAE held-out | MAE refit | refit / held-out | sign held-out | sign refit |")
    print("|---|---|---|---|---|---|")
    for name in [*names, "ensemble"]:
        h = metrics(y, scored[f"{name}:held-out"].to_numpy("float64"))
        r = metrics(y, scored[f"{name}:refit"].to_numpy("float64"))
        print(
            f"| {name} | {h['mae']:.3f} | {r['mae']:.3f} | {r['mae'] / h['mae']:.3f} | "
            f"{h['sign_accuracy']:.3f} | {r['sign_accuracy']:.3f} |"
        )
    base = metrics(y, scored[BASE].to_numpy("float64"))
    print(f"| 7-day same-hour median | {base['mae']:.3f} | | | {base['sign_accuracy']:.3f} | |")
    month = pd.DatetimeIndex(local_day(scored["interval_start_utc"])).strftime("%Y-%m")
    print("\nper month, ensemble MAE: held-out | refit | 7-day median")
    for m in sorted(set(month)):
        pick = month == m
        cells = [
            metrics(y[pick], scored[c].to_numpy("float64")[pick])["mae"]
            for c in ("ensemble:held-out", "ensemble:refit", BASE)
        ]
        print(f"| {m} | " + " | ".join(f"{v:.2f}" for v in cells) + " |")


if __name__ == "__main__":
    main()
