"""Evaluation plots (PNG): predicted vs realized DART, and error by hour of day."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def plot_predicted_vs_realized(frame: pd.DataFrame, models: list[str], path: Path) -> Path:
    """Scatter of predicted vs realized DART on the test split, one panel per model."""
    fig, axes = plt.subplots(1, len(models), figsize=(4 * len(models), 4), sharex=True, sharey=True)
    axes = np.atleast_1d(axes)
    y = frame["dart"].to_numpy()
    lo, hi = np.nanpercentile(y, [0.5, 99.5])
    for ax, model in zip(axes, models, strict=True):
        ax.scatter(frame[model], y, s=2, alpha=0.25)
        ax.plot([lo, hi], [lo, hi], color="black", lw=0.8)
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_title(model)
        ax.set_xlabel("predicted DART ($/MWh)")
    axes[0].set_ylabel("realized DART ($/MWh)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_error_by_hour(frame: pd.DataFrame, models: list[str], path: Path) -> Path:
    """Mean absolute error by local hour ending, per model and baseline."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for model in models:
        mae = (frame[model] - frame["dart"]).abs().groupby(frame["hour_ending"]).mean()
        ax.plot(mae.index, mae.to_numpy(), marker="o", ms=3, label=model)
    ax.set_xlabel("hour ending (Central)")
    ax.set_ylabel("MAE ($/MWh)")
    ax.set_xticks(range(1, 25))
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
