"""The ``monitor`` flow after a published run: realized accuracy in the SQL table, stale sources
alerted once (not again an hour later), the report published next to the predictions."""

from __future__ import annotations

import asyncio
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


def test_a_stale_source_stops_the_run_before_anything_is_published(prefect_api, pipeline):
    hooks, box = pipeline
    late = datetime(2024, 8, 24, 14, 0, tzinfo=UTC)  # the source data ends with 2024-08-21
    with pytest.raises(StaleSourceError, match="stale sources at 2024-08-24T14:00Z: .*sced_lmp"):
        dart_pipeline(issue_time=late)
    assert not (get_settings().blob_root / "predictions").exists()
    assert "FAILED" in hooks.bodies("slack")[-1]["text"]
    assert [s for s in box.subjects() if "FAILED" in s]


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


async def flow_runs_named(name: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    async with get_client() as client:
        return await client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[name])))
