"""HTTP bodies of the scoring service (msgspec Structs) — the OpenAPI document is generated
from these, and ``/score`` decodes requests with per-bundle variants of them
(:mod:`inference.decode`), so the documented schema and the accepted one cannot drift apart.

Units: predictions, P10 and P90 in $/MWh; times are UTC interval starts, or ERCOT's local
delivery date + hour ending (1..24) + DST flag (``Y`` only for the repeated fall-back hour).

The request and answer bodies are ``gc=False`` Structs (and so are the per-bundle variants):
they hold decoded values and lists, never a reference cycle, so the garbage collector need
not track them. A 24,000-row JSON answer is ~120,000 of them; untracked, building it takes
0.18 s instead of 0.26 s.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

PointName = Annotated[str, Meta(min_length=1, max_length=100, description="e.g. HB_HOUSTON")]
HourEnding = Annotated[int, Meta(ge=1, le=24, description="local hour ending, 1..24")]
FeatureValue = Annotated[
    float | None,
    Meta(description="the feature's value (units in docs/features.md); null when unknown"),
]


class DstFlag(StrEnum):
    """ERCOT's DSTFlag: ``Y`` only for the repeated (second, CST) 01:00–02:00 of the fall-back day."""

    N = "N"
    Y = "Y"


class FeatureRow(Struct, kw_only=True, gc=False, forbid_unknown_fields=True):
    """One (settlement point, delivery hour) with its feature values, named as in the store.

    Give the hour as ``interval_start_utc`` (timezone-aware, on the hour), or as
    ``delivery_date`` + ``hour_ending`` (+ ``dst_flag``), or both when they agree.
    """

    settlement_point: PointName
    features: dict[str, FeatureValue]
    interval_start_utc: datetime | None = None
    delivery_date: date | None = None
    hour_ending: HourEnding | None = None
    dst_flag: DstFlag = DstFlag.N
    issue_time_utc: datetime | None = None


class RowColumns(Struct, kw_only=True, gc=False, forbid_unknown_fields=True):
    """Rows as columns (for batches): each field of :class:`FeatureRow` as a list with one
    value per row, all lists the same length; ``features`` maps each feature to its list.
    A null in a time column means the row does not give that field.
    """

    settlement_point: list[PointName]
    features: dict[str, list[FeatureValue]]
    interval_start_utc: list[datetime | None] | None = None
    delivery_date: list[date | None] | None = None
    hour_ending: list[HourEnding | None] | None = None
    dst_flag: list[DstFlag | None] | None = None
    issue_time_utc: list[datetime | None] | None = None


class ScoreRequest(Struct, kw_only=True, gc=False, forbid_unknown_fields=True):
    """Rows to score and, optionally, earlier hours for the LSTM's window; each a list of rows
    or the same rows as columns (:class:`RowColumns`, answered in columns).

    ``history`` rows are not scored; for the hours they carry they win over the feature store,
    and a scored row wins over a history row of the same point and hour.
    """

    rows: Annotated[list[FeatureRow], Meta(min_length=1)] | RowColumns
    history: list[FeatureRow] | RowColumns = []


class Band(Struct, kw_only=True, gc=False, omit_defaults=True):
    """A prediction and its P10–P90 band ($/MWh); null with a ``note`` when not made."""

    prediction: float | None
    p10: float | None
    p90: float | None
    note: str | None = None


class RowPrediction(Struct, kw_only=True, gc=False, omit_defaults=True):
    """Predictions of one scored row, in the request's order."""

    settlement_point: str
    interval_start_utc: datetime
    delivery_date: date
    hour_ending_local: str
    dst_flag: str
    models: dict[str, Band]
    ensemble: Band
    ensemble_models: list[str]
    bundle_id: str
    issue_time_utc: datetime | None = None


class ScoreResponse(Struct, kw_only=True, gc=False):
    """The bundle that scored the request and one prediction per row."""

    bundle_id: str
    models: list[str]
    predictions: list[RowPrediction]


class BandColumns(Struct, kw_only=True, gc=False, omit_defaults=True):
    """:class:`Band` of every row, as lists ($/MWh)."""

    prediction: list[float | None]
    p10: list[float | None]
    p90: list[float | None]
    note: list[str | None] | None = None


class PredictionColumns(Struct, kw_only=True, gc=False, omit_defaults=True):
    """:class:`RowPrediction` of every row, as lists in the request's row order."""

    settlement_point: list[str]
    interval_start_utc: list[datetime]
    delivery_date: list[date]
    hour_ending_local: list[str]
    dst_flag: list[str]
    models: dict[str, BandColumns]
    ensemble: BandColumns
    ensemble_models: list[list[str]]
    issue_time_utc: list[datetime | None] | None = None


class ColumnarScoreResponse(Struct, kw_only=True, gc=False):
    """The answer to rows sent as columns."""

    bundle_id: str
    models: list[str]
    columns: PredictionColumns


class Health(Struct, kw_only=True):
    status: str


class Ready(Struct, kw_only=True):
    status: str
    bundle_id: str
    loaded_at: datetime


class ModelSpec(Struct, kw_only=True):
    file: str
    kind: str
    sha256: str


class ModelInfo(Struct, kw_only=True):
    """The loaded bundle: identity, training window, features, models and metrics."""

    bundle_id: str
    created_at: str
    code_version: str
    loaded_at: datetime
    training_window: dict[str, Any]
    window: int
    features: list[str]
    settlement_points: list[str]
    models: dict[str, ModelSpec]
    metrics: dict[str, Any]
    libraries: dict[str, str]
    history_source: str


class ReloadResult(Struct, kw_only=True):
    bundle_id: str
    previous_bundle_id: str | None
    changed: bool
    seconds: float


class FieldError(Struct, kw_only=True, omit_defaults=True):
    """One invalid field: where (a JSON pointer into the body), why, and the value sent
    (absent when the field itself is missing)."""

    pointer: str
    detail: str
    value: Any | UnsetType = UNSET


class Problem(Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None = None
    errors: list[FieldError] = []
