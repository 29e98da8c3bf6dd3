"""Incidents from the monitor's measurements: one per stale check, one per source whose features
drifted, one for the predictions; and the pipeline's freshness scope leaves the others alone."""

from __future__ import annotations

import pandas as pd

from ercot_dart.monitor.alerts import alert_messages, reconcile
from ercot_dart.monitor.drift import DRIFT_COLUMNS
from ercot_dart.monitor.freshness import FRESHNESS_COLUMNS
from ercot_dart.monitor.incidents import (
    FRESHNESS,
    drift_incidents,
    freshness_incidents,
    incidents,
    source_tables,
)
from tests.helpers import all_at_once

NOW = pd.Timestamp("2024-05-21T12:20Z")


def drift(drifted: dict[str, bool]) -> pd.DataFrame:
    return pd.DataFrame(
        [(f, 2.0 if d else 0.01, 0.5, 1e-9, 500, 100, d) for f, d in drifted.items()],
        columns=DRIFT_COLUMNS,
    )


def freshness(stale: list[str]) -> pd.DataFrame:
    tables = ["dam_spp", "sced_lmp", "sced_lmp gaps", "settlement points"]
    return pd.DataFrame(
        [
            (t, NOW, NOW, "stale" if t in stale else "ok", f"{t} detail" if t in stale else "")
            for t in tables
        ],
        columns=FRESHNESS_COLUMNS,
    )


def test_a_feature_counts_for_each_source_table_its_catalog_entry_names():
    assert source_tables("as_rrs_lag24h") == ["dam_as_prices"]
    assert source_tables("dart_mean_7d") == ["dam_spp", "rtm_spp", "sced_lmp"]
    assert source_tables("net_load_fc") == ["load / wind / solar forecasts"]
    assert source_tables("not_in_the_catalog") == ["not_in_the_catalog"]


def test_drifted_features_open_one_incident_per_source_and_name_the_features():
    active = drift_incidents(
        drift({"as_rrs_lag24h": True, "as_nspin_lag24h": True, "wind_fc": False})
    )
    assert list(active) == ["drift:dam_as_prices"]
    assert "2 feature(s) built from dam_as_prices" in active["drift:dam_as_prices"]
    assert "as_rrs_lag24h" in active["drift:dam_as_prices"]


def test_seasonal_drift_of_one_source_does_not_hide_another():
    seasonal = drift_incidents(drift({"dart_mean_28d": True, "as_rrs_lag24h": False}))
    perturbed = drift_incidents(drift({"dart_mean_28d": True, "as_rrs_lag24h": True}))
    assert "drift:dam_as_prices" not in seasonal
    assert set(perturbed) - set(seasonal) == {"drift:dam_as_prices"}


def test_predictions_drift_is_its_own_incident():
    active = drift_incidents(drift({"prediction (ensemble)": True, "wind_fc": False}))
    assert list(active) == ["drift:predictions"]
    assert drift_incidents(pd.DataFrame(columns=DRIFT_COLUMNS)) == {}


def test_each_stale_check_is_its_own_incident():
    active = freshness_incidents(freshness(["sced_lmp", "sced_lmp gaps"]))
    assert set(active) == {"freshness:sced_lmp", "freshness:sced_lmp gaps"}
    assert "sced_lmp gaps is stale" in active["freshness:sced_lmp gaps"]
    assert freshness_incidents(freshness([])) == {}


def test_incidents_gather_freshness_drift_and_accuracy():
    active = incidents(
        freshness(["dam_spp"]), drift({"wind_fc": True}), "the ensemble is worse than the baseline"
    )
    assert set(active) == {"freshness:dam_spp", "drift:wind_power", "accuracy:ensemble"}


def test_a_scoped_reconcile_leaves_other_incidents_open(db_engine):
    reconcile(db_engine, {"drift:wind_power": "w", "freshness:dam_spp": "d"}, NOW)
    scoped = reconcile(db_engine, {}, NOW + pd.Timedelta(hours=1), FRESHNESS)
    assert list(scoped.recovered) == ["freshness:dam_spp"]
    later = reconcile(db_engine, {"drift:wind_power": "w"}, NOW + pd.Timedelta(hours=2))
    assert later.ongoing == ["drift:wind_power"] and not later.opened and not later.recovered


def test_a_replay_of_an_earlier_moment_changes_no_incident(db_engine):
    """A run for a past issue time (or one retried long after) neither closes what a later run
    opened nor opens what it found back then, whichever scope checked later: no false
    recovery, no stale alert."""
    later = NOW + pd.Timedelta(days=11)
    found = {"freshness:dam_spp": "dam_spp is stale", "accuracy:ensemble": "worse"}
    opened = reconcile(db_engine, found, later)  # the monitor: every key
    assert sorted(opened.opened) == sorted(found) and not opened.replay
    for scope in ("", FRESHNESS, "accuracy:"):  # nothing active back then: nothing recovers
        replay = reconcile(db_engine, {"freshness:sced_lmp": "old"}, NOW, scope)
        assert replay.replay and not (replay.opened or replay.recovered or replay.ongoing)
        assert sorted(replay.open) == sorted(found) and alert_messages(replay) == []
    # the pipeline's freshness check later than the monitor's: an earlier monitor is a replay
    pipeline = reconcile(
        db_engine, {"freshness:dam_spp": "stale"}, later + pd.Timedelta(hours=1), FRESHNESS
    )
    assert pipeline.ongoing == ["freshness:dam_spp"] and not pipeline.replay
    assert reconcile(db_engine, {}, later + pd.Timedelta(minutes=30)).replay
    still = reconcile(db_engine, found, later + pd.Timedelta(hours=1))  # the same moment again
    assert not still.replay and sorted(still.ongoing) == sorted(found)
    recovered = reconcile(db_engine, {}, later + pd.Timedelta(hours=2))
    assert sorted(recovered.recovered) == sorted(found) and recovered.open == {}


def test_two_runs_reconciling_one_scope_at_once_never_move_its_mark_back(db_engine):
    """Eight runs at different moments race: each is either applied or a replay, and the mark
    ends at the latest moment."""
    from sqlalchemy import select

    from ercot_dart.monitor.tables import create, monitor_checks

    create(db_engine)  # the tables exist after the first run; creating them is not the race here
    moments = [NOW + pd.Timedelta(minutes=m) for m in (5, 40, 10, 35, 15, 30, 20, 25)]
    all_at_once(
        lambda moment: reconcile(db_engine, {"freshness:dam_spp": "stale"}, moment, FRESHNESS),
        moments,
    )
    with db_engine.connect() as conn:
        mark = conn.execute(
            select(monitor_checks.c.checked_at_utc).where(monitor_checks.c.scope == FRESHNESS)
        ).scalar()
    assert mark == max(moments).tz_convert("UTC").tz_localize(None).to_pydatetime()
