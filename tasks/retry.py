"""Which failures a task retries: transient ones (a connection dropped, a server busy),
never bad input, which would fail the same way again."""

from __future__ import annotations

from typing import Any

from prefect import Task
from prefect.client.schemas.objects import TaskRun
from prefect.states import State

TRANSIENT_NAMES = (
    "OperationalError",  # SQLAlchemy/DBAPI: server gone, connection refused, deadlock
    "InterfaceError",
    "TimeoutError",
    "ConnectionError",
    "ServiceRequestError",  # azure-core: the request never reached the service
    "ServiceResponseError",
)


def is_transient(exc: BaseException) -> bool:
    """True for errors that a retry can cure (by type name, across libraries and their causes)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if any(
            type(exc).__name__ == n or n in {c.__name__ for c in type(exc).__mro__}
            for n in TRANSIENT_NAMES
        ):
            return True
        if isinstance(exc, OSError) and not isinstance(
            exc,
            FileNotFoundError
            | FileExistsError
            | PermissionError
            | IsADirectoryError
            | NotADirectoryError,
        ):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def retry_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """Prefect ``retry_condition_fn``: retry only transient errors."""
    try:
        state.result()
    except Exception as exc:  # the task's own exception, re-raised by result()
        return is_transient(exc)
    return False


def retry_options() -> dict[str, Any]:
    """Keyword arguments of ``@task`` for tasks that touch the outside world: retries and their
    delays from settings (``ERCOT_DART_TASK_RETRIES``, ``ERCOT_DART_RETRY_DELAY_SECONDS``),
    jittered, transient errors only."""
    from ercot_dart.settings import get_settings

    settings = get_settings()
    return {
        "retries": settings.task_retries,
        "retry_delay_seconds": list(settings.retry_delay_seconds) or [0.0],
        "retry_jitter_factor": 0.5,
        "retry_condition_fn": retry_transient,
    }


RETRIES = retry_options()
"""Keyword arguments of ``@task`` for tasks that touch the outside world (read at import)."""
