"""Which conditions are wrong now, keyed so that one condition is one incident. Pure.

Keys: ``freshness:<check>`` per stale freshness check, ``drift:<source table>`` per source
whose features drifted, ``drift:predictions``, ``accuracy:ensemble``, ``calibration:ensemble``.
Drift is keyed by source
rather than lumped into one incident because slow rolling features drift with the season
(docs/monitoring.md): one incident for every feature would stay open for weeks, and a source
that goes wrong meanwhile would never be alerted.
"""

from __future__ import annotations

import re

import pandas as pd

from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.features.catalog import FEATURES
from ercot_dart.monitor.freshness import problems

FRESHNESS = "freshness:"
"""Prefix of the incidents that the pipeline's freshness check opens and closes."""
DRIFT = "drift:"
ACCURACY = "accuracy:"
CALIBRATION = "calibration:"
PREDICTIONS = "prediction"
"""Drift-table rows whose feature starts with this are the predictions' own drift."""
SHOWN = 8
"""Drifted features named in one message."""

_TABLE = re.compile(
    r"\b(" + "|".join(sorted(map(str, SourceTable), key=len, reverse=True)) + r")\b"
)
_SOURCES = {f.name: f.source for f in FEATURES}


def source_tables(feature: str) -> list[str]:
    """The source tables a feature is built from, as its catalog entry names them (a DART
    feature names ``dam_spp``, ``rtm_spp`` and ``sced_lmp``); the catalog's source text when
    it names no table (e.g. "load / wind / solar forecasts"), the feature itself when unknown."""
    source = _SOURCES.get(feature)
    if source is None:
        return [feature]
    named = list(dict.fromkeys(_TABLE.findall(source)))
    return named or [source]


def freshness_incidents(freshness: pd.DataFrame) -> dict[str, str]:
    """``freshness:<check>`` → its problem, for each stale check of a freshness report."""
    stale = freshness[freshness["status"] == "stale"] if len(freshness) else freshness
    return {
        f"{FRESHNESS}{table}": message
        for table, message in zip(stale.get("table", []), problems(freshness), strict=True)
    }


def drift_incidents(drift: pd.DataFrame) -> dict[str, str]:
    """``drift:<source table>`` → the features built from it that drifted, and
    ``drift:predictions`` when the predictions drifted (``drift_table`` rows)."""
    if not len(drift):
        return {}
    drifted = [str(f) for f in drift.loc[drift["drifted"], "feature"]]
    by_source: dict[str, list[str]] = {}
    for feature in drifted:
        if feature.startswith(PREDICTIONS):
            continue
        for table in source_tables(feature):
            by_source.setdefault(table, []).append(feature)
    active = {
        f"{DRIFT}{table}": (
            f"{len(features)} feature(s) built from {table} drifted from the training window: "
            f"{', '.join(features[:SHOWN])}{' ...' if len(features) > SHOWN else ''}"
        )
        for table, features in sorted(by_source.items())
    }
    if any(f.startswith(PREDICTIONS) for f in drifted):
        active[f"{DRIFT}predictions"] = (
            "the ensemble's predictions drifted from the training window"
        )
    return active


def incidents(
    freshness: pd.DataFrame,
    drift: pd.DataFrame,
    retrain_reason: str | None,
    calibration: str | None = None,
) -> dict[str, str]:
    """Every condition that is wrong now: key → message (``calibration``: the ensemble's
    bands' problem, :func:`ercot_dart.monitor.accuracy.calibration_problem`)."""
    active = {**freshness_incidents(freshness), **drift_incidents(drift)}
    if retrain_reason:
        active[f"{ACCURACY}ensemble"] = retrain_reason
    if calibration:
        active[f"{CALIBRATION}ensemble"] = calibration
    return active
