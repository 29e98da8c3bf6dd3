"""The champion record (``champion.json``): which bundle serves, and how it came to. Pure.

    {"bundle_id": "dart-...", "history": [{"bundle_id", "promoted_at", "reason", "action"}, ...]}

``history`` is an append-only log: a promotion pushes a bundle, a rollback pops back to the one
before it (and is logged too), so repeated rollbacks walk back through earlier champions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ercot_dart.registry.bundle import BundleError

CHAMPION = "champion.json"


class RegistryError(ValueError):
    """A registry operation that cannot be done in the registry's present state."""


class Action(StrEnum):
    """What a history entry records."""

    PROMOTE = "promote"
    ROLLBACK = "rollback"


def empty() -> dict[str, Any]:
    """The record of a registry that never had a champion."""
    return {"bundle_id": None, "history": []}


def loads(data: bytes | None, where: str) -> dict[str, Any]:
    """Parse ``champion.json`` (None when absent)."""
    if data is None:
        return empty()
    try:
        record = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{where}: {CHAMPION} is not valid JSON ({exc})") from None
    if not isinstance(record, dict) or not isinstance(record.get("history"), list):
        raise BundleError(f"{where}: {CHAMPION} lacks a 'history' list")
    return record


def dumps(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, indent=2) + "\n").encode("utf-8")


def lineage(history: list[dict[str, Any]]) -> list[str]:
    """The champions still to roll back to, oldest first; the last is the current one."""
    stack: list[str] = []
    for entry in history:
        if entry.get("action") == Action.ROLLBACK:
            # pop back to the bundle rolled back to (tolerates a hand-edited history)
            while stack and stack[-1] != entry["bundle_id"]:
                stack.pop()
            if not stack:
                stack.append(entry["bundle_id"])
        else:
            stack.append(entry["bundle_id"])
    return stack


def _entry(bundle_id: str, reason: str, action: Action, now: datetime | None) -> dict[str, Any]:
    when = (now or datetime.now(UTC)).astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {"bundle_id": bundle_id, "promoted_at": when, "reason": reason, "action": str(action)}


def promoted(
    record: dict[str, Any], bundle_id: str, reason: str, now: datetime | None = None
) -> dict[str, Any]:
    """The record after ``bundle_id`` becomes champion; unchanged when it already is one."""
    if record.get("bundle_id") == bundle_id:
        return record
    history = [*record["history"], _entry(bundle_id, reason, Action.PROMOTE, now)]
    return {**record, "bundle_id": bundle_id, "history": history}


def rolled_back(record: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The record after going back to the champion before the current one.

    Raises:
        RegistryError: there is no champion, or no earlier one to go back to.
    """
    current = record.get("bundle_id")
    stack = lineage(record["history"])
    if current is None:
        raise RegistryError("there is no champion to roll back")
    if len(stack) < 2:
        raise RegistryError(f"no previous champion to roll back to from {current}")
    previous = stack[-2]
    entry = _entry(previous, f"rollback from {current}", Action.ROLLBACK, now)
    return {**record, "bundle_id": previous, "history": [*record["history"], entry]}
