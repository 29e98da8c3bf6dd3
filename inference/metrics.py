"""Prometheus metrics of the scoring service, in a registry of its own (``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
)  # fmt: skip
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 256, 1024, 4096, 16384)
MODEL_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
)  # fmt: skip
CONTENT_TYPE = CONTENT_TYPE_LATEST.split("; charset")[0]  # Litestar adds the charset
disable_created_metrics()  # the *_created series double the output and say nothing here


class ServiceMetrics:
    """Requests by route and status, latency, rows scored, errors by kind, the loaded bundle."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "ercot_dart_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "ercot_dart_http_request_duration_seconds",
            "Time from request start to the end of the response, by route template and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rows = Counter("ercot_dart_rows_scored", "Rows scored by POST /score.", registry=r)
        self.rows_without = Counter(
            "ercot_dart_rows_without_prediction",
            "Scored rows a model made no prediction for (the LSTM without its window), by model.",
            ["model"],
            registry=r,
        )
        self.batch_rows = Histogram(
            "ercot_dart_onnx_batch_rows",
            "Rows per onnxruntime call (single-row requests arriving together are batched).",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.model_seconds = Histogram(
            "ercot_dart_onnx_model_seconds",
            "Time in onnxruntime of one model for one batch of rows (the rows of "
            "ercot_dart_onnx_batch_rows), by model.",
            ["model"],
            buckets=MODEL_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "ercot_dart_errors", "Error responses by problem kind.", ["kind"], registry=r
        )
        self.bundle = Gauge(
            "ercot_dart_bundle_info",
            "The bundle being served (value 1), with its id and creation time as labels.",
            ["bundle_id", "created_at"],
            registry=r,
        )
        self.reloads = Counter(
            "ercot_dart_bundle_reloads",
            "Attempts to load the champion bundle, by outcome.",
            ["outcome"],
            registry=r,
        )
        self.store_rows = Gauge(
            "ercot_dart_history_store_rows",
            "Feature-store rows held in memory for the LSTM's earlier hours.",
            registry=r,
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
        child[0].inc()
        child[1].observe(seconds)

    def set_bundle(self, bundle_id: str, created_at: str) -> None:
        self.bundle.clear()
        self.bundle.labels(bundle_id, created_at).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
