"""Perturb every source value published after a cut-off, for the leakage tests."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ercot_dart.features.asof import AsOfRules, published_at
from ercot_dart.features.build import Sources

VALUE_COLUMNS = {
    "dam_spp": ["SettlementPointPrice"],
    "rtm_spp": ["SettlementPointPrice"],
    "sced_lmp": ["LMP"],
    "sced_system_lambda": ["CappedSystemLambda", "UncappedSystemLambda"],
    "dam_as_prices": ["MCPC"],
}
TIME_COLUMNS = {
    "dam_spp": "DeliveryDate",
    "rtm_spp": "DeliveryDate",
    "sced_lmp": "SCEDTimestamp",
    "sced_system_lambda": "SCEDTimeStamp",
    "load_forecast": "PostedDatetime",
    "wind_power": "PostedDatetime",
    "solar_power": "PostedDatetime",
    "actual_load": "OperDay",
    "dam_as_prices": "DeliveryDate",
}
KEYS = {
    "DeliveryDate",
    "HourEnding",
    "DSTFlag",
    "DeliveryHour",
    "DeliveryInterval",
    "OperDay",
    "DELIVERY_DATE",
    "HOUR_ENDING",
    "PostedDatetime",
    "SCEDTimestamp",
    "SCEDTimeStamp",
    "RepeatedHourFlag",
}


def _values(table: str, frame: pd.DataFrame) -> list[str]:
    if table in VALUE_COLUMNS:
        return [c for c in VALUE_COLUMNS[table] if c in frame.columns]
    return [c for c in frame.columns if c not in KEYS and pd.api.types.is_float_dtype(frame[c])]


def perturb(
    sources: Sources, cutoff: pd.Timestamp, how: str, rules: AsOfRules | None = None
) -> Sources:
    """A copy of ``sources`` where every row published after ``cutoff`` is changed:
    ``scale`` multiplies its values by 1000, ``shift`` moves it 400 days later (past the data,
    so a moved row never collides with another row's key)."""
    rules = rules or AsOfRules()
    out = {}
    for field in dataclasses.fields(sources):
        frame = getattr(sources, field.name)
        if frame is None or frame.empty:
            out[field.name] = frame
            continue
        frame = frame.copy()
        late = (published_at(field.name, frame, rules) > cutoff).to_numpy()
        if how == "scale":
            for col in _values(field.name, frame):
                frame.loc[late, col] = frame.loc[late, col] * 1000.0
        else:
            col = TIME_COLUMNS[field.name]
            shifted = pd.to_datetime(frame[col]) + pd.Timedelta(days=400)
            frame[col] = np.where(late, shifted, pd.to_datetime(frame[col]))
            frame[col] = pd.to_datetime(frame[col])
        out[field.name] = frame
    return Sources(**out)
