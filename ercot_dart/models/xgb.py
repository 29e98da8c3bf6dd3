"""XGBoost regressor (``xgboost-cpu``) with an absolute-error objective, early-stopped on the
validation split and trimmed to its best iteration before export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xgboost as xgb

from ercot_dart.models.base import DartModel
from ercot_dart.models.data import Split
from onnx_export.trees import export_xgboost


class XGBoostModel(DartModel):
    name = "xgboost"

    def _params(self) -> dict[str, object]:
        c = self.config
        return {
            "objective": "reg:absoluteerror",
            "eta": c.learning_rate,
            "max_depth": c.max_depth,
            "min_child_weight": c.min_child_samples / 10,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "lambda": 1.0,
            "tree_method": "hist",
            "nthread": c.threads,
            "seed": c.seed,
            **c.extra.get("xgboost", {}),
        }

    def fit(self, train: Split, valid: Split) -> None:
        c = self.config
        params = self._params()
        # no feature names: the ONNX converter wants f0..fN, which is XGBoost's default
        dtrain = xgb.DMatrix(train.X, label=train.y, missing=np.nan)
        dvalid = xgb.DMatrix(valid.X, label=valid.y, missing=np.nan)
        booster = xgb.train(
            params,
            dtrain,
            num_boost_round=c.max_rounds,
            evals=[(dvalid, "valid")],
            early_stopping_rounds=c.early_stopping,
            verbose_eval=False,
        )
        self._keep(booster[: booster.best_iteration + 1], booster.best_iteration)

    def fit_rounds(self, data: Split, rounds: int) -> None:
        dall = xgb.DMatrix(data.X, label=data.y, missing=np.nan)
        self._keep(xgb.train(self._params(), dall, num_boost_round=rounds), rounds - 1)

    def _keep(self, booster: xgb.Booster, best_iteration: int) -> None:
        self.booster = booster
        self.info = {
            "best_iteration": int(best_iteration),
            "objective": self._params()["objective"],
        }

    @property
    def rounds(self) -> int:
        return int(self.info["best_iteration"]) + 1

    def predict_inputs(self, inputs: np.ndarray) -> np.ndarray:
        return self.booster.inplace_predict(inputs, missing=np.nan).astype("float64")

    def export_onnx(self, path: Path, columns: int) -> None:
        export_xgboost(self.booster, columns, path)
