"""Request bodies of benchmarks/serve.py, made from the feature store's last day: single-row JSON
bodies, and the batch of every point × 24 hours in each form the service takes (JSON rows,
JSON columns, an Arrow stream), with how to read each form's answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa

from benchmarks.serve_data import BenchData
from ercot_dart.features.store import read_features

ARROW = "application/vnd.apache.arrow.stream"
MODELS = ("lightgbm", "xgboost", "lstm")


@dataclass(frozen=True)
class BatchBody:
    """One form of the batch: its body, content type, and its answer read as a frame of
    (settlement_point, interval_start_utc, <model> for each model)."""

    form: str
    body: bytes
    content_type: str
    read: Callable[[bytes], pd.DataFrame]


def last_day(data: BenchData) -> pd.DataFrame:
    frame = read_features(data.store, start=data.last_day)
    return frame[frame["interval_start_utc"] < data.last_day + pd.Timedelta(days=1)].reset_index(
        drop=True
    )


def _stamp(t: pd.Timestamp) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _row(r: Any, features: list[str]) -> dict[str, Any]:
    return {
        "settlement_point": r.settlement_point,
        "interval_start_utc": _stamp(r.interval_start_utc),
        "features": {
            f: (None if pd.isna(v) else float(v))
            for f, v in zip(features, r[features], strict=True)
        },
    }


def singles(frame: pd.DataFrame, features: list[str], n: int = 500) -> list[bytes]:
    """Single-row JSON bodies, rotating over points and hours of the day."""
    sample = frame.sample(n=min(n, len(frame)), random_state=7)
    return [json.dumps({"rows": [_row(r, features)]}).encode() for _, r in sample.iterrows()]


def _values(frame: pd.DataFrame, name: str) -> list[float | None]:
    values = frame[name].to_numpy("float64")
    return [None if np.isnan(v) else v for v in values.tolist()]


def _from_rows(answer: bytes) -> pd.DataFrame:
    rows = msgspec.json.decode(answer)["predictions"]
    return pd.DataFrame(
        {
            "settlement_point": [r["settlement_point"] for r in rows],
            "interval_start_utc": [r["interval_start_utc"] for r in rows],
            **{m: [r["models"][m]["prediction"] for r in rows] for m in MODELS},
        }
    )


def _from_columns(answer: bytes) -> pd.DataFrame:
    columns = msgspec.json.decode(answer)["columns"]
    return pd.DataFrame(
        {
            "settlement_point": columns["settlement_point"],
            "interval_start_utc": columns["interval_start_utc"],
            **{m: columns["models"][m]["prediction"] for m in MODELS},
        }
    )


def _from_arrow(answer: bytes) -> pd.DataFrame:
    table = pa.ipc.open_stream(pa.py_buffer(answer)).read_all()
    frame = table.select(["settlement_point", "interval_start_utc", *MODELS]).to_pandas()
    frame["interval_start_utc"] = frame["interval_start_utc"].map(_stamp)
    return frame


def batches(frame: pd.DataFrame, features: list[str]) -> list[BatchBody]:
    """The day's rows in each form: Arrow (the fastest), JSON columns, JSON rows."""
    table = pa.table(
        {
            "settlement_point": frame["settlement_point"].astype(str),
            "interval_start_utc": pa.array(
                frame["interval_start_utc"], pa.timestamp("us", tz="UTC")
            ),
            "features": pa.StructArray.from_arrays(
                [pa.array(frame[f].to_numpy("float64"), from_pandas=True) for f in features],
                names=features,
            ),
        }
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    columns = {
        "settlement_point": frame["settlement_point"].astype(str).tolist(),
        "interval_start_utc": [_stamp(t) for t in frame["interval_start_utc"]],
        "features": {f: _values(frame, f) for f in features},
    }
    rows = [_row(r, features) for _, r in frame.iterrows()]
    return [
        BatchBody("arrow", sink.getvalue().to_pybytes(), ARROW, _from_arrow),
        BatchBody(
            "columns", msgspec.json.encode({"rows": columns}), "application/json", _from_columns
        ),
        BatchBody("rows", json.dumps({"rows": rows}).encode(), "application/json", _from_rows),
    ]
