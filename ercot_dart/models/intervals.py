"""P10 and P90 around a point prediction, from residual quantiles calibrated on the validation
split and scaled by the recent DART volatility known at issue time. Pure numpy.

interval = prediction + q × scale, scale = max(dart_std_7d, floor); q10 and q90 are the 10th and
90th percentiles of (realized − predicted) / scale on the validation rows. The same rule serves
all three models and the ensemble, and costs two multiply-adds at scoring time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

SCALE_FEATURE = "dart_std_7d"


@dataclass(frozen=True)
class IntervalCalibration:
    """Residual quantiles per unit of volatility, and the volatility floor ($/MWh)."""

    q10: float
    q90: float
    floor: float
    fallback: float

    @classmethod
    def fit(
        cls, predicted: np.ndarray, realized: np.ndarray, scale: np.ndarray
    ) -> IntervalCalibration:
        ok_scale = scale[np.isfinite(scale)]
        floor = float(np.percentile(ok_scale, 5)) if len(ok_scale) else 1.0
        fallback = float(np.median(ok_scale)) if len(ok_scale) else 1.0
        s = cls._scale(scale, max(floor, 1e-3), fallback)
        z = (realized - predicted) / s
        z = z[np.isfinite(z)]
        return cls(
            float(np.quantile(z, 0.1)), float(np.quantile(z, 0.9)), max(floor, 1e-3), fallback
        )

    @staticmethod
    def _scale(scale: np.ndarray, floor: float, fallback: float) -> np.ndarray:
        s = np.where(np.isfinite(scale), scale, fallback)
        return np.maximum(s, floor)

    def apply(self, predicted: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(p10, p90) for predictions and their rows' ``dart_std_7d``."""
        s = self._scale(np.asarray(scale, "float64"), self.floor, self.fallback)
        return predicted + self.q10 * s, predicted + self.q90 * s

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> IntervalCalibration:
        return cls(**data)
