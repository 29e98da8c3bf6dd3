"""Checked rows of a request as arrays, whatever form the request came in (JSON rows, JSON
columns, Arrow), and the keys that find a row's earlier hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np

POINT_STRIDE = 2_000_003
"""A row's key is point code × stride + hour number: one int64 per (point, hour), ordered by
(point, hour), so ``key − k`` is the same point k hours earlier. The stride exceeds every hour
number (2100 is hour 1.15 M) and is odd, so keys spread over a dict's hash slots."""
NO_HOUR = -1
"""Hour number of a row that does not (yet) name its delivery hour."""


class Form(StrEnum):
    """How a ``POST /score`` body lays out its rows; the answer uses the same form."""

    ROWS = "rows"  # JSON, a list of row objects
    COLUMNS = "columns"  # JSON, one list per field
    ARROW = "arrow"  # an Apache Arrow IPC stream, one column per field


class Invalid(Exception):
    """A fast check found a problem; :mod:`inference.validate` then lists every error."""


@dataclass(frozen=True)
class Rows:
    """Rows in a bundle's terms: point names and codes, hour numbers (UTC hours since the
    epoch), keys (:data:`POINT_STRIDE`), feature values (rows, features) float64 with NaN for
    null, issue times (None: not given)."""

    points: list[str]
    codes: np.ndarray
    hours: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    issue: list[datetime | None] | None

    def __len__(self) -> int:
        return len(self.codes)


def empty_rows(features: int) -> Rows:
    none = np.empty(0, "int64")
    return Rows([], none, none, none, np.empty((0, features)), None)


@dataclass(frozen=True)
class Request:
    """A decoded ``POST /score`` body: the rows to score, the history rows, the form it came
    in (the answer uses the same one)."""

    rows: Rows
    history: Rows
    form: Form
