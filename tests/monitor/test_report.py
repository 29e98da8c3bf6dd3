"""The daily report: one self-contained HTML page, and it renders in headless Chromium."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageStat

from ercot_dart.monitor.drift import drift_table
from ercot_dart.monitor.report import ReportData, render_report

CHROMIUM = Path("/usr/bin/chromium")
POINTS = ["HB_HOUSTON", "HB_NORTH", "HB_WEST"]
MODELS = {"lightgbm": 3.0, "xgboost": 3.5, "lstm": 4.0, "ensemble": 2.5}
BASELINES = {"baseline_zero": 7.0, "baseline_same_hour_median_7d": 5.5}
PLOTS = len(POINTS) + 2 + 1  # one panel per point, MAE, sign accuracy/coverage, PSI bars
GENERATED = pd.Timestamp("2026-11-29 12:00", tz="UTC")


class Images(HTMLParser):
    """The attributes of every <img>."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))


def images(page: str) -> list[dict[str, str | None]]:
    parser = Images()
    parser.feed(page)
    return parser.images


def realized_frame(rng: np.random.Generator) -> pd.DataFrame:
    hours = pd.date_range("2026-11-22 06:00", periods=24 * 7, freq="h", tz="UTC")
    daily = 6 * np.sin(np.arange(len(hours)) * 2 * np.pi / 24)
    frames = []
    for point in POINTS:
        truth = daily + rng.normal(0, 4, len(hours))
        for model, noise in MODELS.items():
            pred = truth + rng.normal(0, noise, len(hours))
            frames.append(
                pd.DataFrame(
                    {
                        "settlement_point": point,
                        "interval_start_utc": hours,
                        "model": model,
                        "prediction": pred,
                        "p10": pred - 5,
                        "p90": pred + 5,
                        "realized": truth,
                    }
                )  # fmt: skip
            )
    return pd.concat(frames, ignore_index=True)


