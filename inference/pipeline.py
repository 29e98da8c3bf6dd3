"""Decoded requests → predictions, for one request or for several scored together (one
onnxruntime call per model for a micro-batch of small requests).

Rows of different requests never see each other: their keys are offset by a per-request
scope, so a row's window is gathered from its own request, then the feature store. Every model
scores row by row (no cross-row state), so a row's numbers do not depend on its batch-mates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inference.decode import BundleCodec
from inference.history import HistoryIndex, windows
from inference.rows import POINT_STRIDE, Request, Rows
from inference.scoring import Bands, bands, blank_rows, predict
from inference.state import Snapshot


@dataclass(frozen=True)
class Scored:
    """One request's predictions and bands, how many hours of each row's window are unknown,
    and which rows have no feature known (no model scored them)."""

    request: Request
    bands: Bands
    missing: np.ndarray
    blank: np.ndarray


def _joined(parts: list[Rows], scopes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(scoped keys, codes, values) of several requests' rows, one after the other."""
    if len(parts) == 1:
        return parts[0].keys, parts[0].codes, parts[0].values
    sizes = [len(p) for p in parts]
    keys = np.concatenate([p.keys for p in parts]) + np.repeat(scopes, sizes)
    codes = np.concatenate([p.codes for p in parts])
    return keys, codes, np.concatenate([p.values for p in parts])


def score_requests(
    snap: Snapshot,
    requests: Sequence[Request],
    stores: Sequence[HistoryIndex],
    seconds: dict[str, float] | None = None,
) -> list[Scored]:
    """Each request's predictions, all rows through each model in one call; ``seconds`` as in
    :func:`inference.scoring.predict`."""
    codec, bundle = snap.codec, snap.bundle
    scopes = np.arange(len(requests), dtype="int64") * (len(codec.points) * POINT_STRIDE)
    sizes = [len(r.rows) for r in requests]
    keys, codes, values = _joined([r.rows for r in requests], scopes)
    x = _matrix(codec, codes, values)
    history = [r.history for r in requests]
    if any(len(h) for h in history):
        h_keys, h_codes, h_values = _joined(history, scopes)
        past = (h_keys, _matrix(codec, h_codes, h_values))
    else:
        past = (np.empty(0, "int64"), np.empty((0, x.shape[1]), "float32"))
    scope = np.repeat(scopes, sizes) if len(requests) > 1 else None
    z, index = windows(bundle.pre, bundle.window, (keys, x), past, stores, scope)
    scale = (
        values[:, codec.scale_column] if codec.scale_column is not None else np.full(len(x), np.nan)
    )
    blank = blank_rows(x)
    scored = bands(bundle, predict(bundle, x, z, index, seconds, blank), scale)
    missing = (index < 0).sum(axis=1)
    if len(requests) == 1:
        return [Scored(requests[0], scored, missing, blank)]
    bounds = np.cumsum([0, *sizes]).tolist()
    return [
        Scored(request, scored.part(lo, hi), missing[lo:hi], blank[lo:hi])
        for request, lo, hi in zip(requests, bounds[:-1], bounds[1:], strict=True)
    ]


def _matrix(codec: BundleCodec, codes: np.ndarray, values: np.ndarray) -> np.ndarray:
    x = np.empty((len(codes), len(codec.features) + 1), "float32")
    x[:, :-1] = values
    x[:, -1] = codec.point_encoding[codes]
    return x
