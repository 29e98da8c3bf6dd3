"""The champion record: promotions push, rollbacks pop back through earlier champions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ercot_dart.registry import champion as rec

NOW = datetime(2024, 11, 1, 12, tzinfo=UTC)


def promote_all(*ids: str) -> dict:
    record = rec.empty()
    for bundle_id in ids:
        record = rec.promoted(record, bundle_id, f"better than before: {bundle_id}", NOW)
    return record


def test_promotion_logs_who_when_and_why() -> None:
    record = promote_all("a")
    assert record["bundle_id"] == "a"
    assert record["history"] == [
        {"bundle_id": "a", "promoted_at": "2024-11-01T12:00:00Z", "reason": "better than before: a",
         "action": "promote"}
    ]  # fmt: skip


def test_promoting_the_champion_again_changes_nothing() -> None:
    record = promote_all("a")
    assert rec.promoted(record, "a", "retry", NOW) is record


def test_repeated_rollbacks_walk_back_through_champions() -> None:
    record = rec.rolled_back(promote_all("a", "b", "c"), NOW)
    assert record["bundle_id"] == "b"
    assert record["history"][-1]["reason"] == "rollback from c"
    record = rec.rolled_back(record, NOW)
    assert record["bundle_id"] == "a"
    with pytest.raises(rec.RegistryError, match="no previous champion to roll back to from a"):
        rec.rolled_back(record, NOW)


def test_a_promotion_after_a_rollback_can_be_rolled_back() -> None:
    record = rec.promoted(rec.rolled_back(promote_all("a", "b"), NOW), "c", "new", NOW)
    assert rec.lineage(record["history"]) == ["a", "c"]
    assert rec.rolled_back(record, NOW)["bundle_id"] == "a"


def test_rollback_without_a_champion_is_an_error() -> None:
    with pytest.raises(rec.RegistryError, match="no champion"):
        rec.rolled_back(rec.empty(), NOW)


def test_a_history_without_actions_counts_as_promotions() -> None:
    history = [{"bundle_id": "a"}, {"bundle_id": "b"}]
    assert rec.lineage(history) == ["a", "b"]
