"""Data of the scoring-service benchmark: a seeded synthetic feature store of many points (every
catalog feature), the three models trained natively on it with the project's training code, a
registry holding their bundle as champion, and the native models pickled for the reference.

The store's values are random but structured (a point level, a daily cycle, a target that
depends on a few features): the benchmark measures serving, not skill.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ercot_dart.features.catalog import NAMES
from ercot_dart.features.store import month_path, write_parquet
from ercot_dart.models.base import ModelConfig
from ercot_dart.models.training import TrainRequest, evaluate, export_bundle, fit, prepare
from ercot_dart.registry import LocalRegistry

FIRST_DAY = date(2024, 7, 1)
NATIVE = "native_models.pkl"


@dataclass(frozen=True)
class BenchData:
    store: Path
    registry: Path
    bundle: Path
    native: Path
    points: list[str]
    last_day: pd.Timestamp  # UTC start of the last day of the store: the day scored


def synthetic_store(root: Path, points: int, days: int, seed: int = 7) -> tuple[Path, list[str]]:
    """``days`` days × 24 hours × ``points`` rows with every catalog feature (float64)."""
    rng = np.random.default_rng(seed)
    names = [f"SP_{i:04d}" for i in range(points)]
    hours = pd.date_range(pd.Timestamp(FIRST_DAY, tz="UTC"), periods=days * 24, freq="h")
    n = points * len(hours)
    level = rng.normal(0, 1, (points, len(NAMES)))
    cycle = np.sin(2 * np.pi * (np.arange(len(hours)) % 24) / 24)
    values = (
        np.repeat(level, len(hours), axis=0)
        + np.tile(cycle, points)[:, None] * rng.uniform(0.5, 2, len(NAMES))
        + rng.normal(0, 0.5, (n, len(NAMES)))
    ) * rng.uniform(1, 50, len(NAMES))
    frame = pd.DataFrame(values, columns=list(NAMES))
    frame["dart_std_7d"] = np.abs(frame["dart_std_7d"]) + 1.0
    frame.insert(0, "settlement_point", np.repeat(names, len(hours)))
    frame.insert(1, "interval_start_utc", np.tile(hours, points))
    frame.insert(
        2, "issue_time_utc", frame["interval_start_utc"].dt.floor("D") - pd.Timedelta(hours=10)
    )
    signal = 0.3 * frame["dam_lag24h"] - 0.2 * frame["rt_lag48h"] + 5 * np.tile(cycle, points)
    frame.insert(3, "dart", signal + rng.standard_t(3, n) * 5)
    store = root / "features"
    month = frame["interval_start_utc"].dt.strftime("%Y-%m")
    for name, part in frame.groupby(month):
        write_parquet(month_path(store, str(name)), part.reset_index(drop=True))
    return store, names


def build(root: Path, points: int = 1000, days: int = 10, seed: int = 7) -> BenchData:
    """The store, the trained bundle as champion of a fresh registry, the pickled natives."""
    store, names = synthetic_store(root, points, days, seed)
    last = FIRST_DAY + timedelta(days=days - 1)
    request = TrainRequest(
        store=store,
        train_end=last - timedelta(days=4),
        valid_end=last - timedelta(days=2),
        test_end=last - timedelta(days=1),  # the last day is only scored
        gap_days=0,
        recent_days=1,
        config=ModelConfig(
            threads=2,
            max_rounds=150,
            early_stopping=20,
            epochs=2,
            samples_per_epoch=4000,
            hidden=32,
        ),
    )
    prepared = prepare(request)
    models = {name: fit(name, prepared) for name in ("lightgbm", "xgboost", "lstm")}
    bundle = export_bundle(prepared, models, evaluate(prepared, models), root / "bundles")
    registry = LocalRegistry(root / "registry")
    registry.promote(registry.publish(bundle), "benchmark")
    native = root / NATIVE
    native.write_bytes(pickle.dumps(models))
    return BenchData(store, registry.root, bundle, native, names, pd.Timestamp(last, tz="UTC"))


def load_or_build(root: Path, points: int, days: int, seed: int = 7) -> BenchData:
    """:func:`build`, or what an earlier build left in ``root`` for the same arguments."""
    marker = root / "bench.json"
    key = {"points": points, "days": days, "seed": seed}
    if marker.is_file():
        saved = json.loads(marker.read_text())
        if saved["key"] == key:
            return BenchData(
                Path(saved["store"]), Path(saved["registry"]), Path(saved["bundle"]),
                Path(saved["native"]), saved["points"], pd.Timestamp(saved["last_day"]),
            )  # fmt: skip
    data = build(root, points, days, seed)
    fields = {k: str(v) for k, v in vars(data).items() if k != "points"}
    marker.write_text(json.dumps({"key": key, "points": data.points, **fields}))
    return data
