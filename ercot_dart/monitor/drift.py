"""Distribution drift of features and predictions, current window vs reference window. Pure.

Two views of the same question, because each misses what the other sees:

- the population stability index (PSI) weighs how much probability mass moved between the
  reference's quantile bins. Conventional reading: < 0.1 stable, 0.1–0.25 moderate shift,
  > 0.25 significant shift;
- the two-sample Kolmogorov–Smirnov test (scipy) gives the largest gap between the two
  empirical CDFs and how likely a gap that large is by chance alone.

With thousands of rows KS rejects for shifts too small to matter and PSI is noisy on few rows,
so a column counts as drifted only when both agree (PSI above its threshold *and* a small
p-value), and only when both windows hold enough finite values to judge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

PSI_EPSILON = 1e-4
"""Share given to an empty bin, so that its log ratio stays finite (a conventional choice)."""

DRIFT_COLUMNS = [
    "feature",
    "psi",
    "ks_statistic",
    "ks_pvalue",
    "reference_rows",
    "current_rows",
    "drifted",
]


def _finite(values: np.ndarray | pd.Series) -> np.ndarray:
    """The finite values as float64; NaN and ±inf are dropped (coerced non-numbers too)."""
    array = pd.to_numeric(pd.Series(np.asarray(values).ravel()), errors="coerce")
    out: np.ndarray = array.to_numpy("float64", na_value=np.nan)
    return out[np.isfinite(out)]


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """Population stability index of ``current`` against ``reference``.

    Bins are the reference's quantiles (``bins`` of equal reference mass; tied quantiles merge,
    so a discrete reference gets fewer bins), open-ended at both sides so that values outside
    the reference range count in the outer bins. PSI = Σ (c − r) · ln(c / r) over the bins'
    shares r and c, an empty bin's share raised to ``PSI_EPSILON``.

    Reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 significant shift.

    Args:
        reference: values of the reference (training) window; NaN and ±inf are dropped.
        current: values of the current window; NaN and ±inf are dropped.
        bins: number of reference quantile bins, at least 2.

    Returns:
        The PSI (≥ 0), or NaN when either side has no finite value.
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    ref, cur = _finite(reference), _finite(current)
    if ref.size == 0 or cur.size == 0:
        return float("nan")
    edges = np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    # bin i holds (edges[i-1], edges[i]]: the first and last bins are open-ended
    ref_share = np.bincount(np.searchsorted(edges, ref), minlength=edges.size + 1) / ref.size
    cur_share = np.bincount(np.searchsorted(edges, cur), minlength=edges.size + 1) / cur.size
    r = np.maximum(ref_share, PSI_EPSILON)
    c = np.maximum(cur_share, PSI_EPSILON)
    return float(np.sum((c - r) * np.log(c / r)))


def ks_2samp(reference: np.ndarray, current: np.ndarray) -> tuple[float, float]:
    """Two-sample Kolmogorov–Smirnov test, two-sided (``scipy.stats.ks_2samp``).

    scipy's ``method="auto"``: the exact p-value when both samples have at most 10,000 values,
    the asymptotic one above that.

    Args:
        reference: values of the reference window; NaN and ±inf are dropped.
        current: values of the current window; NaN and ±inf are dropped.

    Returns:
        ``(statistic, p_value)``: the largest gap between the two empirical CDFs (0–1) and the
        probability of a gap at least as large under the same distribution; both NaN when
        either side has no finite value.
    """
    ref, cur = _finite(reference), _finite(current)
    if ref.size == 0 or cur.size == 0:
        return float("nan"), float("nan")
    result = stats.ks_2samp(ref, cur)
    return float(result.statistic), float(result.pvalue)


def drift_table(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    psi_threshold: float = 0.25,
    pvalue_threshold: float = 0.01,
    min_rows: int = 50,
) -> pd.DataFrame:
    """PSI and KS per column, current window vs reference window.

    Args:
        reference: the reference (training) window, one row per observation.
        current: the current window, same columns.
        columns: the columns to compare; each must be in both frames.
        psi_threshold: a column drifts only with a PSI above this.
        pvalue_threshold: ... and a KS p-value below this.
        min_rows: columns with fewer finite values than this on either side are not judged:
            NaN statistics, ``drifted`` False.

    Returns:
        ``feature, psi, ks_statistic, ks_pvalue, reference_rows, current_rows, drifted``, one row
        per column, largest PSI first (unjudged columns last). Rows are counts of finite values.
    """
    missing = [c for c in columns if c not in reference.columns or c not in current.columns]
    if missing:
        raise ValueError(
            f"drift_table: columns absent from the reference or current frame: {missing}"
        )
    if min_rows < 1:
        raise ValueError(f"min_rows must be at least 1, got {min_rows}")
    rows = []
    for column in columns:
        ref, cur = _finite(reference[column]), _finite(current[column])
        judged = ref.size >= min_rows and cur.size >= min_rows
        index = psi(ref, cur) if judged else float("nan")
        statistic, pvalue = ks_2samp(ref, cur) if judged else (float("nan"), float("nan"))
        rows.append(
            {
                "feature": column,
                "psi": index,
                "ks_statistic": statistic,
                "ks_pvalue": pvalue,
                "reference_rows": ref.size,
                "current_rows": cur.size,
                "drifted": bool(judged and index > psi_threshold and pvalue < pvalue_threshold),
            }
        )
    table = pd.DataFrame(rows, columns=DRIFT_COLUMNS).astype(
        {
            "feature": "object",
            "psi": "float64",
            "ks_statistic": "float64",
            "ks_pvalue": "float64",
            "reference_rows": "int64",
            "current_rows": "int64",
            "drifted": "bool",
        }
    )
    table = table.sort_values("psi", ascending=False, na_position="last", kind="stable")
    return table.reset_index(drop=True)
