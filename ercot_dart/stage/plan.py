"""Which days a run checks, which it extracts, and in which date chunks (pure logic)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from ercot_dart.stage.manifest import Fingerprint


def window(
    watermark: date | None, start: date | None, end: date | None, lookback_days: int
) -> tuple[date | None, date | None]:
    """First and last operating day (inclusive, None = open) whose fingerprints a run checks.

    From ``start`` if given (so a run can re-check older days on purpose); otherwise from
    ``lookback_days`` before the watermark; with no watermark yet, from the first day there is.
    """
    if start is not None:
        return start, end
    if watermark is None:
        return None, end
    return watermark - timedelta(days=lookback_days), end


@dataclass(frozen=True)
class Plan:
    """The outcome of comparing the database's fingerprints with the manifest's."""

    extract: list[date]
    """Days whose fingerprint is new or changed (or whose file is gone), in order."""
    remove: list[date]
    """Staged days in the window that the database no longer has."""
    chunks: list[tuple[date, date]]
    """Half-open day ranges [lo, hi) to query, covering ``extract`` and no other day with rows."""


def make_plan(
    staged: Mapping[date, Fingerprint],
    current: Mapping[date, Fingerprint],
    on_disk: Collection[date],
    lo: date | None,
    hi: date | None,
    chunk_days: int,
) -> Plan:
    """Compare fingerprints of the window [``lo``, ``hi``].

    Args:
        staged: the manifest's fingerprints.
        current: the database's fingerprints of the days in the window that have rows.
        on_disk: days whose partition file exists.
        lo, hi: the window (inclusive, None = open).
        chunk_days: most days one query may span.
    """
    days = sorted(current)
    wanted = {d for d in days if staged.get(d) != current[d] or d not in on_disk}
    in_window = [
        d
        for d in staged
        if (lo is None or d >= lo) and (hi is None or d <= hi) and d not in current
    ]
    return Plan(sorted(wanted), sorted(in_window), _chunks(days, wanted, chunk_days))


def _chunks(days: list[date], wanted: Collection[date], chunk_days: int) -> list[tuple[date, date]]:
    """Runs of wanted days (consecutive among the days with rows), cut every ``chunk_days``."""
    out: list[tuple[date, date]] = []
    run: tuple[date, date] | None = None  # (first, last) day of the run being gathered
    for day in days:
        if day in wanted and run is not None and (day - run[0]).days < chunk_days:
            run = (run[0], day)
            continue
        if run is not None:
            out.append((run[0], run[1] + timedelta(days=1)))
        run = (day, day) if day in wanted else None
    if run is not None:
        out.append((run[0], run[1] + timedelta(days=1)))
    return out
