"""The scoring service: a Litestar app behind the request-context layer.

    uvicorn --factory inference.app:create_app      (or ``ercot-dart serve``)

At start it reads the feature store's recent days (when one is configured) and loads the
registry's champion in the background: ``/health`` answers at once, ``/ready`` once a bundle is
loaded. A failed start is retried with back-off until a bundle loads. Later, each process
switches to a newly promoted champion when it polls the registry
(``serve_champion_poll_seconds``), or at once on ``/admin/reload``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from litestar import Litestar
from litestar.datastructures import State
from litestar.exceptions import HTTPException

from ercot_dart.settings import Settings, get_settings
from inference.batching import Batcher
from inference.logs import configure_logging
from inference.metrics import ServiceMetrics
from inference.middleware import RequestContext
from inference.problems import ProblemError, handle_http, handle_internal, handle_problem
from inference.routes.admin import reload
from inference.routes.health import health, model_info, ready
from inference.routes.meta import metrics, schema
from inference.routes.score import score
from inference.state import ServiceState

log = logging.getLogger(__name__)
RETRY_SECONDS = (2, 5, 15, 30, 60)


async def _in_thread(fn: Any) -> Any:
    return await anyio.to_thread.run_sync(fn)


async def _keep_fresh(state: ServiceState) -> None:
    """Load the store and the champion, retrying the champion until it loads; then follow the
    store's changes and the registry's champion."""
    try:
        await _in_thread(state.refresh_store)
    except Exception:
        log.exception("could not read the feature store %s", state.settings.serve_feature_store)
    attempt = 0
    while state.snapshot is None:
        try:
            await _in_thread(state.load_champion)
        except ProblemError as exc:
            log.error("no bundle loaded: %s", exc.detail)
        except Exception as exc:
            state.last_error = f"loading the champion failed: {exc}"
            log.exception("loading the champion failed")
        if state.snapshot is None:
            await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
            attempt += 1
    settings = state.settings
    followers = []
    if state.store is not None:
        followers.append(_every(settings.serve_store_refresh_seconds, state.refresh_store))
    if settings.serve_champion_poll_seconds > 0:
        followers.append(_every(settings.serve_champion_poll_seconds, state.follow_champion))
    await asyncio.gather(*followers)


async def _every(seconds: float, fn: Any) -> None:
    """``fn`` in a worker thread every ``seconds``; a failure is logged, and tried again."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await _in_thread(fn)
        except Exception:
            log.exception("%s failed", fn.__name__)


def create_app(settings: Settings | None = None) -> Any:
    """The ASGI application (Litestar wrapped in :class:`RequestContext`)."""
    settings = settings or get_settings()
    configure_logging(settings.serve_log_level)
    service_metrics = ServiceMetrics()
    state = ServiceState(settings, service_metrics)

    @contextlib.asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        task = asyncio.create_task(_keep_fresh(state))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = Litestar(
        route_handlers=[health, ready, model_info, score, reload, schema, metrics],
        exception_handlers={
            ProblemError: handle_problem,
            HTTPException: handle_http,
            Exception: handle_internal,
        },
        lifespan=[lifespan],
        state=State(
            {
                "service": state,
                "metrics": service_metrics,
                "settings": settings,
                "batcher": Batcher(service_metrics),
            }
        ),
        openapi_config=None,  # the document is generated from the msgspec bodies: inference.openapi
        logging_config=None,
        request_max_body_size=settings.serve_max_body_bytes,
    )
    return RequestContext(app, service_metrics)
