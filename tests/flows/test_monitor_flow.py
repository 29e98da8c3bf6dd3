"""The ``monitor`` flow after a published run: realized accuracy in the SQL table, stale sources
alerted once (not again an hour later), the report published next to the predictions."""

from __future__ import annotations

from datetime import UTC, datetime

from ercot_dart.db.engine import make_engine
from ercot_dart.monitor.tables import read_accuracy
from ercot_dart.settings import get_settings
from flows.dart_pipeline import dart_pipeline
from flows.monitor import monitor

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
