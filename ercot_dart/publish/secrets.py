"""Secrets in settings: a literal value (from the environment, e.g. filled from Key Vault) or
``prefect-secret:<block name>``, read from a Prefect Secret block when needed. Never logged."""

from __future__ import annotations

from typing import Any, cast

PREFIX = "prefect-secret:"


class SecretError(ValueError):
    """A secret reference that cannot be resolved; the message names the block, not the value."""


def resolve(value: str, what: str) -> str:
    """The secret ``value`` stands for (``what`` names the setting in error messages)."""
    if not value.startswith(PREFIX):
        return value
    name = value[len(PREFIX) :].strip()
    if not name:
        raise SecretError(f"{what}: {PREFIX} names no Secret block")
    from prefect.blocks.system import Secret

    try:
        # async_dispatch leaves _sync out of load()'s signature and types the result as the
        # block or a coroutine; with _sync=True it is the block
        loaded = Secret.load(name, _sync=True)  # type: ignore[call-arg]
    except ValueError as exc:
        raise SecretError(f"{what}: no Prefect Secret block named {name!r}") from exc
    return str(cast("Secret[Any]", loaded).get())
