"""LightGBM regressor with an L1 objective (DART is heavy-tailed: the median is the target
that MAE and the sign reward), early-stopped on the validation split."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np

from ercot_dart.models.base import DartModel
from ercot_dart.models.data import Split
from onnx_export.trees import export_lightgbm, float32_thresholds


class LightGBMModel(DartModel):
    name = "lightgbm"

    def _params(self) -> dict[str, object]:
        c = self.config
        return {
            "objective": "regression_l1",
            "learning_rate": c.learning_rate,
            "num_leaves": c.num_leaves,
            "min_child_samples": c.min_child_samples,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": 1.0,
            "num_threads": c.threads,
            "seed": c.seed,
            "deterministic": True,
            "verbose": -1,
            **c.extra.get("lightgbm", {}),
        }

    def fit(self, train: Split, valid: Split) -> None:
        c = self.config
        params = self._params()
        dtrain = lgb.Dataset(train.X, train.y, free_raw_data=True)
        dvalid = lgb.Dataset(valid.X, valid.y, reference=dtrain)
        booster = lgb.train(
            params,
            dtrain,
            num_boost_round=c.max_rounds,
            valid_sets=[dvalid],
            callbacks=[lgb.early_stopping(c.early_stopping, verbose=False)],
        )
        self._keep(booster, booster.best_iteration)

    def fit_rounds(self, data: Split, rounds: int) -> None:
        booster = lgb.train(self._params(), lgb.Dataset(data.X, data.y), num_boost_round=rounds)
        self._keep(booster, rounds)

    def _keep(self, booster: lgb.Booster, rounds: int) -> None:
        # only the trees up to the best iteration (what is exported is what was validated),
        # thresholds as float32 so the ONNX graph compares exactly as LightGBM does
        text = booster.model_to_string(num_iteration=rounds)
        self.booster = lgb.Booster(model_str=float32_thresholds(text))
        self.info = {"best_iteration": int(rounds), "objective": self._params()["objective"]}

    @property
    def rounds(self) -> int:
        return int(self.info["best_iteration"])

    def predict_inputs(self, inputs: np.ndarray) -> np.ndarray:
        return self.booster.predict(inputs, num_threads=self.config.threads).astype("float64")

    def export_onnx(self, path: Path, columns: int) -> None:
        export_lightgbm(self.booster, columns, path)
