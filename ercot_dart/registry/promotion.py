"""When a new bundle replaces the champion: not worse on the same recent window. Pure.

The caller scores the champion on the candidate's recent window and passes that score as a
manifest-like dict, ``{"metrics": {"recent": {"ensemble": {metric: value}}}}``, so both numbers
describe the same hours.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any


class Metric(StrEnum):
    """Ensemble metrics a promotion can be decided on."""

    MAE = "mae"
    RMSE = "rmse"
    SMAPE = "smape"
    SIGN_ACCURACY = "sign_accuracy"
    R2 = "r2"
    PNL_PER_MWH = "pnl_per_mwh"

    @property
    def higher_is_better(self) -> bool:
        return self in (Metric.SIGN_ACCURACY, Metric.R2, Metric.PNL_PER_MWH)


def _recent_score(manifest: dict[str, Any], metric: Metric, who: str) -> float:
    try:
        value = manifest["metrics"]["recent"]["ensemble"][metric]
    except (KeyError, TypeError):
        raise ValueError(f"the {who} has no metrics.recent.ensemble.{metric}") from None
    return float(value)


def _window(manifest: dict[str, Any]) -> str:
    window = (manifest.get("metrics", {}).get("recent") or {}).get("window")
    if isinstance(window, list | tuple) and len(window) == 2:
        return f" on {window[0]}..{window[1]}"
    return f" on {window}" if window else ""


def should_promote(
    candidate_manifest: dict[str, Any],
    champion_manifest: dict[str, Any] | None,
    metric: str = "mae",
    tolerance: float = 0.0,
) -> tuple[bool, str]:
    """Whether the candidate may become champion, and why.

    Args:
        candidate_manifest: the new bundle's manifest (``metrics.recent.ensemble`` and its
            ``window``).
        champion_manifest: the champion's score on the candidate's recent window, or None when
            there is no champion (the candidate is promoted).
        metric: one of :class:`Metric`; mae, rmse and smape are better lower, sign_accuracy, r2
            and pnl_per_mwh higher.
        tolerance: how much worse than the champion, in the metric's units, still counts as not
            worse (negative: the candidate must beat the champion by that much).

    Returns:
        (promote, reason), e.g. ``(True, "mae 7.91 ≤ champion 8.02 on 2024-10-01..2024-10-31")``.

    Raises:
        ValueError: an unknown metric, or a manifest without the metric.
    """
    try:
        m = Metric(metric)
    except ValueError:
        known = ", ".join(Metric)
        raise ValueError(f"unknown promotion metric {metric!r} (known: {known})") from None
    candidate = _recent_score(candidate_manifest, m, "candidate")
    where = _window(candidate_manifest)
    if not math.isfinite(candidate):
        return False, f"{m} of the candidate is {candidate}{where}"
    if champion_manifest is None:
        return True, f"no champion yet; {m} {candidate:.4g}{where}"
    champion = _recent_score(champion_manifest, m, "champion")
    if not math.isfinite(champion):
        return True, f"{m} {candidate:.4g}, champion's is {champion}{where}"
    if m.higher_is_better:
        ok = candidate >= champion - tolerance
        sign = "≥" if candidate >= champion else ("<" if not ok else "≈")
    else:
        ok = candidate <= champion + tolerance
        sign = "≤" if candidate <= champion else (">" if not ok else "≈")
    slack = f" (tolerance {tolerance:.4g})" if tolerance else ""
    return ok, f"{m} {candidate:.4g} {sign} champion {champion:.4g}{slack}{where}"
