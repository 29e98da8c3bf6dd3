"""Training data: feature-store rows split by time, never shuffled across it.

Split boundaries are local delivery days. Between two splits a gap of ``gap_days`` is left out,
taken from the end of the earlier split. One day is what honesty needs: a target depends only on
its own delivery day (public by 00:05 the day after) and features look only back, so with a gap
of one day every target of a split is published before the next split's first issue time. The
default, 7, keeps the 7-day windows and same-hour medians of the later split's first rows clear
of the earlier split's targets too. ``REACH_DAYS`` (32, the farthest a row's features look back)
would keep every as-of window clear, at the cost of most of the validation split with a year of
history; docs/models.md, *How long a gap*, reasons it through and gives the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import numpy as np
import pandas as pd

from ercot_dart.features.asof import local_day
from ercot_dart.features.catalog import NAMES
from ercot_dart.models.preprocess import Preprocessor, stack_windows, window_index

KEY = ["settlement_point", "interval_start_utc"]
DEFAULT_GAP_DAYS = 7
"""Days left out between two splits by default (module docstring)."""


class SplitError(ValueError):
    """The requested split cannot be made; the message says which boundary and why."""


@dataclass(frozen=True)
class SplitDays:
    """Local delivery days of each split (inclusive)."""

    train: tuple[date, date]
    valid: tuple[date, date]
    test: tuple[date, date]
    gap_days: int

    def as_dict(self) -> dict[str, str | int]:
        return {
            "train_start": str(self.train[0]),
            "train_end": str(self.train[1]),
            "valid_start": str(self.valid[0]),
            "valid_end": str(self.valid[1]),
            "test_start": str(self.test[0]),
            "test_end": str(self.test[1]),
            "gap_days": self.gap_days,
        }


def min_days(fractions: tuple[float, float, float], gap_days: int) -> int | None:
    """The fewest days of history the fractional split leaves every split a day in (None when
    no history of up to 100 gaps does, e.g. a zero share)."""
    for span in range(gap_days + 2, 100 * (gap_days + 2)):
        train_end = round(span * fractions[0]) - 1
        valid_end = train_end + round(span * fractions[1])
        if train_end - gap_days >= 0 and valid_end - gap_days > train_end and valid_end < span - 1:
            return span
    return None


def plan_split(
    days: list[date],
    train_end: date | None = None,
    valid_end: date | None = None,
    test_end: date | None = None,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
    gap_days: int = DEFAULT_GAP_DAYS,
) -> SplitDays:
    """Split the delivery days: 80/10/10 by default, or at explicit boundaries.

    ``train_end`` and ``valid_end`` are the last days of those periods *before* the gap is
    removed from their ends; ``test_end`` defaults to the last day.
    """
    if not days:
        raise SplitError("no labelled rows in the feature store")
    default = train_end is None and valid_end is None
    first, last = min(days), max(days)
    test_end = min(test_end or last, last)
    span = (test_end - first).days + 1
    if train_end is None:
        train_end = first + timedelta(days=round(span * fractions[0]) - 1)
    if valid_end is None:
        valid_end = train_end + timedelta(days=round(span * fractions[1]))
    if not first <= train_end < valid_end < test_end:
        raise SplitError(
            f"need {first} ≤ train end {train_end} < valid end {valid_end} < test end {test_end}"
        )
    gap = timedelta(days=gap_days)
    train = (first, train_end - gap)
    valid = (train_end + timedelta(days=1), valid_end - gap)
    test = (valid_end + timedelta(days=1), test_end)
    for name, (lo, hi) in (("train", train), ("valid", valid), ("test", test)):
        if hi < lo:
            needed = min_days(fractions, gap_days) if default else None
            advice = (
                f"the default split needs at least {needed} days of "
                f"history with a {gap_days}-day gap (this store has {span}): add history, or "
                "give `ercot-dart train` its own --train-end/--valid-end or a smaller --gap-days"
                if needed
                else "move the boundaries apart or lower --gap-days"
            )
            raise SplitError(
                f"the {name} split, from {lo}, is empty once the {gap_days} days before the next "
                f"split are left out (it would end on {hi}): {advice}"
            )
    return SplitDays(train, valid, test, gap_days)


@dataclass
class Dataset:
    """Labelled rows sorted by (point, hour), their model inputs, and the splits."""

    frame: pd.DataFrame
    pre: Preprocessor
    window: int = 24
    X: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.X = self.pre.tree_matrix(self.frame)

    @cached_property
    def Z(self) -> np.ndarray:  # noqa: N802 (a matrix)
        return self.pre.standardize(self.X)

    @cached_property
    def windows_index(self) -> np.ndarray:
        return window_index(
            self.frame["settlement_point"].to_numpy(),
            self.frame["interval_start_utc"].to_numpy(),
            self.window,
        )

    def split(self, name: str, days: tuple[date, date]) -> Split:
        day = local_day(self.frame["interval_start_utc"])
        rows = np.flatnonzero((day >= pd.Timestamp(days[0])) & (day <= pd.Timestamp(days[1])))
        return Split(name, rows, self, days)


@dataclass
class Split:
    """One split's rows of a :class:`Dataset`."""

    name: str
    rows: np.ndarray
    data: Dataset
    days: tuple[date, date]

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def X(self) -> np.ndarray:  # noqa: N802
        return self.data.X[self.rows]

    @property
    def y(self) -> np.ndarray:
        return self.data.frame["dart"].to_numpy("float64")[self.rows]

    @property
    def frame(self) -> pd.DataFrame:
        return self.data.frame.iloc[self.rows]

    def windows(self, rows: np.ndarray | None = None) -> np.ndarray:
        """LSTM inputs (rows, window, columns) of all (or the given positions of) this split."""
        pick = self.rows if rows is None else self.rows[rows]
        return stack_windows(self.data.Z, self.data.windows_index[pick])

    def column(self, name: str) -> np.ndarray:
        return self.data.frame[name].to_numpy("float64")[self.rows]


def feature_list(frame: pd.DataFrame) -> list[str]:
    """The catalog's features that the store has and that are not all missing, in catalog order."""
    return [f for f in NAMES if f in frame.columns and frame[f].notna().any()]


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with a known target, sorted by (point, hour)."""
    frame = frame[frame["dart"].notna()]
    return frame.sort_values(KEY, ignore_index=True)
