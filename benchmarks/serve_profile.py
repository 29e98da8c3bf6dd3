"""CPU cost of one POST /score in the service, without a network or a load generator: the ASGI
app driven in-process, ``concurrency`` requests at a time (as uvicorn would hand them over in
one event-loop turn), timed with ``time.process_time`` in several windows: the minimum is the
figure least disturbed by other jobs on a shared machine. Optional cProfile of the same loop.

    .venv/bin/python benchmarks/serve_profile.py --data /tmp/bench [--repeat 9] [--profile]
    .venv/bin/python benchmarks/serve_profile.py --data /tmp/bench --bare     # the ceiling

``--stages`` times each stage of the service where it runs (caches as they are between
requests), per request. ``--data`` is a folder ``benchmarks/serve.py --keep`` built (store, registry, bundle).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.serve_bodies import last_day, singles  # noqa: E402
from benchmarks.serve_data import load_or_build  # noqa: E402


async def call(
    app: Any, method: str, path: str, body: bytes = b"", ctype: bytes = b""
) -> tuple[int, bytes]:
    """One request through the ASGI app; (status, body)."""
    headers = [(b"host", b"bench"), (b"content-length", str(len(body)).encode())]
    if ctype:
        headers.append((b"content-type", ctype))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"", "headers": headers, "client": ("127.0.0.1", 1), "server": ("bench", 80),
    }  # fmt: skip
    sent = False
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def lifespan(app: Any) -> asyncio.Queue[Any]:
    inbox: asyncio.Queue[Any] = asyncio.Queue()
    outbox: asyncio.Queue[Any] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    asyncio.get_running_loop().create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, inbox.get, outbox.put)
    )
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    return inbox


async def run(
    app: Any,
    singles: list[bytes],
    requests: int,
    concurrency: int,
    repeat: int,
    prof: Any,
    stages: StageTimes | None = None,
) -> None:
    await lifespan(app)
    while (await call(app, "GET", "/ready"))[0] != 200:
        await asyncio.sleep(0.05)
    for body in singles[:50]:  # warm-up: caches, first onnxruntime calls
        status, answer = await call(app, "POST", "/score", body, b"application/json")
        assert status == 200, answer[:500]
    if stages is not None:  # count from here, as the CPU windows do
        stages.reset()
    if prof:
        prof.enable()
    windows = []  # CPU µs a request in each window of ``requests`` requests
    for _ in range(repeat):
        cpu = time.process_time()
        done = 0
        while done < requests:
            batch = [singles[(done + k) % len(singles)] for k in range(concurrency)]
            results = await asyncio.gather(
                *(call(app, "POST", "/score", b, b"application/json") for b in batch)
            )
            assert all(s == 200 for s, _ in results), results[0][1][:300]
            done += concurrency
        windows.append(1e6 * (time.process_time() - cpu) / done)
    if prof:
        prof.disable()
    windows.sort()
    print(json.dumps({"requests_per_window": done, "windows": repeat,
                      "cpu_us_per_request_min": round(windows[0], 1),
                      "cpu_us_per_request_median": round(windows[len(windows) // 2], 1)}))  # fmt: skip


HOT_CALLS = 200
"""Model calls kept for the loop after the run (different rows in each)."""
STAGES = {
    "decode (msgspec + checks → arrays)": ("inference.decode", "BundleCodec.decode"),
    "onnxruntime: the three models' calls (their share)": ("inference.scoring", "_run"),
    "score_requests: windows, matrices, models, bands": ("inference.batching", "score_requests"),
    "answer (structs + JSON)": ("inference.routes.score", "answer"),
    "access log line": ("inference.middleware", "access.handle"),
    "request metrics": ("inference.middleware", "RequestContext.__call__.metrics"),
}


@dataclass
class StageTimes:
    """Seconds spent in each stage, requests decoded, each model's last calls (its arguments)
    and the model call without the timer."""

    untimed_run: Any
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    requests: int = 0
    calls: dict[str, deque[tuple[Any, ...]]] = field(default_factory=dict)

    def reset(self) -> None:
        self.seconds, self.requests = dict.fromkeys(STAGES, 0.0), 0


def _time_stages() -> StageTimes:
    """Wrap each stage with a timer, in the running service (caches as they are between
    requests, unlike a loop over one stage)."""
    import importlib

    from inference import scoring
    from inference.metrics import ServiceMetrics

    times = StageTimes(untimed_run=scoring._run)  # the hot loop calls it without the timer

    def timed(label: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if fn.__name__ == "_run":
                times.calls.setdefault(args[1], deque(maxlen=HOT_CALLS)).append(args)
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                times.seconds[label] += time.perf_counter() - started
                if label.startswith("decode"):
                    times.requests += 1

        return wrapper

    for label, (module_name, attr) in STAGES.items():
        module = importlib.import_module(module_name)
        if attr == "access.handle":
            module.access.handle = timed(label, module.access.handle)
        elif attr.endswith(".metrics"):
            ServiceMetrics.observe = timed(label, ServiceMetrics.observe)  # type: ignore[method-assign]
        elif "." in attr:
            owner, name = attr.split(".")
            cls = getattr(module, owner)
            setattr(cls, name, timed(label, getattr(cls, name)))
        else:
            setattr(module, attr, timed(label, getattr(module, attr)))
    return times


def _hot_models(_run: Any, calls: dict[str, deque[tuple[Any, ...]]], loops: int = 2000) -> None:
    """Each model's last micro-batches again, in a loop of their own: the last one repeated
    (its rows' paths through the trees are learnt by the branch predictor and cached), and the
    last :data:`HOT_CALLS` in turn (different rows each call, as in the service)."""
    for name, recent in calls.items():
        for label, seq in (
            ("its last call repeated", [recent[-1]]),
            ("its last calls in turn", recent),
        ):
            for args in seq:
                _run(*args)
            started = time.perf_counter()
            for i in range(loops):
                _run(*seq[i % len(seq)])
            seconds = time.perf_counter() - started
            rows = sum(len(seq[i % len(seq)][2]) for i in range(loops))
            print(f"{name} alone in a loop, {label}: {1e6 * seconds / rows:.1f} µs a row")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--requests", type=int, default=400, help="requests per timed window")
    ap.add_argument("--repeat", type=int, default=9, help="timed windows (min and median)")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--bare", action="store_true", help="the bare Litestar route instead")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument(
        "--stages", action="store_true", help="wall µs per request of each stage, in place"
    )
    args = ap.parse_args()
    data = load_or_build(args.data, args.points, args.days)
    features = json.loads((data.bundle / "manifest.json").read_text())["preprocessing"]["features"]
    bodies = singles(last_day(data), features)
    os.environ.update(
        ERCOT_DART_DATA_DIR=str(args.data / "data"),
        ERCOT_DART_REGISTRY_DIR=str(data.registry),
        ERCOT_DART_SERVE_FEATURE_STORE=str(data.store),
        ERCOT_DART_SERVE_LOG_LEVEL=os.environ.get("ERCOT_DART_SERVE_LOG_LEVEL", "INFO"),
    )
    if args.bare:
        from benchmarks.bare_litestar import app
    else:
        from inference.app import create_app

        app = create_app()
    prof = cProfile.Profile() if args.profile else None
    stages = _time_stages() if args.stages else None
    import uvloop

    uvloop.run(run(app, bodies, args.requests, args.concurrency, args.repeat, prof, stages))
    if stages is not None:
        for label, seconds in stages.seconds.items():
            print(f"{label:60s} {1e6 * seconds / stages.requests:7.1f} µs a request")
        _hot_models(stages.untimed_run, stages.calls)
    if prof:
        pstats.Stats(prof, stream=sys.stdout).sort_stats(
            os.environ.get("SORT", "tottime")
        ).print_stats(args.top)


if __name__ == "__main__":
    main()
