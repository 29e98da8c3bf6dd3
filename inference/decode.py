"""``POST /score`` bodies → arrays in a bundle's column order, in one strict msgspec pass.

Each bundle gets its own request type: ``features`` becomes a Struct with one required
``float | null`` field per bundle feature and no others, so missing, unknown and mistyped
features are refused by msgspec's C decoder while it reads. The checks msgspec cannot express
(known points, time zones and range, float32 range, duplicates) run vectorised on the result.
Any failure hands the body to :mod:`inference.validate`, which lists every error it contains.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
import numpy as np
from msgspec import Meta, Struct

from ercot_dart.models.intervals import SCALE_FEATURE
from inference.bundle import LoadedBundle
from inference.hours import LocalKeys, in_range, utc_hour, valid_time
from inference.problems import invalid_request, malformed_json
from inference.schemas import DstFlag, FeatureRow, ScoreRequest
from inference.validate import FLOAT32_MAX, Limits, find_errors

POINT_STRIDE = 2_000_003
"""A row's key is point code × stride + hour number: one int64 per (point, hour), ordered by
(point, hour), so ``key − k`` is the same point k hours earlier. The stride exceeds every hour
number (2100 is hour 1.15 M) and is odd, so keys spread over a dict's hash slots."""


def variant(base: type[Struct], name: str, types: dict[str, Any]) -> type[Struct]:
    """``base`` with some fields' types replaced (same names, defaults and options)."""
    fields: list[Any] = []
    for f in msgspec.structs.fields(base):
        typ = types.get(f.name, f.type)
        if f.required:
            fields.append((f.name, typ))
        elif f.default_factory is not msgspec.NODEFAULT:
            fields.append((f.name, typ, msgspec.field(default_factory=f.default_factory)))
        else:
            fields.append((f.name, typ, f.default))
    return msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True)


def request_type(features: list[str], max_rows: int) -> type[Struct]:
    """The ``/score`` body type of a bundle with these features (also its OpenAPI schema)."""
    values = msgspec.defstruct(
        "Features",
        [
            (name, Annotated[float, Meta(ge=-FLOAT32_MAX, le=FLOAT32_MAX)] | None)
            for name in features
        ],
        kw_only=True,
        forbid_unknown_fields=True,
    )
    row = variant(FeatureRow, "Row", {"features": values})
    return variant(
        ScoreRequest,
        "BundleScoreRequest",
        {
            "rows": Annotated[list[row], Meta(min_length=1, max_length=max_rows)],  # type: ignore[valid-type]
            "history": Annotated[list[row], Meta(max_length=max_rows)],  # type: ignore[valid-type]
        },
    )


@dataclass(frozen=True)
class Rows:
    """Decoded rows: point codes, hour numbers, tree matrix (rows, columns) float32."""

    points: list[str]
    codes: np.ndarray
    hours: np.ndarray
    x: np.ndarray
    scale: np.ndarray
    issue: list[datetime | None]

    @property
    def keys(self) -> np.ndarray:
        return self.codes * POINT_STRIDE + self.hours


@dataclass(frozen=True)
class Batch:
    rows: Rows
    history: Rows


class _Invalid(Exception):
    """The fast path found a problem; :func:`find_errors` explains it."""


class BundleCodec:
    """Everything request decoding needs of one bundle, compiled once when it is loaded."""

    def __init__(self, bundle: LoadedBundle, max_rows: int) -> None:
        pre = bundle.pre
        self.features = list(pre.features)
        self.points = sorted(pre.encoding)
        self.code_of = {p: i for i, p in enumerate(self.points)}
        self.point_encoding = np.array([pre.encoding[p] for p in self.points], "float32")
        self.scale_column = (
            self.features.index(SCALE_FEATURE) if SCALE_FEATURE in self.features else None
        )
        self.limits = Limits(self.features, set(self.points), max_rows)
        self.request_type = request_type(self.features, max_rows)
        self._decoder = msgspec.json.Decoder(self.request_type)
        self._local = LocalKeys()
        self._no_rows = self._rows([])

    def decode(self, body: bytes) -> Batch:
        """The body's rows and history as arrays.

        Raises:
            ProblemError: 400 for malformed JSON, 422 listing every invalid field otherwise.
        """
        try:
            request = self._decoder.decode(body)
            history = self._rows(request.history) if request.history else self._no_rows
            return Batch(self._rows(request.rows), history)
        except (msgspec.ValidationError, _Invalid) as exc:
            reason = str(exc)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            raise malformed_json(str(exc)) from None
        try:
            errors = find_errors(body, self.limits, self._local, reason)
        except UnicodeDecodeError as exc:  # in a string the strict pass did not need to read
            raise malformed_json(str(exc)) from None
        raise invalid_request(errors, reason)

    def _rows(self, rows: list[Any]) -> Rows:
        n = len(rows)
        code_of = self.code_of
        codes = np.fromiter((code_of.get(r.settlement_point, -1) for r in rows), "int64", n)
        if n and codes.min() < 0:
            raise _Invalid("a settlement point is not in the bundle")
        hours = self._hours(rows)
        if not all(t is None or valid_time(t) for t in (r.issue_time_utc for r in rows)):
            raise _Invalid("issue_time_utc is naive or out of range")
        values = np.array([msgspec.structs.astuple(r.features) for r in rows], "float64").reshape(
            n, len(self.features)
        )
        x = np.empty((n, len(self.features) + 1), "float32")
        with np.errstate(over="ignore"):
            x[:, :-1] = values
        if np.isinf(x[:, :-1]).any():
            raise _Invalid("a feature value is outside the float32 range")
        x[:, -1] = self.point_encoding[codes]
        keys = codes * POINT_STRIDE + hours
        if n > 1 and len(np.unique(keys)) < n:
            raise _Invalid("two rows name the same point and hour")
        scale = (
            values[:, self.scale_column] if self.scale_column is not None else np.full(n, np.nan)
        )
        return Rows(
            [r.settlement_point for r in rows], codes, hours, x, scale,
            [r.issue_time_utc for r in rows],
        )  # fmt: skip

    def _hours(self, rows: list[Any]) -> np.ndarray:
        """Hour number of each row, from interval_start_utc and/or its local keys (agreeing)."""
        hours = np.full(len(rows), -1, "int64")
        local_rows, local_keys = [], []
        for i, row in enumerate(rows):
            if row.interval_start_utc is not None:
                hour = utc_hour(row.interval_start_utc)
                if hour is None or not in_range(hour):
                    raise _Invalid("interval_start_utc is naive, off the hour or out of range")
                hours[i] = hour
            if row.delivery_date is None and row.hour_ending is None and row.dst_flag is DstFlag.N:
                if hours[i] < 0:
                    raise _Invalid("a row names no delivery hour")
                continue
            if row.delivery_date is None or row.hour_ending is None:
                raise _Invalid("delivery_date and hour_ending go together")
            local_rows.append(i)
            local_keys.append((row.delivery_date, row.hour_ending, row.dst_flag is DstFlag.Y))
        if local_rows:
            for i, found in zip(local_rows, self._local(local_keys), strict=True):
                if isinstance(found, str) or (hours[i] >= 0 and hours[i] != found):
                    raise _Invalid("a local delivery hour is invalid or disagrees with UTC")
                hours[i] = found
        return hours
