"""The daily monitoring report: one self-contained static HTML page. Pure: data in, text out.

The page works offline and from a blob store: plots are PNGs drawn with matplotlib's Agg
canvas and inlined as base64, the CSS is inline, and the only script is a few lines that mark
``<body data-plots-ready="N">`` once all N plots have decoded (the headless-browser test reads
it). Times on the plots are Central (traders' clock); times in tables are UTC.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ercot_dart.ercot.timeconv import CENTRAL
from ercot_dart.models.metrics import metrics
from ercot_dart.monitor.accuracy import ALL

ENSEMBLE = "ensemble"
MEDIAN_BASELINE = "baseline_same_hour_median_7d"
MAX_POINTS = 10
"""At most this many settlement points get a predicted-vs-realized panel."""
MAX_DRIFT_BARS = 20
COVERAGE_TARGET = 0.8
STYLE = {  # model: (colour, line width, line style)
    "lightgbm": ("#2a9d8f", 1.2, "-"),
    "xgboost": ("#e76f51", 1.2, "-"),
    "lstm": ("#8e6bbf", 1.2, "-"),
    ENSEMBLE: ("#1f4e9c", 2.4, "-"),
    "baseline_zero": ("#9a9a9a", 1.4, ":"),
    MEDIAN_BASELINE: ("#333333", 1.6, "--"),
}
SEVERITY = {"missing": 0, "stale": 1, "ok": 2}


@dataclass
class ReportData:
    """Everything the report shows; any frame may be empty."""

    title: str
    """e.g. "ercot-dart daily report 2026-11-29"."""
    generated_at: pd.Timestamp
    """When the report was made, UTC."""
    bundle_id: str
    """The model bundle whose predictions are scored."""
    realized: pd.DataFrame
    """settlement_point, interval_start_utc (UTC), model, prediction, p10, p90, realized ($/MWh)."""
    accuracy: pd.DataFrame
    """Daily rolling accuracy: day, model, settlement_point ('ALL' overall), mae, rmse,
    sign_accuracy, coverage_p10_p90, rows (extra columns such as window_days are allowed)."""
    drift: pd.DataFrame
    """``ercot_dart.monitor.drift.drift_table`` output."""
    freshness: pd.DataFrame
    """table, latest_utc, expected_by_utc, status ('ok' | 'stale' | 'missing'), detail."""
    alerts: list[str]
    """Open incidents, one line each."""


def render_report(data: ReportData) -> str:
    """The report as one HTML document (UTF-8 text, no external references)."""
    overall = _overall(data.accuracy)
    sections = [
        _headline(data, overall),
        _section("Predicted vs realized DART (ensemble)", _point_panels(data.realized)),
        _section("Error over time", _error_plots(overall)),
        _section("Feature drift", _drift(data.drift)),
        _section("Data freshness", _freshness(data.freshness)),
    ]
    return PAGE.format(title=_e(data.title), css=CSS, body="\n".join(sections), script=SCRIPT)


def _overall(accuracy: pd.DataFrame) -> pd.DataFrame:
    """Overall ('ALL') rows; of several rolling windows, the shortest (closest to daily)."""
    if accuracy.empty:
        return accuracy
    frame = accuracy[accuracy["settlement_point"] == ALL]
    if "window_days" in frame and frame["window_days"].nunique() > 1:
        frame = frame[frame["window_days"] == frame["window_days"].min()]
    return frame.assign(day=pd.to_datetime(frame["day"])).sort_values("day")


def _headline(data: ReportData, overall: pd.DataFrame) -> str:
    latest = overall[overall["day"] == overall["day"].max()] if not overall.empty else overall
    by_model = latest.set_index("model") if not latest.empty else pd.DataFrame()

    def value(model: str, column: str) -> float:
        has = model in by_model.index and column in by_model
        return float(by_model.at[model, column]) if has else float("nan")

    mae, base_mae = value(ENSEMBLE, "mae"), value(MEDIAN_BASELINE, "mae")
    sign, base_sign = value(ENSEMBLE, "sign_accuracy"), value(MEDIAN_BASELINE, "sign_accuracy")
    coverage = value(ENSEMBLE, "coverage_p10_p90")
    gain = (base_mae - mae) / base_mae if base_mae > 0 else float("nan")
    drifted = int(data.drift["drifted"].sum()) if not data.drift.empty else 0
    stale = int((data.freshness["status"] != "ok").sum()) if not data.freshness.empty else 0
    on = f"on {latest['day'].iloc[0]:%Y-%m-%d}" if not latest.empty else "no accuracy yet"
    if not latest.empty and "window_days" in latest:
        on += f", trailing {int(latest['window_days'].iloc[0])} d"
    cards = [
        _card(
            f"Ensemble MAE ({on})",
            _fmt(mae, "${:.2f}<small>/MWh</small>"),
            f"7-day median baseline {_fmt(base_mae, '${:.2f}')} · {_better(gain)}",
            _tone(gain > 0, gain < 0),
        ),
        _card(
            "Sign accuracy",
            _fmt(sign, "{:.0%}"),
            f"baseline {_fmt(base_sign, '{:.0%}')}",
            _tone(sign > base_sign, sign < base_sign),
        ),
        _card(
            "P10–P90 coverage",
            _fmt(coverage, "{:.0%}"),
            f"target {COVERAGE_TARGET:.0%}",
            _tone(abs(coverage - COVERAGE_TARGET) <= 0.1, abs(coverage - COVERAGE_TARGET) > 0.1),
        ),
        _card(
            "Open alerts",
            str(len(data.alerts)),
            f"{drifted} drifted features · {stale} sources not fresh",
            _tone(not data.alerts and not drifted and not stale, bool(data.alerts)),
        ),
    ]
    alerts = "".join(f"<li>{_e(a)}</li>" for a in data.alerts)
    alert_box = f'<ul class="alerts">{alerts}</ul>' if alerts else ""
    meta = (
        f"bundle <code>{_e(data.bundle_id)}</code> · delivery {_e(_period(data))}"
        f" · generated {_e(_utc(data.generated_at))}"
    )
    return (
        f'<header><h1>{_e(data.title)}</h1><p class="meta">{meta}</p>'
        f'<div class="cards">{"".join(cards)}</div>{alert_box}</header>'
    )


def _point_panels(realized: pd.DataFrame) -> str:
    frame = realized[realized["model"] == ENSEMBLE] if not realized.empty else realized
    if frame.empty:
        return _empty("No ensemble prediction has a realized DART yet in this period.")
    points = sorted(frame["settlement_point"].unique())
    panels = [_point_panel(p, frame[frame["settlement_point"] == p]) for p in points[:MAX_POINTS]]
    more = len(points) - MAX_POINTS
    note = _empty(f"{more} more settlement points not shown.") if more > 0 else ""
    return f'<div class="grid">{"".join(panels)}</div>{note}'


def _point_panel(point: str, frame: pd.DataFrame) -> str:
    hourly = frame.drop_duplicates("interval_start_utc", keep="last")
    hourly = hourly.set_index(pd.to_datetime(hourly["interval_start_utc"], utc=True)).sort_index()
    hourly = hourly[["prediction", "p10", "p90", "realized"]].astype("float64").asfreq("h")
    score = metrics(*(hourly[c].to_numpy() for c in ("realized", "prediction", "p10", "p90")))
    x = hourly.index.tz_convert("UTC").tz_localize(None).to_numpy()
    fig, ax = _figure(6.0, 2.6)
    ax.fill_between(
        x, hourly["p10"], hourly["p90"], color="#93c5fd", alpha=0.55, lw=0, label="P10–P90"
    )
    ax.plot(x, hourly["realized"], color="#111111", lw=1.3, label="realized")
    ax.plot(x, hourly["prediction"], color="#2563eb", lw=1.3, label="predicted")
    ax.axhline(0.0, color="#888888", lw=0.6)
    mae, sign, band = (score.get(k, np.nan) for k in ("mae", "sign_accuracy", "coverage_p10_p90"))
    title = f"MAE {_fmt(mae, '${:.2f}')}/MWh · sign {_fmt(sign, '{:.0%}')} · in band {_fmt(band, '{:.0%}')}"
    ax.set_title(f"{point}   {title}", loc="left", fontsize=9)
    ax.set_ylabel("DART $/MWh")
    _time_axis(ax)
    ax.legend(loc="upper left", fontsize=7, ncols=3, frameon=False)
    return _img(fig, f"Predicted vs realized DART at {point}, ensemble, with the P10–P90 band")


def _error_plots(overall: pd.DataFrame) -> str:
    if overall.empty:
        return _empty("No accuracy rows yet: realized DART has not arrived for any prediction.")
    fig, ax = _figure(11.0, 3.4)
    _model_lines(ax, overall, "mae")
    ax.set_ylabel("MAE $/MWh")
    ax.set_title("Daily MAE, all settlement points (lower is better)", loc="left", fontsize=10)
    fig.legend(loc="outside right upper", fontsize=8, frameon=False)
    mae = _img(fig, "Daily MAE per model and the two baselines, all settlement points")
    fig, (left, right) = _figure(11.0, 3.0, ncols=2)
    _model_lines(left, overall, "sign_accuracy")
    left.axhline(0.5, color="#888888", lw=0.8)
    left.set_title("Sign accuracy (0.5 = coin flip)", loc="left", fontsize=10)
    _model_lines(right, overall[~overall["model"].str.startswith("baseline")], "coverage_p10_p90")
    right.axhline(COVERAGE_TARGET, color="#888888", lw=0.8)
    right.set_title(f"P10–P90 coverage (target {COVERAGE_TARGET:.0%})", loc="left", fontsize=10)
    fig.legend(
        *left.get_legend_handles_labels(), loc="outside right upper", fontsize=8, frameon=False
    )
    rates = _img(fig, "Daily sign accuracy and P10–P90 coverage per model")
    return mae + rates


def _model_lines(ax: Axes, overall: pd.DataFrame, column: str) -> None:
    table = overall.pivot_table(index="day", columns="model", values=column, aggfunc="last")
    order = [m for m in STYLE if m in table] + sorted(m for m in table if m not in STYLE)
    for model in order:
        colour, width, style = STYLE.get(model, (None, 1.2, "-"))
        series = table[model].dropna()
        ax.plot(series.index, series.to_numpy(), color=colour, lw=width, ls=style,
                marker="o", ms=3, label=model)  # fmt: skip
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(ax.xaxis.get_major_locator()))


def _drift(drift: pd.DataFrame) -> str:
    if drift.empty:
        return _empty("No drift check in this run.")
    judged = drift.dropna(subset=["psi"]).head(MAX_DRIFT_BARS).iloc[::-1]
    plot = ""
    if not judged.empty:
        fig, ax = _figure(9.0, 0.9 + 0.28 * len(judged))
        colours = [
            "#cf222e" if d else "#d4a72c" if p > 0.1 else "#8c959f"
            for d, p in zip(judged["drifted"], judged["psi"], strict=True)
        ]
        ax.barh(judged["feature"], judged["psi"], color=colours)
        for level in (0.1, 0.25):
            ax.axvline(level, color="#555555", lw=0.8, ls="--")
        ax.set_xlabel("PSI (< 0.1 stable, 0.1–0.25 moderate, > 0.25 significant)")
        ax.set_title(
            "Population stability index, largest first (red: drifted)", loc="left", fontsize=10
        )
        plot = _img(fig, "Population stability index per feature, drifted features in red")
    rows = [
        (
            "bad" if r.drifted else "",
            [
                _e(r.feature),
                _fmt(r.psi, "{:.3f}"),
                _fmt(r.ks_statistic, "{:.3f}"),
                _fmt(r.ks_pvalue, "{:.2g}"),
                f"{int(r.reference_rows):,}",
                f"{int(r.current_rows):,}",
                '<span class="badge bad">drifted</span>' if r.drifted else "no",
            ],
        )
        for r in drift.itertuples(index=False)
    ]
    head = ["feature", "PSI", "KS statistic", "KS p-value", "reference rows", "current rows"]
    return plot + _table([*head, "drifted"], rows)


def _freshness(freshness: pd.DataFrame) -> str:
    if freshness.empty:
        return _empty("No freshness check in this run.")
    order = freshness["status"].map(SEVERITY).fillna(-1)
    frame = freshness.assign(_order=order).sort_values("_order", kind="stable")
    tone = {"ok": "good", "stale": "warn", "missing": "bad"}
    rows = [
        (
            "" if r.status == "ok" else tone.get(r.status, "bad"),
            [
                _e(r.table),
                _e(_utc(r.latest_utc)),
                _e(_utc(r.expected_by_utc)),
                f'<span class="badge {tone.get(r.status, "bad")}">{_e(r.status)}</span>',
                _e(r.detail if isinstance(r.detail, str) else ""),
            ],
        )
        for r in frame.itertuples(index=False)
    ]
    return _table(["table", "latest (UTC)", "expected by (UTC)", "status", "detail"], rows)


def _figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols)
    for ax in np.atleast_1d(axes):
        ax.grid(True, color="#e5e5e5", lw=0.6)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
    return fig, axes


def _time_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(tz=CENTRAL, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=CENTRAL))


def _img(fig: Figure, alt: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="plot" alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _table(head: list[str], rows: list[tuple[str, list[str]]]) -> str:
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(
        f'<tr class="{tone}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
        for tone, cells in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, body: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{body}</section>"


def _card(label: str, value: str, sub: str, tone: str) -> str:
    return (
        f'<div class="card {tone}"><div class="label">{_e(label)}</div>'
        f'<div class="value">{value}</div><div class="sub">{_e(sub)}</div></div>'
    )


def _tone(good: bool, bad: bool) -> str:
    return "good" if good else "bad" if bad else ""


def _better(gain: float) -> str:
    if not np.isfinite(gain):
        return "no comparison"
    return f"{abs(gain):.0%} {'better' if gain >= 0 else 'worse'}"


def _empty(sentence: str) -> str:
    return f'<p class="empty">{_e(sentence)}</p>'


def _period(data: ReportData) -> str:
    if not data.realized.empty:
        days = pd.to_datetime(data.realized["interval_start_utc"], utc=True).dt.tz_convert(CENTRAL)
        first, last = days.min(), days.max()
    elif not data.accuracy.empty:
        first, last = (
            pd.to_datetime(data.accuracy["day"]).min(),
            pd.to_datetime(data.accuracy["day"]).max(),
        )
    else:
        return "no data yet"
    return f"{first:%Y-%m-%d} to {last:%Y-%m-%d} (Central)"


def _utc(value: object) -> str:
    stamp = pd.Timestamp(value) if value is not None else pd.NaT
    if pd.isna(stamp):
        return "—"
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return f"{stamp:%Y-%m-%d %H:%M} UTC"


def _fmt(value: float, pattern: str) -> str:
    return pattern.format(value) if value is not None and np.isfinite(value) else "—"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


SCRIPT = """(function () {
  var plots = Array.prototype.slice.call(document.querySelectorAll("img.plot"));
  function ready() {
    if (plots.every(function (p) { return p.complete && p.naturalWidth > 0; })) {
      document.body.dataset.plotsReady = String(plots.length);
    }
  }
  plots.forEach(function (p) { p.addEventListener("load", ready); });
  ready();
})();"""

CSS = """
:root { --good: #1a7f37; --bad: #cf222e; --warn: #9a6700; --ink: #1f2328; --muted: #656d76; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 24px; }
header, section { background: #fff; border: 1px solid #d0d7de; border-radius: 10px;
  padding: 18px 22px; margin-bottom: 18px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0 0 12px; }
.meta { color: var(--muted); margin: 0 0 14px; } code { font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 12px; }
.card { border: 1px solid #d0d7de; border-left: 6px solid #8c959f; border-radius: 8px; padding: 10px 14px; }
.card.good { border-left-color: var(--good); } .card.bad { border-left-color: var(--bad); }
.card .label { color: var(--muted); font-size: 13px; }
.card .value { font-size: 30px; font-weight: 650; } .card .value small { font-size: 14px; font-weight: 400; }
.card.good .value { color: var(--good); } .card.bad .value { color: var(--bad); }
.card .sub { color: var(--muted); font-size: 13px; }
.alerts { margin: 14px 0 0; padding: 10px 10px 10px 30px; background: #ffebe9;
  border: 1px solid #ff8182; border-radius: 8px; color: var(--bad); font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 10px; }
img.plot { display: block; max-width: 100%; height: auto; margin: 0 auto 10px; }
.empty { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: 14px; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #d8dee4; }
th { background: #f6f8fa; } tr.bad td { background: #ffebe9; } tr.warn td { background: #fff8c5; }
.badge { border-radius: 10px; padding: 1px 8px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.bad { background: var(--bad); } .badge.warn { background: var(--warn); }
.badge.good { background: var(--good); }
"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><style>{css}</style></head>
<body><main>
{body}
</main><script>{script}</script></body></html>
"""
