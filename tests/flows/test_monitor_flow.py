"""The ``monitor`` flow after a published run: realized accuracy in the SQL table, stale sources
alerted once (not again an hour later), the report published next to the predictions.

Then hours replayed on the synthetic market (the demo data): a perturbed source alerted once as
drift and once more when restored; a source held back stops the hourly pipeline runs with one
alert, and its recovery is told when it is back; other failures send the failure notice.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from ercot_dart.db.engine import make_engine
from ercot_dart.monitor.freshness import StaleSourceError
from ercot_dart.monitor.tables import read_accuracy, write_accuracy
from ercot_dart.registry import LocalRegistry
from ercot_dart.settings import get_settings
from flows.dart_pipeline import dart_pipeline
from flows.monitor import monitor
from tests.receivers import webhooks
from tests.serving.conftest import rebrand

ISSUE = datetime(2024, 8, 20, 14, 0, tzinfo=UTC)  # predicts 2024-08-21
AFTER = datetime(2024, 8, 22, 6, 0, tzinfo=UTC)  # the source data ends with 2024-08-21


def test_monitor_measures_alerts_once_and_publishes_the_report(prefect_api, pipeline):
    hooks, box = pipeline
    dart_pipeline(issue_time=ISSUE)
    result = monitor(as_of=AFTER)

    assert result["realized_rows"] > 0
    daily = read_accuracy(make_engine(get_settings().predictions_url))
    overall = daily[
        (daily["settlement_point"] == "ALL") & (daily["day"].astype(str) == "2024-08-21")
    ]
    assert {"ensemble", "lightgbm", "xgboost", "lstm", "baseline_zero",
            "baseline_same_hour_median_7d"} <= set(overall["model"])  # fmt: skip
    assert (overall["rows"] == 5 * 24).all()

    # the data ends the day before: the sources are stale, an incident is opened and alerted
    assert result["stale"] and any(k.startswith("freshness:") for k in result["opened"])
    alerts = [b["text"] for b in hooks.bodies("slack") if "ALERT" in b["text"]]
    assert len(alerts) == 1

    report = get_settings().blob_root / "reports/2024/08/22/report.html"
    html = report.read_text()
    assert result["report"] == str(report) and html.count('class="plot"') >= 2

    again = monitor(as_of=datetime(2024, 8, 22, 7, 0, tzinfo=UTC))
    assert not again["opened"] and again["ongoing"]
    assert len([b for b in hooks.bodies("slack") if "ALERT" in b["text"]]) == 1  # no storm


def test_bands_out_of_calibration_are_an_incident_until_they_are_back(
    prefect_api, pipeline, monkeypatch
):
    hooks, _ = pipeline
    monkeypatch.setenv("ERCOT_DART_CALIBRATION_MIN_ROWS", "100")  # one day of 5 hubs: 120
    get_settings.cache_clear()
    dart_pipeline(issue_time=ISSUE)
    first = monitor(as_of=AFTER)
    daily = read_accuracy(make_engine(get_settings().predictions_url))
    [coverage] = daily.loc[
        (daily["settlement_point"] == "ALL") & (daily["model"] == "ensemble"), "coverage_p10_p90"
    ]
    opened = "calibration:ensemble" in first["opened"]
    assert opened is not (0.65 <= coverage <= 0.95)  # the defaults judge the real coverage

    # a bound above what the bands achieved: too narrow, alerted once with the figure
    monkeypatch.setenv("ERCOT_DART_CALIBRATION_COVERAGE_MIN", str(min(coverage + 0.01, 0.99)))
    monkeypatch.setenv("ERCOT_DART_CALIBRATION_COVERAGE_MAX", "1.0")
    get_settings.cache_clear()
    later = monitor(as_of=datetime(2024, 8, 22, 7, 0, tzinfo=UTC))
    assert "calibration:ensemble" in later["open"]
    alerts = [
        b["text"]
        for b in hooks.bodies("slack")
        if "ALERT" in b["text"] and "P10-P90 coverage" in b["text"]
    ]
    assert len(alerts) == 1 and f"coverage {coverage:.1%}" in alerts[0]
    assert "too narrow" in alerts[0] and "(120 point-hours)" in alerts[0]

    # bounds the bands meet again: the incident recovers
    monkeypatch.setenv("ERCOT_DART_CALIBRATION_COVERAGE_MIN", "0.0")
    get_settings.cache_clear()
    back = monitor(as_of=datetime(2024, 8, 22, 8, 0, tzinfo=UTC))
    assert "calibration:ensemble" in back["recovered"]


def test_a_stale_source_stops_the_run_before_anything_is_published(prefect_api, pipeline):
    hooks, box = pipeline
    late = datetime(2024, 8, 24, 14, 0, tzinfo=UTC)  # the source data ends with 2024-08-21
    with pytest.raises(StaleSourceError, match="stale sources at 2024-08-24T14:00Z: .*sced_lmp"):
        dart_pipeline(issue_time=late)
    assert not (get_settings().blob_root / "predictions").exists()
    # an incident, alerted once to every channel, not a failure notice
    [alert] = [b["text"] for b in hooks.bodies("slack")]
    assert "ALERT" in alert and "sced_lmp is stale" in alert
    assert [s for s in box.subjects() if "ALERT" in s] and not [
        s for s in box.subjects() if "FAILED" in s
    ]


def test_accuracy_below_the_baseline_for_days_retrains_although_retrain_is_false(
    prefect_api, pipeline
):
    settings = get_settings()
    registry = LocalRegistry(settings.registry_root)
    champion = registry.champion()
    # a champion made today is not retrained on the trigger (one retrain a day): age it
    source = registry.fetch(champion, settings.data_dir / "fetched")
    aged = rebrand(source, settings.data_dir / "aged", "dart-aged", "2024-08-01T06:00:00Z")
    registry.promote(registry.publish(aged), "an old champion")
    bad = pd.DataFrame(
        [
            {"day": date(2024, 8, d), "window_days": settings.monitor_window_days, "model": model,
             "settlement_point": "ALL", "rows": 120, "mae": mae, "rmse": mae, "sign_accuracy": 0.5,
             "coverage_p10_p90": 0.8, "pnl_per_mwh": 0.0}
            for d in (17, 18, 19)
            for model, mae in (("ensemble", 9.0), ("baseline_same_hour_median_7d", 7.0))
        ]
    )  # fmt: skip
    write_accuracy(make_engine(settings.predictions_url), bad)
    # the trigger fires and training starts; two months of data are too few for the default
    # split, so the training itself stops with its own message
    with pytest.raises(Exception, match="split"):
        dart_pipeline(issue_time=ISSUE)
    assert asyncio.run(flow_runs_named("train_models"))
    # the run's summary says why it retrained, and where it stopped
    summary = asyncio.run(latest_artifact("dart-run-summary"))
    assert "retrained although retrain=false: ensemble mae worse than the 7-day" in summary
    assert "stopped:" in summary and "split" in summary


async def flow_runs_named(name: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    async with get_client() as client:
        return await client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[name])))


async def latest_artifact(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    from prefect.client.schemas.sorting import ArtifactSort

    async with get_client() as client:
        [artifact] = await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
        )
    return str(artifact.data)


# --- hours replayed on the demo data: the synthetic market, three points, eight weeks ---

DEMO_START, DEMO_END = date(2024, 4, 1), date(2024, 5, 25)
DEMO_POINTS, DEMO_SEED = 3, 7


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The synthetic market in a SQLite source, its stage and feature store, and a small
    champion (LightGBM only, evaluated on May's first half, deployed refitted on April to
    May 14) — built once, copied by each test."""
    from ercot_dart.features.asof import AsOfRules
    from ercot_dart.features.pipeline import update_features
    from ercot_dart.models.base import ModelConfig
    from ercot_dart.models.training import (
        TrainRequest,
        evaluate,
        export_bundle,
        fit,
        prepare,
        refit,
    )
    from ercot_dart.synth import write_market

    root = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{root / 'source.sqlite'}"
    engine = make_engine(url)
    write_market(engine, DEMO_START, DEMO_END, DEMO_POINTS, DEMO_SEED)
    engine.dispose()
    update_features(url, root / "stage", root / "features", AsOfRules())
    request = TrainRequest(
        store=root / "features",
        train_end=date(2024, 4, 30),
        valid_end=date(2024, 5, 7),
        test_end=date(2024, 5, 14),
        gap_days=2,
        recent_days=5,
        models=["lightgbm"],
        config=ModelConfig(threads=2, max_rounds=100, early_stopping=10),
    )
    prepared = prepare(request)
    models = {"lightgbm": fit("lightgbm", prepared)}
    refits = {"lightgbm": refit(prepared, models["lightgbm"])}
    bundle = export_bundle(prepared, models, evaluate(prepared, models), root / "bundles", refits)
    return root, bundle


