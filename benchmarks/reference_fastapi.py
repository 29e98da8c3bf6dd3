"""The benchmark's reference: FastAPI + pydantic calling the native LightGBM, XGBoost and
PyTorch models' predict, with the same request shape, features, preprocessing, LSTM windows
(the feature store's recent rows in memory) and P10/P90 as the service.

    ERCOT_DART_BENCH_NATIVE=.../native_models.pkl ERCOT_DART_BENCH_BUNDLE=.../<bundle>
    ERCOT_DART_BENCH_STORE=.../features uvicorn --factory benchmarks.reference_fastapi:create_app

A plain, idiomatic implementation, not a straw man: ``async def`` handlers (no thread hop),
models loaded once, one thread per model library, the store indexed in a dict at start.
"""

from __future__ import annotations

import json
import os
import pickle
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from ercot_dart.features.store import read_features
from ercot_dart.models.intervals import SCALE_FEATURE, IntervalCalibration
from ercot_dart.models.preprocess import Preprocessor


class Row(BaseModel):
    settlement_point: str
    interval_start_utc: datetime
    features: dict[str, float | None]


class ScoreRequest(BaseModel):
    rows: list[Row]


class Band(BaseModel):
    prediction: float | None
    p10: float | None
    p90: float | None


class Prediction(BaseModel):
    settlement_point: str
    interval_start_utc: datetime
    models: dict[str, Band]
    ensemble: Band
    bundle_id: str


class ScoreResponse(BaseModel):
    bundle_id: str
    predictions: list[Prediction]


def _band(pred: np.ndarray, cal: IntervalCalibration, scale: np.ndarray) -> list[Band]:
    p10, p90 = cal.apply(pred, scale)
    return [
        Band(
            **{
                k: (None if np.isnan(v) else float(v))
                for k, v in zip(("prediction", "p10", "p90"), t, strict=True)
            }
        )
        for t in zip(pred, p10, p90, strict=True)
    ]


def create_app() -> FastAPI:
    torch.set_num_threads(1)
    bundle = Path(os.environ["ERCOT_DART_BENCH_BUNDLE"])
    manifest = json.loads((bundle / "manifest.json").read_text())
    pre = Preprocessor.from_dict(manifest["preprocessing"])
    cals = {n: IntervalCalibration.from_dict(c) for n, c in manifest["intervals"].items()}
    models = pickle.loads(Path(os.environ["ERCOT_DART_BENCH_NATIVE"]).read_bytes())
    models["xgboost"].booster.set_param({"nthread": 1})
    window = int(manifest["window"])
    store = read_features(Path(os.environ["ERCOT_DART_BENCH_STORE"]))
    last = store["interval_start_utc"].max()
    store = store[store["interval_start_utc"] > last - pd.Timedelta(days=3)]
    z = pre.standardize(pre.tree_matrix(store))
    history = {
        (p, t.value // 3_600_000_000_000): z[i]
        for i, (p, t) in enumerate(
            zip(store["settlement_point"], store["interval_start_utc"], strict=True)
        )
    }
    zero = np.zeros(len(pre.columns), "float32")
    app = FastAPI()

    @app.get("/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/score", response_model=ScoreResponse)
    async def score(request: ScoreRequest) -> ScoreResponse:
        unknown = [
            r.settlement_point for r in request.rows if r.settlement_point not in pre.encoding
        ]
        if unknown:
            raise HTTPException(422, f"unknown settlement points: {unknown[:5]}")
        frame = pd.DataFrame(
            [{**r.features, "settlement_point": r.settlement_point} for r in request.rows]
        )
        x = pre.tree_matrix(frame)
        zr = pre.standardize(x)
        hours = [int(r.interval_start_utc.timestamp()) // 3600 for r in request.rows]
        own = {
            (r.settlement_point, h): zr[i]
            for i, (r, h) in enumerate(zip(request.rows, hours, strict=True))
        }
        seqs, full = [], []
        for r, h in zip(request.rows, hours, strict=True):
            steps = [
                own.get((r.settlement_point, k), history.get((r.settlement_point, k)))
                for k in range(h - window + 1, h + 1)
            ]
            full.append(all(s is not None for s in steps))
            seqs.append(np.stack([zero if s is None else s for s in steps]))
        preds = {
            "lightgbm": models["lightgbm"].booster.predict(x, num_threads=1).astype("float64"),
            "xgboost": models["xgboost"]
            .booster.inplace_predict(x, missing=np.nan)
            .astype("float64"),
        }
        lstm = np.full(len(x), np.nan)
        mask = np.array(full)
        if mask.any():
            with torch.inference_mode():
                lstm[mask] = models["lstm"].net(torch.from_numpy(np.stack(seqs)[mask])).numpy()
        preds["lstm"] = lstm
        ensemble = np.nanmean(np.vstack(list(preds.values())), axis=0)
        scale = (
            frame[SCALE_FEATURE].to_numpy("float64")
            if SCALE_FEATURE in frame
            else np.full(len(x), np.nan)
        )
        bands = {n: _band(p, cals[n], scale) for n, p in preds.items()}
        ens = _band(ensemble, cals["ensemble"], scale)
        return ScoreResponse(
            bundle_id=manifest["bundle_id"],
            predictions=[
                Prediction(
                    settlement_point=r.settlement_point,
                    interval_start_utc=r.interval_start_utc,
                    models={n: bands[n][i] for n in preds},
                    ensemble=ens[i],
                    bundle_id=manifest["bundle_id"],
                )
                for i, r in enumerate(request.rows)
            ],
        )

    return app
