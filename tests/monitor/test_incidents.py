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
    opened nor opens what it found back then: no false recovery, no stale alert."""
    later = NOW + pd.Timedelta(days=11)
    opened = reconcile(db_engine, {"freshness:dam_spp": "dam_spp is stale"}, later, FRESHNESS)
    assert list(opened.opened) == ["freshness:dam_spp"] and not opened.replay
    replay = reconcile(db_engine, {"freshness:sced_lmp": "old"}, NOW, FRESHNESS)
    assert replay.replay and not (replay.opened or replay.recovered or replay.ongoing)
    assert alert_messages(replay) == []
    still = reconcile(db_engine, {"freshness:dam_spp": "dam_spp is stale"}, later, FRESHNESS)
    assert still.ongoing == ["freshness:dam_spp"]  # the same moment again (a retry) is no replay
    # each scope keeps its own mark: the monitor's first check at NOW is not a replay
    monitor = reconcile(db_engine, {"freshness:dam_spp": "dam_spp is stale"}, NOW)
    assert not monitor.replay and monitor.ongoing == ["freshness:dam_spp"]
