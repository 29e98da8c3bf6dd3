"""No feature of a row may change when data published after its issue time changes.

Every source value published after a cut-off is multiplied by 1000 (or moved a day later);
the features are rebuilt; every feature of every row issued before the cut-off must be
unchanged. The cut-offs include both 2024 DST days. A deliberately leaky configuration must
make the same check fail, so the test can fail.
"""

from __future__ import annotations

from datetime import date, time

import numpy as np
import pandas as pd
import pytest

from ercot_dart.features.asof import AsOfRules
from ercot_dart.features.build import (
    Sources,
    build_features,
    feature_columns,
    inference_rows,
    prepare,
    training_rows,
)
from tests.features.leakage import perturb

CUTOFFS = [
    pd.Timestamp("2024-11-03T07:30Z"),  # inside the repeated 01:00-02:00 of the fall-back day
    pd.Timestamp("2024-03-10T08:10Z"),  # just after the spring-forward gap
    pd.Timestamp("2024-07-16T14:00Z"),  # an ordinary 09:00 Central issue time
    pd.Timestamp("2024-07-16T18:35Z"),  # between the DAM's 13:30 publication and the next hour
]


def window(sources: Sources, cutoff: pd.Timestamp, days: int = 45) -> Sources:
    """The sources cut to the weeks around the cut-off (keeps the test quick)."""
    lo, hi = (
        (cutoff - pd.Timedelta(days=days)).tz_localize(None),
        (cutoff + pd.Timedelta(days=10)).tz_localize(None),
    )
    columns = {
        "dam_spp": "DeliveryDate",
        "sced_lmp": "SCEDTimestamp",
        "actual_load": "OperDay",
        "wind_power": "DELIVERY_DATE",
        "solar_power": "DELIVERY_DATE",
        "load_forecast": "DeliveryDate",
        "rtm_spp": "DeliveryDate",
        "sced_system_lambda": "SCEDTimeStamp",
        "dam_as_prices": "DeliveryDate",
    }
    out = {}
    for name, col in columns.items():
        frame = getattr(sources, name)
        if frame is not None:
            when = pd.to_datetime(frame[col])
            frame = frame[(when >= lo) & (when <= hi)].reset_index(drop=True)
        out[name] = frame if frame is not None and len(frame) else None
    return Sources(**out)


def rows_around(prices: pd.DataFrame, cutoff: pd.Timestamp, rules: AsOfRules) -> pd.DataFrame:
    """Training rows of the days around the cut-off, plus next-day rows issued every two hours."""
    day = cutoff.tz_convert("America/Chicago").date()
    rows = [training_rows(prices, rules, day - pd.Timedelta(days=3), day + pd.Timedelta(days=3))]
    points = np.unique(prices["settlement_point"])
    for hours in range(-12, 13, 2):
        issue = cutoff + pd.Timedelta(hours=hours)
        delivery = (issue.tz_convert("America/Chicago") + pd.Timedelta(days=1)).date()
        rows.append(inference_rows(points, delivery, issue))
    return pd.concat(rows, ignore_index=True).drop_duplicates(
        ["settlement_point", "interval_start_utc", "issue_time_utc"]
    )


def features(sources: Sources, rows: pd.DataFrame, rules: AsOfRules) -> pd.DataFrame:
    frame = build_features(prepare(sources), rows, rules)
    return frame.set_index(
        ["settlement_point", "interval_start_utc", "issue_time_utc"]
    ).sort_index()


def changed_before(
    sources: Sources, cutoff: pd.Timestamp, how: str, rules: AsOfRules
) -> tuple[int, int]:
    """(feature values changed in rows issued before the cut-off, values changed after it)."""
    prepared = prepare(sources)
    rows = rows_around(prepared.prices, cutoff, rules)
    base = features(sources, rows, rules)
    moved = features(perturb(sources, cutoff, how, rules), rows, rules)
    cols = feature_columns(base.reset_index())
    a, b = base[cols].to_numpy("float64"), moved.reindex(base.index)[cols].to_numpy("float64")
    differs = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    before = base.index.get_level_values("issue_time_utc") <= cutoff
    return int(differs[before].sum()), int(differs[~before].sum())


@pytest.mark.parametrize("cutoff", CUTOFFS, ids=lambda c: c.strftime("%Y-%m-%dT%H:%M"))
@pytest.mark.parametrize("how", ["scale", "shift"])
def test_no_feature_uses_data_published_after_its_issue_time(real_sources, cutoff, how):
    sources = window(real_sources, cutoff)
    leaked, after = changed_before(sources, cutoff, how, AsOfRules())
    assert leaked == 0
    assert after > 0  # the perturbation reached the rows issued later: the check has teeth


def test_a_leaky_configuration_is_caught(real_sources):
    cutoff = CUTOFFS[2]
    # pretend real-time prices are known two hours before their hour ends: a leak
    leaky = AsOfRules(rt_lag_minutes=-120)
    sources = window(real_sources, cutoff)
    prepared = prepare(sources)
    rows = rows_around(prepared.prices, cutoff, leaky)
    base = features(sources, rows, leaky)
    moved = features(perturb(sources, cutoff, "scale", AsOfRules()), rows, leaky)
    cols = feature_columns(base.reset_index())
    before = base.index.get_level_values("issue_time_utc") <= cutoff
    a, b = base.loc[before, cols].to_numpy("float64"), moved.loc[before, cols].to_numpy("float64")
    assert (~((a == b) | (np.isnan(a) & np.isnan(b)))).sum() > 0


def test_training_issue_time_is_configurable(real_sources):
    rules = AsOfRules(issue_local_time=time(9, 58))
    prices = prepare(window(real_sources, CUTOFFS[2])).prices
    rows = training_rows(prices, rules, date(2024, 7, 16), date(2024, 7, 16))
    local = pd.DatetimeIndex(rows["issue_time_utc"]).tz_convert("America/Chicago")
    assert set(local.strftime("%Y-%m-%d %H:%M")) == {"2024-07-15 09:58"}
