"""The '## Scoring service (issue 5)' section of benchmarks/RESULTS.md from a benchmark run
(the section is replaced when present, appended otherwise; other sections stay as they are)."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

TITLE = "## Scoring service (issue 5)"
FORMS = {
    "arrow": "Arrow stream (application/vnd.apache.arrow.stream)",
    "columns": "JSON columns",
    "rows": "JSON rows",
}
LABELS = {
    "service": "service (LightGBM + XGBoost + LSTM, ensemble, P10/P90)",
    "bare": "bare Litestar route answering a constant (ceiling)",
    "floor": "models only: body read, the three ONNX sessions micro-batched (different rows "
    "each batch), a constant answer",
    "reference": "reference: FastAPI + pydantic + native models",
}


def _mean(loads: list[dict[str, Any]], key: str) -> float:
    return statistics.fmean(x[key] for x in loads)


def section(r: dict[str, Any]) -> str:
    loads = r["loads"]
    rps = {k: _mean(v, "rps") for k, v in loads.items()}
    p99 = {k: _mean(v, "p99_ms") for k, v in loads.items()}
    lines = [
        TITLE,
        "",
        f"`benchmarks/serve.py`: {r['points']} synthetic settlement points × {r['features']} features, "
        "the three models trained natively on them with the project's training code; one uvicorn "
        "worker (uvloop, httptools) per target, on loopback; the same single-row POST /score bodies "
        f"(500, in rotation) at {r['connections']} connections for {r['seconds']:.0f} s per phase, "
        f"{len(loads['service'])} interleaved rounds (figures are their mean); load generator: "
        f"{r['load_generator']}. Machine: 2 vCPU shared with other jobs (load average "
        f"{', '.join(f'{x:.1f}' for x in r['load_average'])} at the end), so absolute figures are noisy; "
        "the ratios come from the same run.",
        "",
        f"    .venv/bin/python {r['command']}",
        "",
        "| target | throughput | p50 | p99 | errors | RSS at the end | start → ready |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("service", "bare", "floor", "reference"):
        if name not in loads:  # a run from before the floor was measured
            continue
        lines.append(
            f"| {LABELS[name]} | {rps[name]:,.0f} req/s | {_mean(loads[name], 'p50_ms'):.2f} ms | "
            f"{p99[name]:.2f} ms | {sum(x['errors'] + x['non_2xx'] for x in loads[name])} | "
            f"{r['rss_mib'][name]:,.0f} MiB | {r['ready_seconds'][name]:.2f} s |"
        )
    batches = {b["form"]: b for b in r["batches"]}
    fastest = batches["arrow"]
    med = statistics.median(fastest["seconds"])
    lines += [
        "",
        f"One request of {fastest['rows']:,} rows ({r['points']:,} points × 24 h, "
        f"{fastest['with_lstm']:,} of them with an LSTM prediction), {len(fastest['seconds'])} "
        "runs per form; wall time seen by the client (upload, scoring, answer), CPU time of the "
        "server process over the request (all threads):",
        "",
        "| batch form | body | wall, median (min–max) | server CPU, median |",
        "|---|---|---|---|",
    ]
    for form, label in FORMS.items():
        b = batches[form]
        lines.append(
            f"| {label} | {b['body_mib']:.0f} MiB | {statistics.median(b['seconds']):.2f} s "
            f"({min(b['seconds']):.2f}–{max(b['seconds']):.2f}) | "
            f"{statistics.median(b['cpu_seconds']):.2f} s |"
        )
    lines.append(
        f"| reference (JSON rows, FastAPI + native models) | {batches['rows']['body_mib']:.0f} MiB "
        f"| {r['reference_batch_seconds']:.2f} s | — |"
    )
    goals = [
        (
            "throughput ≥ 10× the reference",
            f"{rps['service'] / rps['reference']:.1f}×",
            rps["service"] >= 10 * rps["reference"],
        ),
        (
            "p99 ≤ 10 ms (single row, concurrency 8)",
            f"{p99['service']:.2f} ms",
            p99["service"] <= 10,
        ),
        (
            "≥ 40 % of the bare ceiling",
            f"{100 * rps['service'] / rps['bare']:.0f} %",
            rps["service"] >= 0.4 * rps["bare"],
        ),
        (
            f"{fastest['rows']:,} rows in one request ≤ 1 s (fastest form: Arrow)",
            f"median {med:.2f} s",
            med <= 1.0,
        ),
    ]
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {goal} | {value} | {'yes' if ok else '**no**'} |" for goal, value, ok in goals]
    if "floor" in rps:
        lines += [
            "",
            f"The models alone (the floor row) reach {100 * rps['floor'] / rps['bare']:.0f} % of "
            f"the ceiling: per request the server spends {1e6 / rps['bare']:.0f} µs on the bare "
            f"route, {1e6 / rps['floor']:.0f} µs on the floor and {1e6 / rps['service']:.0f} µs "
            "on the service (the inverse of the throughputs: one core serves each). 40 % of the "
            f"ceiling allows {1e6 / (0.4 * rps['bare']):.0f} µs a request: "
            f"{1e6 / (0.4 * rps['bare']) - 1e6 / rps['floor']:.0f} µs over the floor for all the "
            "service does around the models.",
        ]
    if r.get("model_us_per_row"):
        us = r["model_us_per_row"]
        each = ", ".join(
            f"{name} {us['service'][name]:.1f} / {us['floor'][name]:.1f}" for name in us["floor"]
        )
        lines += [
            "",
            "Each model's time in onnxruntime a row under this load, service / floor (the "
            "service's `ercot_dart_onnx_model_seconds` over its rows scored; the floor's own "
            f"count): {each} µs; the three together {sum(us['service'].values()):.0f} µs a "
            f"row in the service, {sum(us['floor'].values()):.0f} µs in the floor.",
        ]
    if r.get("soak"):
        soaked, step = r["soak"], r["soak"]["seconds"] / (len(r["soak"]["rss_mib"]) - 1)
        lines += [
            "",
            f"Memory under sustained load (`--soak {soaked['seconds']:.0f}`, after the rounds "
            f"above): {soaked['requests']:,} more single-row requests in {soaked['seconds']:.0f} s, "
            f"{soaked['errors']} errors; the service's RSS was "
            f"{', '.join(f'{x:,.0f}' for x in soaked['rss_mib'])} MiB, read every {step:.0f} s.",
        ]
    lines += [
        "",
        f"The service and the reference agree to {r['max_abs_diff_vs_reference']:.1e} $/MWh on the "
        "batch (ONNX vs native models); the three forms give identical numbers.",
    ]
    return "\n".join(lines) + "\n"


def write_section(path: Path, results: dict[str, Any]) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    new = section(results)
    if TITLE in text:
        start = text.index(TITLE)
        nxt = text.find("\n## ", start + len(TITLE))
        text = text[:start] + new + ("" if nxt < 0 else "\n" + text[nxt + 1 :])
    else:
        text = text.rstrip("\n") + "\n\n" + new
    path.write_text(text)