def accuracy_frame(rng: np.random.Generator) -> pd.DataFrame:
    days = pd.date_range("2026-11-15", "2026-11-28").date
    rows = [
        {
            "day": day,
            "model": model,
            "settlement_point": "ALL",
            "mae": mae + rng.normal(0, 0.4),
            "rmse": 1.3 * mae,
            "sign_accuracy": 0.6 + rng.normal(0, 0.03),
            "coverage_p10_p90": np.nan if model in BASELINES else 0.8 + rng.normal(0, 0.03),
            "rows": 72,
        }  # fmt: skip
        for model, mae in {**MODELS, **BASELINES}.items()
        for day in days
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def data() -> ReportData:
    rng = np.random.default_rng(8)
    reference = pd.DataFrame({f"feature_{i}": rng.normal(0, 1, 2000) for i in range(8)})
    current = pd.DataFrame({f"feature_{i}": rng.normal(0, 1, 300) for i in range(8)})
    current["feature_3"] += 1.5
    freshness = pd.DataFrame(
        {
            "table": ["dam_spp", "rtm_spp", "wind_forecast"],
            "latest_utc": [
                GENERATED - pd.Timedelta(hours=1),
                GENERATED - pd.Timedelta(hours=5),
                pd.NaT,
            ],
            "expected_by_utc": [GENERATED] * 3,
            "status": ["ok", "stale", "missing"],
            "detail": ["", "5 h behind its lag", "no rows at all"],
        }
    )
    return ReportData(
        title="ercot-dart daily report 2026-11-29",
        generated_at=GENERATED,
        bundle_id="bundle-20261120T0900Z",
        realized=realized_frame(rng),
        accuracy=accuracy_frame(rng),
        drift=drift_table(reference, current, list(reference.columns)),
        freshness=freshness,
        alerts=["drift: feature_3 PSI above 0.25", "rtm_spp <stale> since 07:00 UTC"],
    )


@pytest.fixture(scope="module")
def page(data: ReportData) -> str:
    return render_report(data)


@pytest.fixture
def empty() -> ReportData:
    return ReportData(
        title="ercot-dart daily report 2026-11-29",
        generated_at=GENERATED,
        bundle_id="bundle-none",
        realized=pd.DataFrame(
            columns=[
                "settlement_point",
                "interval_start_utc",
                "model",
                "prediction",
                "p10",
                "p90",
                "realized",
            ]
        ),  # fmt: skip
        accuracy=pd.DataFrame(
            columns=[
                "day",
                "model",
                "settlement_point",
                "mae",
                "rmse",
                "sign_accuracy",
                "coverage_p10_p90",
                "rows",
            ]
        ),  # fmt: skip
        drift=drift_table(pd.DataFrame(), pd.DataFrame(), []),
        freshness=pd.DataFrame(
            columns=["table", "latest_utc", "expected_by_utc", "status", "detail"]
        ),
        alerts=[],
    )


def test_every_plot_is_an_inline_png_with_alt_text(page: str) -> None:
    found = images(page)
    assert len(found) == PLOTS
    for image in found:
        assert image["class"] == "plot"
        assert image["alt"]
        assert (image["src"] or "").startswith("data:image/png;base64,")


def test_the_page_references_nothing_outside_itself(page: str) -> None:
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert not re.search(r"https?:|<link|<script\s+src|@import|url\(", text)


def test_the_headline_shows_the_ensemble_against_the_median_baseline(page: str) -> None:
    header = page[page.index("<header>") : page.index("</header>")]
    assert "bundle-20261120T0900Z" in header
    assert "Ensemble MAE" in header and "7-day median baseline" in header
    assert "Sign accuracy" in header and "P10–P90 coverage" in header
    assert "2026-11-22 to 2026-11-28" in header


def test_open_alerts_are_listed_in_red_and_escaped(page: str) -> None:
    alerts = page[page.index('<ul class="alerts">') :]
    assert "drift: feature_3 PSI above 0.25" in alerts
    assert "rtm_spp &lt;stale&gt; since 07:00 UTC" in alerts
    assert "<stale>" not in page


def test_drifted_features_and_unfresh_sources_are_highlighted(page: str) -> None:
    rows = re.findall(r'<tr class="(\w*)">(.*?)</tr>', page)
    tone = {cells.split("</td>")[0].removeprefix("<td>"): cls for cls, cells in rows}
    assert tone["feature_3"] == "bad"
    assert tone["feature_0"] == ""
    assert (tone["rtm_spp"], tone["wind_forecast"], tone["dam_spp"]) == ("warn", "bad", "")


def test_empty_inputs_give_sentences_instead_of_plots(empty: ReportData) -> None:
    page = render_report(empty)
    assert images(page) == []
    assert "No ensemble prediction has a realized DART yet" in page
    assert "No accuracy rows yet" in page
    assert "No drift check in this run" in page
    assert "No freshness check in this run" in page
    assert "plotsReady" in page


def test_of_several_rolling_windows_the_shortest_is_shown(empty: ReportData) -> None:
    rng = np.random.default_rng(9)
    accuracy = pd.concat(
        [accuracy_frame(rng).assign(window_days=w) for w in (7, 1)], ignore_index=True
    )
    page = render_report(replace(empty, accuracy=accuracy))
    assert "trailing 1 d" in page and "trailing 7 d" not in page
    assert len(images(page)) == 2  # MAE, sign accuracy and coverage


def chromium(*args: str, user_data: Path) -> bytes:
    """Debian's chromium, headless, on a profile of its own; its stdout."""
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", f"--user-data-dir={user_data}",
        "--window-size=1280,2400", "--virtual-time-budget=5000", *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout


def test_the_report_renders_in_headless_chromium(page: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`; "
            ".ci/run installs it) to render the report"
        )
    html = tmp_path / "report.html"
    html.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    # one run does both: the DOM is dumped after the virtual-time budget, so the script has run
    dom = chromium(f"--screenshot={shot}", "--dump-dom", html.as_uri(), user_data=tmp_path / "p")

    ready = re.search(rb'data-plots-ready="(\d+)"', dom)
    assert ready, "the page's script never saw every plot decoded"
    assert int(ready.group(1)) == PLOTS >= 3

    with Image.open(shot) as image:
        rgb = image.convert("RGB")
    assert rgb.size == (1280, 2400)
    colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 500, "the screenshot is (nearly) blank"
    assert max(ImageStat.Stat(rgb).stddev) > 20
