"""A scored request → the ``POST /score`` answer, in the form of the request: JSON rows, JSON
columns or an Arrow stream (:mod:`inference.arrow`)."""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
import pyarrow as pa

from inference import arrow
from inference.bundle import LoadedBundle
from inference.hours import HourLabels, LocalHour
from inference.pipeline import Scored
from inference.rows import Form
from inference.schemas import (
    Band,
    BandColumns,
    ColumnarScoreResponse,
    PredictionColumns,
    RowPrediction,
    ScoreResponse,
)
from inference.scoring import BLANK_NOTE, missing_note

JSON = "application/json"
_encode = msgspec.json.Encoder().encode  # NaN is written as null


def answer(bundle: LoadedBundle, scored: Scored, labels: HourLabels) -> tuple[bytes, str]:
    """(body, media type) of the answer to a scored request."""
    form = scored.request.form
    if form is Form.ROWS:
        return _encode(_rows(bundle, scored, labels)), JSON
    local = labels(scored.request.rows.hours)
    if form is Form.COLUMNS:
        return _encode(_columns(bundle, scored, local)), JSON
    return arrow.write_answer(
        _arrow_columns(bundle, scored, local), bundle.bundle_id
    ), arrow.MEDIA_TYPE


def _notes(bundle: LoadedBundle, scored: Scored) -> dict[str, list[str | None]]:
    """Per model, why each row has no prediction (None where it has one): the sequence models'
    unknown hours, and for every model a row whose every feature is unknown (no model scored
    it: :func:`inference.scoring.predict`)."""
    said: dict[int, str | None] = {0: None}
    notes = []
    for m in scored.missing.tolist():
        if m not in said:
            said[m] = missing_note(m, bundle.window)
        notes.append(said[m])
    out = {name: notes for name, kind in bundle.kinds.items() if kind == "sequence"}
    if scored.blank.any():
        rows = scored.blank.tolist()
        for name in bundle.kinds:
            before = out.get(name, [None] * len(rows))
            out[name] = [BLANK_NOTE if b else n for b, n in zip(rows, before, strict=True)]
    return out


def _averaged(names: list[str], have: np.ndarray) -> list[list[str]]:
    """The models each row's ensemble averaged (one list object per combination)."""
    lists: dict[tuple[bool, ...], list[str]] = {}
    out = []
    for pattern in map(tuple, have.T.tolist()):
        found = lists.get(pattern)
        if found is None:
            found = lists[pattern] = [n for n, h in zip(names, pattern, strict=True) if h]
        out.append(found)
    return out


def _rows(bundle: LoadedBundle, scored: Scored, labels: HourLabels) -> ScoreResponse:
    """One :class:`RowPrediction` per row, in order: each model, the ensemble, the bands."""
    rows, b = scored.request.rows, scored.bands
    names = bundle.models
    value, p10, p90 = b.value.T.tolist(), b.p10.T.tolist(), b.p90.T.tolist()
    notes = _notes(bundle, scored)
    averaged = _averaged(names, b.have)
    bundle_id = bundle.bundle_id
    issue = rows.issue or [None] * len(rows)
    out = []
    for i, (point, local) in enumerate(zip(rows.points, labels(rows.hours), strict=True)):
        v, lo, hi = value[i], p10[i], p90[i]
        models = {
            name: Band(
                prediction=v[j],
                p10=lo[j],
                p90=hi[j],
                note=notes[name][i] if name in notes else None,
            )
            for j, name in enumerate(names)
        }
        out.append(
            RowPrediction(
                settlement_point=point,
                interval_start_utc=local.utc,
                delivery_date=local.delivery_date,
                hour_ending_local=local.hour_ending,
                dst_flag=local.dst_flag,
                models=models,
                ensemble=Band(prediction=v[-1], p10=lo[-1], p90=hi[-1]),
                ensemble_models=averaged[i],
                bundle_id=bundle_id,
                issue_time_utc=issue[i],
            )
        )
    return ScoreResponse(bundle_id=bundle_id, models=names, predictions=out)


def _columns(bundle: LoadedBundle, scored: Scored, local: list[LocalHour]) -> ColumnarScoreResponse:
    """The same fields as :func:`_rows`, each a list over the rows."""
    rows, b = scored.request.rows, scored.bands
    notes = _notes(bundle, scored)

    def band(j: int, name: str) -> BandColumns:
        return BandColumns(
            prediction=b.value[j].tolist(),
            p10=b.p10[j].tolist(),
            p90=b.p90[j].tolist(),
            note=notes.get(name),
        )

    return ColumnarScoreResponse(
        bundle_id=bundle.bundle_id,
        models=bundle.models,
        columns=PredictionColumns(
            settlement_point=rows.points,
            interval_start_utc=[h.utc for h in local],
            delivery_date=[h.delivery_date for h in local],
            hour_ending_local=[h.hour_ending for h in local],
            dst_flag=[h.dst_flag for h in local],
            models={name: band(j, name) for j, name in enumerate(bundle.models)},
            ensemble=band(-1, "ensemble"),
            ensemble_models=_averaged(bundle.models, b.have),
            issue_time_utc=rows.issue,
        ),
    )


def _arrow_columns(bundle: LoadedBundle, scored: Scored, local: list[LocalHour]) -> dict[str, Any]:
    """The columns of :func:`inference.scoring.score` (nulls where no prediction was made),
    with the local delivery hour and the bundle id."""
    rows, b = scored.request.rows, scored.bands
    out: dict[str, Any] = {
        "settlement_point": rows.points,
        "interval_start_utc": arrow.stamps(rows.hours),
        "delivery_date": [h.delivery_date for h in local],
        "hour_ending_local": [h.hour_ending for h in local],
        "dst_flag": [h.dst_flag for h in local],
    }
    if rows.issue is not None:
        out["issue_time_utc"] = pa.array(rows.issue, pa.timestamp("us", tz="UTC"))
    for j, name in enumerate(b.names):
        for key, values in ((name, b.value), (f"{name}_p10", b.p10), (f"{name}_p90", b.p90)):
            out[key] = pa.array(values[j], from_pandas=True)  # NaN → null
    averaged = _averaged(bundle.models, b.have)
    joined = {id(m): ",".join(m) for m in averaged}
    out["ensemble_models"] = [joined[id(m)] for m in averaged]
    for name, notes in _notes(bundle, scored).items():
        out[f"{name}_note"] = pa.array(notes, pa.string())
    out["bundle_id"] = pa.DictionaryArray.from_arrays(
        np.zeros(len(rows), "int32"), pa.array([bundle.bundle_id])
    )
    return out
