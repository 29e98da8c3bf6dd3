"""The LSTM's earlier hours: feature-store rows in memory, indexed by (point, hour), and the
window of each scored row gathered from the request, its history and the store.

Precedence for an hour of a row's window: a scored row of the request, then a ``history`` row
of the request, then the feature store. The last ``serve_history_days`` days of the store are
kept in memory (re-read when its files change); hours before them are read from disk on demand.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ercot_dart.features.store import month_file, months, read_features
from ercot_dart.models.preprocess import Preprocessor
from inference.decode import BundleCodec
from inference.hours import HOUR_S
from inference.rows import POINT_STRIDE, Rows

log = logging.getLogger(__name__)
_NS_PER_HOUR = HOUR_S * 10**9


@dataclass(frozen=True)
class HistoryIndex:
    """Standardised store rows of one bundle, sorted by key (point code × stride + hour)."""

    keys: np.ndarray
    z: np.ndarray
    start_hour: int

    def __len__(self) -> int:
        return len(self.keys)

    @classmethod
    def build(cls, frame: pd.DataFrame, codec: BundleCodec, pre: Preprocessor) -> HistoryIndex:
        """Index ``frame``'s rows of the bundle's points (others cannot be asked for); of two
        rows for one point and hour, the later in ``frame`` counts."""
        codes = frame["settlement_point"].map(codec.code_of)
        known = codes.notna().to_numpy()
        frame = frame[known]
        hours = pd.DatetimeIndex(frame["interval_start_utc"]).as_unit("ns").asi8 // _NS_PER_HOUR
        keys = codes[known].to_numpy("int64") * POINT_STRIDE + hours
        last = len(keys) - 1 - np.unique(keys[::-1], return_index=True)[1]
        z = pre.standardize(pre.tree_matrix(frame))[last]
        keys = keys[last]  # np.unique sorts: keys ascending, one row each
        # an empty store has nothing older to read from disk either
        start = int(hours.min()) if len(hours) else -(2**62)
        return cls(keys, z, start)

    def positions(self, wanted: np.ndarray) -> np.ndarray:
        """Row of each wanted key in :attr:`z`, -1 where the store has no such row."""
        if not len(self.keys):
            return np.full(wanted.shape, -1, "int64")
        pos = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        return np.where(self.keys[pos] == wanted, pos, -1)


class StoreReader:
    """Reads a feature store for the service: its recent days, and a range of hours on demand."""

    def __init__(self, root: Path, days: int) -> None:
        self.root = Path(root)
        self.days = days

    def signature(self) -> tuple[tuple[str, int, int], ...]:
        """(month, mtime, size) of each month file: changes whenever the store is rewritten."""
        out = []
        for month in months(self.root):
            try:
                stat = month_file(self.root, month).stat()
            except FileNotFoundError:  # replaced between listing and stat
                continue
            out.append((month, stat.st_mtime_ns, stat.st_size))
        return tuple(out)

    def recent(self) -> pd.DataFrame:
        """Rows of the store's last ``days`` days (by delivery hour)."""
        last = months(self.root)
        if not last:
            return pd.DataFrame(columns=["settlement_point", "interval_start_utc"])
        tail = pd.read_parquet(month_file(self.root, last[-1]), columns=["interval_start_utc"])
        end = pd.Timestamp(tail["interval_start_utc"].max())
        return read_features(self.root, start=end - pd.Timedelta(days=self.days))

    def hours(self, start_hour: int, end_hour: int, points: Sequence[str]) -> pd.DataFrame:
        """Rows of ``points`` with hour numbers in [start_hour, end_hour)."""
        frame = read_features(
            self.root,
            start=pd.Timestamp(start_hour * _NS_PER_HOUR, tz="UTC"),
            end=pd.Timestamp(end_hour * _NS_PER_HOUR, tz="UTC"),
        )
        return frame[frame["settlement_point"].isin(list(points))]


DEDUPLICATE_FROM = 1024
"""From this many store look-ups, a store row wanted by several windows is copied once."""


def windows(
    pre: Preprocessor,
    window: int,
    rows: tuple[np.ndarray, np.ndarray],
    history: tuple[np.ndarray, np.ndarray],
    stores: Sequence[HistoryIndex],
    scope: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Standardised rows and each scored row's window positions in them (-1: unknown hour).

    The same ``(z, index)`` as :func:`inference.scoring._windows` computes from data frames:
    positions ``0..len(rows)-1`` are the scored rows, then request history rows, then store rows.

    Args:
        rows, history: (keys, tree matrix) of the scored rows and of the request's history rows
            (a history row of the same key as a scored row is left out).
        scope: when the rows come from several requests, each scored row's key offset that
            keeps requests apart (``key − scope`` is the store's key); None for one request.
    """
    keys, x = rows
    z = pre.standardize(x)
    own_keys = keys
    if len(history[0]):
        keep = ~np.isin(history[0], keys)
        own_keys = np.concatenate([keys, history[0][keep]])
        z = np.vstack([z, pre.standardize(history[1][keep])])
    index, picks = _positions(keys, own_keys, window, stores, scope)
    parts = [z, *(store.z[rows_] for store, rows_ in zip(stores, picks, strict=True) if len(rows_))]
    return (np.vstack(parts) if len(parts) > 1 else z), index


def _positions(
    keys: np.ndarray,
    own_keys: np.ndarray,
    window: int,
    stores: Sequence[HistoryIndex],
    scope: np.ndarray | None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Window positions, and the rows taken from each store (appended in order)."""
    wanted = keys[:, None] - np.arange(window - 1, -1, -1)[None, :]
    if len(own_keys) == len(keys) and len(keys) == 1:  # one row: itself, nothing earlier
        index = np.full((1, window), -1, "int64")
        index[0, -1] = 0
    else:
        order = np.argsort(own_keys, kind="stable")
        sorted_keys = own_keys[order]
        pos = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
        index = np.where(sorted_keys[pos] == wanted, order[pos], -1)
    if scope is not None:
        wanted -= scope[:, None]
    offset = len(own_keys)
    picks = []
    for store in stores:
        unknown = index < 0
        found = store.positions(wanted[unknown]) if unknown.any() else np.empty(0, "int64")
        hit = found >= 0
        if len(found) > DEDUPLICATE_FROM:  # windows of a large batch share most store hours
            taken, inverse = np.unique(found[hit], return_inverse=True)
        else:
            taken = found[hit]
            inverse = np.arange(len(taken))
        if len(taken):
            filled = index[unknown]
            filled[hit] = offset + inverse
            index[unknown] = filled
            offset += len(taken)
        picks.append(taken)
    return index, picks


def older_hours(rows: Rows, window: int, store: HistoryIndex | None) -> tuple[int, int] | None:
    """The hour range before the in-memory store that some row's window reaches into, if any."""
    if store is None or not len(rows.hours):
        return None
    first = int(rows.hours.min()) - (window - 1)
    if first >= store.start_hour:
        return None
    return first, min(int(rows.hours.max()), store.start_hour)
