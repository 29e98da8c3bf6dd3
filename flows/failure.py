"""The failure notice of a flow run: a Prefect hook (``on_failure`` and ``on_crashed``) of the
flows that run on a schedule, ``dart-pipeline`` and ``monitor``."""

from __future__ import annotations

from typing import Any

from ercot_dart.monitor.freshness import StaleSourceError
from ercot_dart.publish.notify import failure_message
from tasks.publish import broadcast


def _exception(state: Any) -> BaseException | None:
    """The exception a failed state holds, if it can be read back."""
    try:
        result = state.result(raise_on_failure=False)
    except Exception:  # the result could not be read back: treat as any failure
        return None
    return result if isinstance(result, BaseException) else None


def notify_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Flow hook: tell every channel the run failed, each send retried on transient errors like
    every notification (a notice that still cannot be sent is logged: it does not hide the run's
    own failure). A stop on a stale source sends none when its incident was recorded: that
    alert went out once, with the first run that saw it."""
    import logging

    log = logging.getLogger("ercot_dart.pipeline")
    error = _exception(state)
    if isinstance(error, StaleSourceError) and error.alerted:
        log.info("stale sources: alerted once per incident, no failure notice")
        return
    message = failure_message(
        flow_run.name, flow.name, state.message or state.name, _ui_url(flow_run)
    )
    try:
        broadcast(message, log, "failure notice")
    except Exception as exc:  # the channels' settings themselves: logged, the run's error stands
        log.error("failure notice not sent: %s", exc)


def _ui_url(flow_run: Any) -> str | None:
    """The run's page in the Prefect UI (Cloud, or a server with ``PREFECT_UI_URL``)."""
    from prefect.utilities.urls import url_for

    try:
        return url_for(flow_run)
    except Exception:  # no UI known: the notice goes without a link
        return None


SCHEDULED: dict[str, Any] = {
    "log_prints": True,
    "persist_result": True,
    "on_failure": [notify_failure],
    "on_crashed": [notify_failure],
}
"""``@flow`` options of the flows that run on a schedule: results kept (a retry from the UI
reuses what completed), and the failure notice."""
