"""The LSTM's earlier hours: feature-store rows in memory, indexed by (point, hour), and the
window of each scored row gathered from the request, its history and the store.

Precedence for an hour of a row's window: a scored row of the request, then a ``history`` row
of the request, then the feature store. The last ``serve_history_days`` days of the store are
kept in memory (re-read when its files change); hours before them are read from disk on demand.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ercot_dart.features.store import month_path, months, read_features
from ercot_dart.models.preprocess import Preprocessor
from inference.decode import POINT_STRIDE, BundleCodec, Rows
from inference.hours import HOUR_S

log = logging.getLogger(__name__)
_NS_PER_HOUR = HOUR_S * 10**9


@dataclass(frozen=True)
class HistoryIndex:
    """Standardised store rows of one bundle, sorted by key (point code × stride + hour)."""

    keys: np.ndarray
    z: np.ndarray
    start_hour: int
    lookup: dict[int, int] = field(repr=False)
    """Key → row of :attr:`z`, for the few look-ups of small requests."""

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
        return cls(keys, z, start, dict(zip(keys.tolist(), range(len(keys)), strict=True)))

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
                stat = month_path(self.root, month).stat()
            except FileNotFoundError:  # replaced between listing and stat
                continue
            out.append((month, stat.st_mtime_ns, stat.st_size))
        return tuple(out)

    def recent(self) -> pd.DataFrame:
        """Rows of the store's last ``days`` days (by delivery hour)."""
        last = months(self.root)
        if not last:
            return pd.DataFrame(columns=["settlement_point", "interval_start_utc"])
        tail = pd.read_parquet(month_path(self.root, last[-1]), columns=["interval_start_utc"])
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


SMALL_BATCH = 64
"""Up to this many rows, windows are gathered with dictionary look-ups: fewer numpy calls."""


def windows(
    pre: Preprocessor, window: int, rows: Rows, history: Rows, stores: Sequence[HistoryIndex]
) -> tuple[np.ndarray, np.ndarray]:
    """Standardised rows and each scored row's window positions in them (-1: unknown hour).

    The same ``(z, index)`` as :func:`inference.scoring._windows` computes from data frames:
    positions ``0..len(rows)-1`` are the scored rows, then request history rows, then store rows.
    """
    keys = rows.keys
    z = pre.standardize(rows.x)
    own_keys = keys
    if len(history.keys):
        keep = ~np.isin(history.keys, keys)
        own_keys = np.concatenate([keys, history.keys[keep]])
        z = np.vstack([z, pre.standardize(history.x[keep])])
    if len(keys) <= SMALL_BATCH:
        index, picks = _positions_small(keys, own_keys, window, stores)
    else:
        index, picks = _positions(keys, own_keys, window, stores)
    parts = [z, *(store.z[rows_] for store, rows_ in zip(stores, picks, strict=True) if len(rows_))]
    return (np.vstack(parts) if len(parts) > 1 else z), index


def _positions(
    keys: np.ndarray, own_keys: np.ndarray, window: int, stores: Sequence[HistoryIndex]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Vectorised: window positions, and the rows taken from each store (appended in order)."""
    order = np.argsort(own_keys, kind="stable")
    sorted_keys = own_keys[order]
    wanted = keys[:, None] - np.arange(window - 1, -1, -1)[None, :]
    pos = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
    index = np.where(sorted_keys[pos] == wanted, order[pos], -1)
    offset = len(own_keys)
    picks = []
    for store in stores:
        unknown = index < 0
        found = store.positions(wanted[unknown]) if unknown.any() else np.empty(0, "int64")
        hit = found >= 0
        taken, inverse = np.unique(found[hit], return_inverse=True)
        if len(taken):
            filled = index[unknown]
            filled[hit] = offset + inverse
            index[unknown] = filled
            offset += len(taken)
        picks.append(taken)
    return index, picks


def _positions_small(
    keys: np.ndarray, own_keys: np.ndarray, window: int, stores: Sequence[HistoryIndex]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """:func:`_positions` for a few rows, with dictionary look-ups."""
    own = {k: i for i, k in enumerate(own_keys.tolist())}
    out: list[int] = []
    need: list[tuple[int, int]] = []  # (slot in out, wanted key) not in the request
    for key in keys.tolist():
        for wanted in range(key - window + 1, key + 1):
            pos = own.get(wanted)
            if pos is None:
                need.append((len(out), wanted))
                pos = -1
            out.append(pos)
    picks = []
    base = len(own_keys)
    for store in stores:
        lookup = store.lookup
        taken: dict[int, int] = {}
        rest = []
        for slot, wanted in need:
            row = lookup.get(wanted)
            if row is None:
                rest.append((slot, wanted))
                continue
            pos = taken.get(row)
            if pos is None:
                pos = taken[row] = base + len(taken)
            out[slot] = pos
        picks.append(np.fromiter(taken, "int64", len(taken)))
        base += len(taken)
        need = rest
    return np.array(out, "int64").reshape(len(keys), window), picks


def older_hours(
    batch_rows: Rows, window: int, store: HistoryIndex | None
) -> tuple[int, int] | None:
    """The hour range before the in-memory store that some row's window reaches into, if any."""
    if store is None or not len(batch_rows.hours):
        return None
    first = int(batch_rows.hours.min()) - (window - 1)
    if first >= store.start_hour:
        return None
    return first, min(int(batch_rows.hours.max()), store.start_hour)
