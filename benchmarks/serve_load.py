"""Load generation for benchmarks/serve.py: wrk (C, one thread) when installed, else an asyncio
httpx client in a separate process. Bounded by a duration and a request count; POSTs the
bodies of a file (one JSON document per line) to /score in rotation."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

WRK_SCRIPT = """
local bodies, i, count, limit = {}, 0, 0, tonumber(os.getenv("BENCH_MAX_REQUESTS"))
for line in io.lines(os.getenv("BENCH_BODIES")) do bodies[#bodies + 1] = line end
request = function()
  i = i % #bodies + 1
  return wrk.format("POST", "/score", {["Content-Type"] = "application/json"}, bodies[i])
end
response = function(status, headers, body)
  count = count + 1
  if count >= limit then wrk.thread:stop() end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, "errors": %d, "non_2xx": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def run_load(
    url: str, bodies: Path, seconds: float, connections: int, max_requests: int
) -> dict[str, Any]:
    """Throughput (requests/s), p50 and p99 latency (ms), errors."""
    if shutil.which("wrk"):
        script = bodies.with_suffix(".lua")
        script.write_text(WRK_SCRIPT)
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(script), url],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
            env={"BENCH_BODIES": str(bodies), "BENCH_MAX_REQUESTS": str(max_requests), "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
    else:
        out = subprocess.run(
            [sys.executable, __file__, url, str(bodies), str(seconds), str(connections), str(max_requests)],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        )  # fmt: skip
        result = json.loads(out.stdout)
    result["rps"] = round(result["requests"] / result["seconds"], 1)
    return result


async def _httpx_load(
    url: str, bodies: list[bytes], seconds: float, connections: int, limit: int
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = non_2xx = 0
    deadline = time.perf_counter() + seconds
    headers = {"content-type": "application/json"}

    async def worker(k: int, client: httpx.AsyncClient) -> None:
        nonlocal errors, non_2xx
        i = k
        while time.perf_counter() < deadline and len(latencies) < limit:
            t0 = time.perf_counter()
            try:
                response = await client.post(
                    "/score", content=bodies[i % len(bodies)], headers=headers
                )
                non_2xx += response.status_code >= 300
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - t0)
            i += connections

    limits = httpx.Limits(max_connections=connections)
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await asyncio.gather(*(worker(k, client) for k in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
        "errors": errors,
        "non_2xx": non_2xx,
    }


if __name__ == "__main__":
    url, path, secs, conns, limit = sys.argv[1:6]
    bodies = Path(path).read_bytes().splitlines()
    print(json.dumps(asyncio.run(_httpx_load(url, bodies, float(secs), int(conns), int(limit)))))
