"""Predictions of a scored batch → the ``POST /score`` response body (JSON bytes)."""

from __future__ import annotations

import msgspec
import numpy as np

from inference.bundle import LoadedBundle
from inference.decode import Rows
from inference.hours import HourLabels
from inference.schemas import Band, RowPrediction, ScoreResponse
from inference.scoring import missing_note

_encode = msgspec.json.Encoder().encode  # NaN is written as null


def to_response(
    bundle: LoadedBundle,
    rows: Rows,
    columns: dict[str, np.ndarray],
    missing: np.ndarray,
    labels: HourLabels,
) -> bytes:
    """One :class:`RowPrediction` per row, in order: each model, the ensemble, the bands.

    Args:
        columns: :func:`inference.scoring.summarize`'s output for ``rows``.
        missing: per row, how many hours of its window are unknown.
    """
    have = columns["_have"]
    names = list(bundle.kinds)
    as_lists = {key: values.tolist() for key, values in columns.items() if key != "_have"}
    notes: dict[str, list[str | None]] = {}
    for name in names:
        if bundle.kinds[name] == "sequence":
            notes[name] = [missing_note(m, bundle.window) if m else None for m in missing.tolist()]
    averaged: dict[bytes, list[str]] = {}
    bundle_id = bundle.bundle_id
    out = []
    for i, (point, local, issue) in enumerate(
        zip(rows.points, labels(rows.hours), rows.issue, strict=True)
    ):
        models = {
            name: Band(
                prediction=as_lists[name][i],
                p10=as_lists[f"{name}_p10"][i],
                p90=as_lists[f"{name}_p90"][i],
                note=notes[name][i] if name in notes else None,
            )
            for name in names
        }
        pattern = have[:, i].tobytes()
        if pattern not in averaged:
            averaged[pattern] = [n for n, h in zip(names, have[:, i], strict=True) if h]
        out.append(
            RowPrediction(
                settlement_point=point,
                interval_start_utc=local.utc,
                delivery_date=local.delivery_date,
                hour_ending_local=local.hour_ending,
                dst_flag=local.dst_flag,
                models=models,
                ensemble=Band(
                    prediction=as_lists["ensemble"][i],
                    p10=as_lists["ensemble_p10"][i],
                    p90=as_lists["ensemble_p90"][i],
                ),
                ensemble_models=averaged[pattern],
                bundle_id=bundle_id,
                issue_time_utc=issue,
            )
        )
    return _encode(ScoreResponse(bundle_id=bundle_id, models=names, predictions=out))
