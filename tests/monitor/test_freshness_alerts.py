"""Freshness at a moment (pure rules, and read from a real database) and incidents that alert
once, stay quiet while they last and send a recovery when they clear."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from ercot_dart.monitor.alerts import alert_messages, changes, reconcile
from ercot_dart.monitor.freshness import Limits, Observed, evaluate, observe, problems

MOMENT = pd.Timestamp("2024-08-20T16:00Z")  # 11:00 CDT


def fresh_observed() -> Observed:
    return Observed(
        latest={
            "dam_spp": date(2024, 8, 20),
            "rtm_spp": date(2024, 8, 20),
            "sced_lmp": datetime(2024, 8, 20, 10, 55),
            "sced_system_lambda": datetime(2024, 8, 20, 10, 55),
            "load_forecast": datetime(2024, 8, 20, 10, 30),
            "actual_load": date(2024, 8, 19),
            "wind_power": datetime(2024, 8, 20, 9, 55),
            "solar_power": datetime(2024, 8, 20, 9, 55),
            "dam_as_prices": date(2024, 8, 20),
        },
        sced_stamps=[
            datetime(2024, 8, 20, 10, 55) - pd.Timedelta(minutes=5 * k) for k in range(288)
        ],
        dam_points={"HB_NORTH", "HB_WEST"},
        rt_points={"HB_NORTH", "HB_WEST"},
    )


def test_everything_fresh_is_ok():
    report = evaluate(fresh_observed(), MOMENT, Limits())
    assert (report["status"] == "ok").all(), report
    assert problems(report) == []


def test_stale_tables_gaps_and_missing_points_are_named():
    observed = fresh_observed()
    observed.latest["sced_lmp"] = datetime(2024, 8, 20, 9, 0)  # two hours old
    observed.latest["solar_power"] = None  # absent: its features are left out, not a problem
    observed.sced_stamps = [s for s in observed.sced_stamps if not (6 <= s.hour < 8)]
    observed.rt_points = {"HB_NORTH"}
    report = evaluate(observed, MOMENT, Limits()).set_index("table")
    assert report.loc["sced_lmp", "status"] == "stale"
    assert report.loc["solar_power", "status"] == "missing"
    assert "HB_WEST" in report.loc["settlement points", "detail"]
    assert "no SCED run" in report.loc["sced_lmp gaps", "detail"]
    assert len(problems(report.reset_index())) == 3


def test_after_the_dam_publication_tomorrow_is_expected():
    observed = fresh_observed()
    late = pd.Timestamp("2024-08-20T20:00Z")  # 15:00 CDT: the DAM of 08-21 is out
    observed.latest["sced_lmp"] = observed.latest["sced_system_lambda"] = datetime(
        2024, 8, 20, 14, 55
    )
    observed.latest["load_forecast"] = datetime(2024, 8, 20, 14, 30)
    observed.latest["wind_power"] = observed.latest["solar_power"] = datetime(2024, 8, 20, 13, 55)
    report = evaluate(observed, late, Limits()).set_index("table")
    assert report.loc["dam_spp", "status"] == "stale"
    observed.latest["dam_spp"] = date(2024, 8, 21)
    assert evaluate(observed, late, Limits()).set_index("table").loc["dam_spp", "status"] == "ok"


def test_observe_reads_a_real_database(real_engine):
    observed = observe(real_engine, pd.Timestamp("2024-08-20T14:00Z"))
    assert observed.latest["dam_spp"] >= date(2024, 8, 20)
    assert observed.latest["sced_lmp"] is not None
    assert len(observed.sced_stamps) > 200
    report = evaluate(observed, pd.Timestamp("2024-08-20T14:00Z"), Limits())
    assert report.set_index("table").loc["dam_spp", "status"] == "ok"


def test_incidents_alert_once_and_recover(db_engine):
    t0 = pd.Timestamp("2024-08-20T16:00Z")
    first = reconcile(db_engine, {"freshness:sced_lmp": "sced_lmp is stale"}, t0)
    assert list(first.opened) == ["freshness:sced_lmp"] and not first.recovered
    [alert] = alert_messages(first)
    assert "ALERT" in alert.title and "sced_lmp is stale" in alert.text
    again = reconcile(
        db_engine, {"freshness:sced_lmp": "sced_lmp is stale"}, t0 + pd.Timedelta(hours=1)
    )
    assert not again.opened and again.ongoing == ["freshness:sced_lmp"]
    assert alert_messages(again) == []  # no storm
    cleared = reconcile(db_engine, {}, t0 + pd.Timedelta(hours=2))
    assert list(cleared.recovered) == ["freshness:sced_lmp"]
    [recovery] = alert_messages(cleared)
    assert "recovered" in recovery.title
    back = reconcile(db_engine, {"freshness:sced_lmp": "stale again"}, t0 + pd.Timedelta(hours=3))
    assert list(back.opened) == ["freshness:sced_lmp"]  # a new incident


def test_changes_is_a_plain_difference():
    c = changes({"a": "A", "b": "B"}, {"b": "B", "c": "C"})
    assert c.opened == {"c": "C"} and c.recovered == {"a": "A"} and c.ongoing == ["b"]
