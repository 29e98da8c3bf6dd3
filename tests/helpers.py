"""Small helpers shared by the tests (not fixtures)."""

from __future__ import annotations

import sqlalchemy as sa

from ercot_dart.db.tables import TABLES


def table_counts(engine: sa.Engine) -> dict[str, int]:
    """Row count of each source table."""
    with engine.connect() as conn:
        return {
            name.value: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for name, t in TABLES.items()
        }


def table_dump(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of every source table, sorted, for before/after comparisons."""
    with engine.connect() as conn:
        return {
            name.value: sorted(tuple(map(str, r)) for r in conn.execute(sa.select(t)))
            for name, t in TABLES.items()
        }
