"""``POST /score`` bodies → :class:`Request` (rows as arrays in a bundle's terms), in one strict
pass, whatever the form: JSON rows, JSON columns, or an Arrow stream (:mod:`inference.arrow`).

Each bundle gets its own JSON request type: ``features`` becomes a Struct with one required
``float | null`` field (or list of them, in the columnar form) per bundle feature and no others,
so missing, unknown and mistyped features are refused by msgspec's C decoder while it reads. The
checks msgspec cannot express run on the result (:mod:`inference.columns`). Any failure hands
the body to :mod:`inference.validate`, which lists every error it contains.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import msgspec
import numpy as np
from msgspec import Meta, Struct

from ercot_dart.models.intervals import SCALE_FEATURE
from inference import arrow
from inference.bundle import LoadedBundle
from inference.columns import LocalColumns, merge_local, to_rows, utc_hours
from inference.field_rules import FLOAT32_MAX, Limits
from inference.hours import LocalKeys
from inference.problems import invalid_request, malformed_json, too_deep
from inference.rows import NO_HOUR, Form, Invalid, Request, Rows, empty_rows
from inference.schemas import (
    DstFlag,
    FeatureRow,
    HourEnding,
    PointName,
    RowColumns,
    ScoreRequest,
)
from inference.validate import find_errors, nonfinite_errors

Number = Annotated[float, Meta(ge=-FLOAT32_MAX, le=FLOAT32_MAX)] | None


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
    return msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True, gc=False)


def _features(name: str, features: list[str], value: Any) -> type[Struct]:
    return msgspec.defstruct(
        name, [(f, value) for f in features], kw_only=True, forbid_unknown_fields=True, gc=False
    )


def request_type(features: list[str], max_rows: int) -> type[Struct]:
    """The JSON ``/score`` body type of a bundle with these features (also its OpenAPI schema)."""
    row = variant(FeatureRow, "Row", {"features": _features("Features", features, Number)})

    def up_to(typ: Any) -> Any:
        return Annotated[list[typ], Meta(max_length=max_rows)]

    columns = variant(
        RowColumns,
        "Columns",
        {
            "settlement_point": up_to(PointName),
            "features": _features("FeatureColumns", features, up_to(Number)),
            "interval_start_utc": up_to(datetime | None) | None,
            "delivery_date": up_to(date | None) | None,
            "hour_ending": up_to(HourEnding | None) | None,
            "dst_flag": up_to(DstFlag | None) | None,
            "issue_time_utc": up_to(datetime | None) | None,
        },
    )
    return variant(
        ScoreRequest,
        "BundleScoreRequest",
        {
            "rows": Annotated[list[row], Meta(min_length=1, max_length=max_rows)] | columns,  # type: ignore[valid-type]
            "history": Annotated[list[row], Meta(max_length=max_rows)] | columns,  # type: ignore[valid-type]
        },
    )


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
        self.max_rows = max_rows
        self.limits = Limits(self.features, set(self.points), max_rows)
        self.request_type = request_type(self.features, max_rows)
        self._decoder = msgspec.json.Decoder(self.request_type)
        self.local = LocalKeys()
        self.no_rows = empty_rows(len(self.features))

    def decode(self, body: bytes, form: Form = Form.ROWS) -> Request:
        """The body's rows and history as arrays; ``form`` ARROW for an Arrow stream, else JSON
        (rows or columns, told apart by the body).

        Raises:
            ProblemError: 400 for malformed JSON or Arrow, 422 listing every invalid field.
        """
        try:
            if form is Form.ARROW:
                return arrow.read_request(body, self)
            request: Any = self._decoder.decode(body)
            history = self.rows(request.history) if request.history else self.no_rows
            rows = self.rows(request.rows)
            if not len(rows):
                raise Invalid("no rows to score")
            form = Form.ROWS if isinstance(request.rows, list) else Form.COLUMNS
            return Request(rows, history, form)
        except (msgspec.ValidationError, Invalid) as exc:
            reason = str(exc)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            # JSON has no NaN or Infinity: name the fields that hold them, if that is all
            errors = nonfinite_errors(body, self.limits, self.local)
            if errors:
                raise invalid_request(errors, str(exc)) from None
            raise malformed_json(str(exc)) from None
        except RecursionError:
            raise too_deep() from None
        if form is Form.ARROW:
            raise invalid_request(arrow.arrow_errors(body, self.limits, self.local), reason)
        try:  # the strict pass stops at the first invalid field, before later strings are read
            body.decode("utf-8")
            errors = find_errors(body, self.limits, self.local, reason)
        except UnicodeDecodeError as exc:
            raise malformed_json(str(exc)) from None
        except RecursionError:
            raise too_deep() from None
        raise invalid_request(errors, reason)

    def rows(self, rows: list[Any] | Any) -> Rows:
        """A decoded list of rows, or columns, as checked arrays."""
        if not isinstance(rows, list):
            return self._columns(rows)
        n = len(rows)
        hours = utc_hours([r.interval_start_utc for r in rows])
        if any(r.delivery_date or r.hour_ending or r.dst_flag is DstFlag.Y for r in rows):
            local = LocalColumns(
                [r.delivery_date for r in rows],
                [r.hour_ending for r in rows],
                [r.dst_flag is DstFlag.Y for r in rows],
            )
            hours = merge_local(hours, local, self.local)
        values = np.array([msgspec.structs.astuple(r.features) for r in rows], "float64")
        return to_rows(
            self.code_of,
            [r.settlement_point for r in rows],
            hours,
            [r.issue_time_utc for r in rows],
            values.reshape(n, len(self.features)),
        )

    def _columns(self, columns: Any) -> Rows:
        n = len(columns.settlement_point)
        features = msgspec.structs.astuple(columns.features)
        given = [getattr(columns, f) for f in ("interval_start_utc", "delivery_date",
                                                "hour_ending", "dst_flag", "issue_time_utc")]  # fmt: skip
        if any(len(c) != n for c in (*features, *(g for g in given if g is not None))):
            raise Invalid("the columns have different lengths")
        utc, day, he, flag, issue = given
        hours = utc_hours(utc) if utc is not None else [NO_HOUR] * n
        if day is not None or he is not None or flag is not None:
            local = LocalColumns(
                day or [None] * n,
                he or [None] * n,
                [f is DstFlag.Y for f in flag] if flag else [False] * n,
            )
            hours = merge_local(hours, local, self.local)
        values = np.array(features, "float64").reshape(len(self.features), n).T
        return to_rows(self.code_of, list(columns.settlement_point), hours, issue, values)