@pytest.fixture
def demo(tmp_path, monkeypatch, demo_template):  # type: ignore[no-untyped-def]
    """Settings of an embedded setup on the demo data in ``tmp_path``, the champion registered,
    a live Slack webhook receiver. Drift is judged on a week with a PSI threshold of 1: the
    seasonal drift of the AS prices between April and late May stays below it, so a source that
    goes wrong stands out (docs/monitoring.md)."""
    root, bundle = demo_template
    for name in ("stage", "features"):
        shutil.copytree(root / name, tmp_path / name)
    shutil.copy(root / "source.sqlite", tmp_path / "source.sqlite")
    registry = LocalRegistry(tmp_path / "registry")
    registry.promote(registry.publish(bundle), "demo champion")
    with webhooks() as hooks:
        for key in ("ERCOT_DART_NOTIFY_TEAMS_WEBHOOK", "ERCOT_DART_NOTIFY_EMAIL_TO"):
            monkeypatch.delenv(key, raising=False)
        env = {
            "ERCOT_DART_DATA_DIR": str(tmp_path),
            "ERCOT_DART_DB_URL": f"sqlite:///{tmp_path / 'source.sqlite'}",
            "ERCOT_DART_NOTIFY_SLACK_WEBHOOK": hooks.url("slack"),
            "ERCOT_DART_DRIFT_WINDOW_DAYS": "7",
            "ERCOT_DART_DRIFT_PSI_THRESHOLD": "1.0",
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        yield hooks
    get_settings.cache_clear()


def source_sql(*statements: str) -> None:
    engine = make_engine(get_settings().source_url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def slack(hooks, word: str, about: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The Slack messages containing ``word`` and ``about``."""
    return [b["text"] for b in hooks.bodies("slack") if word in b["text"] and about in b["text"]]


def hours(start: str, n: int) -> list[datetime]:
    first = pd.Timestamp(start)
    return [(first + pd.Timedelta(hours=k)).to_pydatetime() for k in range(n)]


PERTURBED = "drift:dam_as_prices"


def test_a_perturbed_source_is_alerted_once_as_drift_and_once_when_restored(prefect_api, demo):
    from flows.build_features import build_features

    hooks = demo
    replay = iter(hours("2024-05-21T12:20Z", 6))  # the hourly monitor, after the RT prices
    before = monitor(as_of=next(replay))
    assert before["opened"]  # the season moved other sources: those incidents are open
    assert PERTURBED not in before["opened"] + before["ongoing"]

    # the AS price feed goes wrong from 2024-05-10 (prices twenty times too high)
    source_sql(
        "CREATE TABLE kept AS SELECT * FROM dam_as_prices WHERE DeliveryDate >= '2024-05-10'",
        "UPDATE dam_as_prices SET MCPC = MCPC * 20 WHERE DeliveryDate >= '2024-05-10'",
    )
    build_features(start=date(2024, 5, 10))
    perturbed = [monitor(as_of=next(replay)) for _ in range(3)]  # it persists: one alert
    assert [PERTURBED in r["opened"] for r in perturbed] == [True, False, False]
    assert all(PERTURBED in r["ongoing"] for r in perturbed[1:])
    [alert] = slack(hooks, "ALERT", "built from dam_as_prices drifted")
    assert "as_rrs_lag24h" in alert

    source_sql(
        "DELETE FROM dam_as_prices WHERE DeliveryDate >= '2024-05-10'",
        "INSERT INTO dam_as_prices SELECT * FROM kept",
    )
    build_features(start=date(2024, 5, 10))
    restored = [monitor(as_of=next(replay)) for _ in range(2)]
    assert [PERTURBED in r["recovered"] for r in restored] == [True, False]
    assert len(slack(hooks, "recovered", "built from dam_as_prices drifted")) == 1
    assert len(slack(hooks, "ALERT", "built from dam_as_prices drifted")) == 1  # no storm


def test_a_source_held_back_stops_each_hourly_run_with_one_alert_then_recovers_and_is_scored(
    prefect_api, demo
):
    hooks = demo
    # the DAM results of 2024-05-22 onwards have not arrived
    source_sql(
        "CREATE TABLE held AS SELECT * FROM dam_spp WHERE DeliveryDate >= '2024-05-22'",
        "DELETE FROM dam_spp WHERE DeliveryDate >= '2024-05-22'",
    )
    replay = iter(hours("2024-05-22T11:05Z", 4))  # the hourly runs, 06:05 .. 09:05 CDT
    for _ in range(3):
        issue = next(replay)
        with pytest.raises(StaleSourceError, match=f"stale sources at {issue:%Y-%m-%dT%H:%M}Z: "
                           "dam_spp is stale: latest 2024-05-21, expected at least 2024-05-22"):  # fmt: skip
            dart_pipeline(issue_time=issue)
    assert not (get_settings().blob_root / "predictions").exists()
    assert len(slack(hooks, "ALERT", "dam_spp is stale")) == 1  # once, not once an hour
    assert slack(hooks, "FAILED", "") == []

    source_sql("INSERT INTO dam_spp SELECT * FROM held")
    result = dart_pipeline(issue_time=next(replay))
    assert result["days"] == ["2024-05-23"] and result["rows"] > 0
    assert result["retrain_reason"] is None
    assert result["retrain_decision"] == "not retrained"
    [recovery] = slack(hooks, "recovered", "dam_spp is stale")
    assert "cleared" in recovery
    assert len(slack(hooks, "ALERT", "dam_spp")) == 1 and slack(hooks, "FAILED", "") == []

    # once the real-time prices of 2024-05-23 are in, the monitor scores what was published
    monitor(as_of=datetime(2024, 5, 24, 6, 20, tzinfo=UTC))
    daily = read_accuracy(make_engine(get_settings().predictions_url))
    day = daily[(daily["day"] == date(2024, 5, 23)) & (daily["settlement_point"] == "ALL")]
    assert {"ensemble", "lightgbm", "baseline_zero", "baseline_same_hour_median_7d"} <= set(
        day["model"]
    )
    assert (day["rows"] == DEMO_POINTS * 24).all()


def test_a_failure_notice_outlives_a_busy_webhook(prefect_api, demo, monkeypatch, tmp_path):
    hooks = demo
    monkeypatch.setenv("ERCOT_DART_REGISTRY_DIR", str(tmp_path / "empty-registry"))
    get_settings.cache_clear()
    hooks.fail = [503]  # the first send is refused by a busy server, the retry gets through
    with pytest.raises(Exception, match="champion"):
        dart_pipeline(issue_time=datetime(2024, 5, 19, 14, 0, tzinfo=UTC))
    assert len(slack(hooks, "FAILED", "champion")) == 1
    assert hooks.fail == []  # the 503 was answered, and the notice sent again


def test_a_monitor_that_cannot_watch_says_so_and_alerts_what_it_measured(
    prefect_api, demo, monkeypatch, tmp_path
):
    from ercot_dart.monitor.alerts import reconcile

    hooks = demo
    monkeypatch.setenv("ERCOT_DART_REGISTRY_DIR", str(tmp_path / "empty-registry"))
    get_settings.cache_clear()
    engine = make_engine(get_settings().predictions_url)
    drift = {"drift:wind_power": "3 feature(s) built from wind_power drifted"}
    reconcile(engine, drift, pd.Timestamp("2024-05-27T06:00Z"))  # an earlier monitor found it
    with pytest.raises(Exception, match="champion"):  # no bundle: no drift can be measured
        monitor(as_of=datetime(2024, 5, 28, 6, 0, tzinfo=UTC))  # the data ends on 2024-05-25
    assert len(slack(hooks, "FAILED", "champion")) == 1
    [alert] = slack(hooks, "ALERT", "dam_spp is stale")  # measured before the failure
    assert "drift" not in alert
    after = reconcile(engine, drift, pd.Timestamp("2024-05-28T07:00Z"), "drift:")
    assert after.ongoing == ["drift:wind_power"]  # not closed by the run that could not measure it


def test_the_monitor_runs_alone_from_the_command_line(prefect_api, demo):
    from click.testing import CliRunner

    from ercot_dart.cli import main

    dart_pipeline(issue_time=datetime(2024, 5, 20, 14, 0, tzinfo=UTC))  # predicts 2024-05-21
    result = CliRunner().invoke(main, ["monitor", "--as-of", "2024-05-22T06:20Z"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("monitor as of 2024-05-22T06:20Z: ") and "realized" in lines[0]
    assert int(lines[0].split(": ")[1].split(" ")[0].replace(",", "")) == 4 * DEMO_POINTS * 24
    assert lines[-1].startswith("  report: ") and lines[-1].endswith("report.html")
    replay = CliRunner().invoke(main, ["monitor", "--as-of", "2024-05-22T05:20Z"])
    assert replay.exit_code == 0, replay.output
    assert "a later moment was already checked: incidents unchanged (a replay)" in replay.stdout
    bad = CliRunner().invoke(main, ["monitor", "--as-of", "yesterday-ish"])
    assert bad.exit_code == 2 and "--as-of" in bad.output


def test_predictions_made_from_stale_sources_say_so_when_runs_go_on(prefect_api, demo, monkeypatch):
    hooks = demo
    monkeypatch.setenv("ERCOT_DART_FRESHNESS_ENFORCE", "false")
    get_settings.cache_clear()
    source_sql("DELETE FROM dam_spp WHERE DeliveryDate >= '2024-05-22'")
    for issue in hours("2024-05-22T11:05Z", 2):  # both runs publish, and both say it
        result = dart_pipeline(issue_time=issue)
        assert result["rows"] > 0
    summaries = slack(hooks, "published", "")
    assert len(summaries) == 2
    for text in summaries:
        assert "with 1 caveat(s)" in text
        assert (
            "CAVEAT: made from stale sources (ERCOT_DART_FRESHNESS_ENFORCE=false): dam_spp is stale"
            in text
        )
    assert len(slack(hooks, "ALERT", "dam_spp is stale")) == 1  # the incident, once


def test_a_stale_stop_in_a_replay_sends_the_failure_notice(prefect_api, demo):
    """A replay changes no incident, so it alerts nothing: its stop must not pass unnoticed."""
    hooks = demo
    source_sql("DELETE FROM dam_spp WHERE DeliveryDate >= '2024-05-22'")
    earlier, later = hours("2024-05-22T11:05Z", 3)[0], hours("2024-05-22T11:05Z", 3)[2]
    with pytest.raises(StaleSourceError):
        dart_pipeline(issue_time=later)
    assert len(slack(hooks, "ALERT", "dam_spp is stale")) == 1 and slack(hooks, "FAILED", "") == []
    with pytest.raises(StaleSourceError):
        dart_pipeline(issue_time=earlier)  # a replay of an earlier hour
    assert len(slack(hooks, "ALERT", "dam_spp is stale")) == 1
    assert len(slack(hooks, "FAILED", "dam_spp is stale")) == 1
