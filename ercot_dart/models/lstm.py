"""An LSTM over the previous ``window`` hourly feature rows of the same settlement point
(PyTorch, CPU, seeded), early-stopped on the validation split.

Inputs are the standardised model columns (NaN → 0); the target is centred and scaled inside
the network, so the exported graph takes (rows, window, columns) and returns $/MWh. The loss is
L1 by default: DART is heavy-tailed and MAE is the metric, so the network aims at the median
(smooth L1 with the IQR as its knee let the spikes pull it toward the mean). Each epoch
trains on a random sample of the training rows, which keeps an epoch within seconds on 2 cores.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ercot_dart.models.base import DartModel
from ercot_dart.models.data import Split
from onnx_export.lstm import export_sequence_model

LOSSES = {"l1": nn.L1Loss, "smooth_l1": nn.SmoothL1Loss, "mse": nn.MSELoss}
"""Training losses on the centred, IQR-scaled target (L1 aims at the median, as MAE does)."""


class SequenceNet(nn.Module):
    """LSTM → last hidden state → linear head, de-standardised to $/MWh."""

    def __init__(self, columns: int, hidden: int, center: float, scale: float) -> None:
        super().__init__()
        self.lstm = nn.LSTM(columns, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.register_buffer("center", torch.tensor(center, dtype=torch.float32))
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :]).squeeze(-1) * self.scale + self.center


class LSTMModel(DartModel):
    name = "lstm"
    kind = "sequence"

    def fit(self, train: Split, valid: Split) -> None:
        self._train(train, self.config.epochs, valid)

    def fit_rounds(self, data: Split, rounds: int) -> None:
        self._train(data, rounds, None)

    @property
    def rounds(self) -> int:
        return int(self.info["best_epoch"])

    def _train(self, train: Split, epochs: int, valid: Split | None) -> None:
        """``epochs`` epochs on ``train``; with ``valid``, the best epoch's weights by validation
        MAE, stopping after ``patience`` epochs without improvement."""
        c = self.config
        torch.manual_seed(c.seed)
        torch.set_num_threads(max(1, c.threads))
        rng = np.random.default_rng(c.seed)
        y = train.y
        center = float(np.median(y))
        scale = float(np.subtract(*np.percentile(y, [75, 25]))) or 1.0
        net = SequenceNet(train.X.shape[1], c.hidden, center, scale)
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        loss_fn = LOSSES[c.lstm_loss]()
        if valid is not None:
            valid_rows = rng.choice(len(valid), size=min(len(valid), 20_000), replace=False)
            xv = torch.from_numpy(valid.windows(valid_rows))
            yv = valid.y[valid_rows]
        best, best_state, best_epoch, stale, history = np.inf, None, epochs, 0, []
        for epoch in range(1, epochs + 1):
            net.train()
            sample = rng.choice(
                len(train), size=min(len(train), c.samples_per_epoch), replace=False
            )
            for lo in range(0, len(sample), c.batch_size):
                rows = sample[lo : lo + c.batch_size]
                xb = torch.from_numpy(train.windows(rows))
                yb = torch.from_numpy(((y[rows] - center) / scale).astype("float32"))
                opt.zero_grad()
                pred = (net(xb) - net.center) / net.scale
                loss = loss_fn(pred, yb)
                loss.backward()
                nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                opt.step()
            if valid is None:
                continue
            net.eval()
            with torch.no_grad():
                mae = float(np.mean(np.abs(net(xv).numpy() - yv)))
            history.append(mae)
            if mae < best - 1e-6:
                best, best_state, best_epoch, stale = mae, copy.deepcopy(net.state_dict()), epoch, 0
            else:
                stale += 1
                if stale >= c.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        self.net = net
        self.info = {"epochs": len(history) or epochs, "best_epoch": best_epoch, "window": c.window}
        if valid is not None:
            self.info |= {"best_valid_mae": best, "valid_mae_by_epoch": history}

    def predict_inputs(self, inputs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return (
                self.net(torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32)))
                .numpy()
                .astype("float64")
            )

    def export_onnx(self, path: Path, columns: int) -> None:
        export_sequence_model(self.net, self.config.window, columns, path)
