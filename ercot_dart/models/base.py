"""One small interface for every model: fit, predict, export to ONNX.

A fourth model is one module with a :class:`DartModel` subclass and one line in ``MODELS``.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ercot_dart.models.data import Split

LSTM_LOSSES = ("l1", "smooth_l1", "mse")


@dataclass
class ModelConfig:
    """Hyper-parameters shared by the models (each reads what applies to it)."""

    seed: int = 7
    threads: int = 1
    max_rounds: int = 2000
    early_stopping: int = 50
    learning_rate: float = 0.05
    num_leaves: int = 63
    max_depth: int = 8
    min_child_samples: int = 200
    window: int = 24
    hidden: int = 64
    epochs: int = 8
    samples_per_epoch: int = 60_000
    batch_size: int = 512
    patience: int = 2
    lstm_loss: str = "l1"
    """The LSTM's training loss: ``l1`` (the median, what MAE rewards), ``smooth_l1`` or ``mse``."""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.lstm_loss not in LSTM_LOSSES:
            raise ValueError(f"lstm_loss {self.lstm_loss!r} is not one of {', '.join(LSTM_LOSSES)}")

    @classmethod
    def quick(cls, threads: int = 2) -> ModelConfig:
        """A small LSTM and fewer boosting rounds: minutes on a laptop (the demo, the tests)."""
        return cls(
            threads=threads,
            max_rounds=400,
            early_stopping=30,
            epochs=3,
            samples_per_epoch=15_000,
            hidden=32,
        )


class DartModel(ABC):
    """A DART regressor. ``kind`` says what input its ONNX graph takes:
    ``tabular`` (rows, columns) or ``sequence`` (rows, window, columns)."""

    name: ClassVar[str]
    kind: ClassVar[str] = "tabular"

    def __init__(self, config: ModelConfig) -> None:
        self.config = config
        self.info: dict[str, Any] = {}

    @abstractmethod
    def fit(self, train: Split, valid: Split) -> None:
        """Train on ``train``, early-stopping on ``valid``."""

    @abstractmethod
    def fit_rounds(self, data: Split, rounds: int) -> None:
        """Train on ``data`` for exactly ``rounds`` boosting rounds or epochs (no validation)."""

    @property
    @abstractmethod
    def rounds(self) -> int:
        """The boosting rounds or epochs the fit kept (what early stopping chose)."""

    def refit(self, data: Split) -> DartModel:
        """A new model of this one's configuration trained on ``data`` for this one's
        :attr:`rounds`: once this model has been scored on held-out days, the same recipe on
        every labelled day, up to the last, is what a bundle deploys."""
        model = type(self)(self.config)
        model.fit_rounds(data, self.rounds)
        model.info = {**model.info, "refit_of": dict(self.info), "rows": len(data)}
        return model

    @abstractmethod
    def predict_inputs(self, inputs: np.ndarray) -> np.ndarray:
        """Native predictions ($/MWh) for model inputs as the ONNX graph takes them."""

    @abstractmethod
    def export_onnx(self, path: Path, columns: int) -> None:
        """Write the model as one self-contained ONNX file with input ``input``."""

    def inputs(self, split: Split, rows: np.ndarray | None = None) -> np.ndarray:
        """The model's inputs for a split (or some of its positions), float32."""
        if self.kind == "sequence":
            return split.windows(rows)
        return split.X if rows is None else split.X[rows]

    def predict(self, split: Split, batch: int = 50_000) -> np.ndarray:
        """Native predictions for a whole split, in batches (sequence inputs are large)."""
        out = np.empty(len(split))
        for lo in range(0, len(split), batch):
            rows = np.arange(lo, min(lo + batch, len(split)))
            out[rows] = self.predict_inputs(self.inputs(split, rows))
        return out


MODELS: dict[str, str] = {
    "lightgbm": "ercot_dart.models.lgbm:LightGBMModel",
    "xgboost": "ercot_dart.models.xgb:XGBoostModel",
    "lstm": "ercot_dart.models.lstm:LSTMModel",
}
"""Registered models: name → "module:class" (imported on use, so no model library is loaded early)."""


def model_class(name: str) -> type[DartModel]:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    module, cls = MODELS[name].split(":")
    return getattr(importlib.import_module(module), cls)
