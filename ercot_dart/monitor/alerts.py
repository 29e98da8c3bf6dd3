"""Alerts without storms: an incident is opened once when its condition appears, kept open
(and silent) while it lasts, and closed with a recovery message when it clears.

:func:`changes` is the pure rule; :func:`reconcile` applies it to the ``monitor_incidents``
table in one transaction and returns what to tell people.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError

from ercot_dart.monitor.tables import create, monitor_checks, monitor_incidents
from ercot_dart.publish.notify import Message


@dataclass(frozen=True)
class Changes:
    opened: dict[str, str]
    """Incidents that appeared: key → message."""
    recovered: dict[str, str]
    """Incidents that cleared: key → their message when opened."""
    ongoing: list[str]
    replay: bool = False
    """The moment was before the latest one incidents were reconciled at: nothing changed."""
    open: dict[str, str] = field(default_factory=dict)
    """Every incident open after this reconcile (any scope): key → message."""


def changes(open_now: dict[str, str], active: dict[str, str]) -> Changes:
    """What changed between the open incidents and the conditions active now (key → message)."""
    return Changes(
        opened={k: v for k, v in active.items() if k not in open_now},
        recovered={k: v for k, v in open_now.items() if k not in active},
        ongoing=sorted(k for k in active if k in open_now),
    )


def reconcile(
    engine: Engine, active: dict[str, str], now: pd.Timestamp, scope: str = ""
) -> Changes:
    """Open, touch and close incidents in ``monitor_incidents`` for the conditions ``active``.

    Args:
        scope: only incidents whose key starts with this are opened or closed (the pipeline
            checks freshness only, so it must not close the monitor's drift incidents).

    A ``now`` before the latest moment any overlapping scope was reconciled at (a replay of a
    past issue time, a run retried long after, the daily run's monitor finishing after the
    hourly one) changes nothing: what was found later stands, and opening or closing on older
    data would send a false alert or a false recovery. :attr:`Changes.open` lists the open
    incidents either way.
    """
    create(engine)
    stamp = pd.Timestamp(now).tz_convert("UTC").tz_localize(None).to_pydatetime()
    _seed(engine, scope)
    with engine.begin() as conn:
        if not _advance(conn, scope, stamp):
            return Changes({}, {}, [], replay=True, open=_open(conn))
        return replace(_apply(conn, active, stamp, scope), open=_open(conn))


def _open(conn: Connection) -> dict[str, str]:
    """Every open incident: key → its message."""
    t = monitor_incidents
    rows = conn.execute(
        select(t.c.incident, t.c.message).where(t.c.closed_at_utc.is_(None)).order_by(t.c.incident)
    ).all()
    return {r.incident: r.message for r in rows}


def _apply(conn: Connection, active: dict[str, str], stamp: datetime, scope: str) -> Changes:
    t = monitor_incidents
    rows = conn.execute(
        select(t.c.incident, t.c.opened_at_utc, t.c.message).where(t.c.closed_at_utc.is_(None))
    ).all()
    rows = [r for r in rows if r.incident.startswith(scope)]
    open_now = {r.incident: r.message for r in rows}
    opened_at = {r.incident: r.opened_at_utc for r in rows}
    result = changes(open_now, {k: v for k, v in active.items() if k.startswith(scope)})
    for key, message in result.opened.items():
        conn.execute(
            t.insert().values(
                incident=key, opened_at_utc=stamp, last_seen_utc=stamp, message=message[:2000]
            )
        )
    for key in result.ongoing:
        conn.execute(
            update(t)
            .where(t.c.incident == key, t.c.opened_at_utc == opened_at[key])
            .values(last_seen_utc=stamp)
        )
    for key in result.recovered:
        conn.execute(
            update(t)
            .where(t.c.incident == key, t.c.opened_at_utc == opened_at[key])
            .values(closed_at_utc=stamp)
        )
    return result


NEVER = datetime(1970, 1, 1)
"""The mark of a scope never reconciled."""


def _seed(engine: Engine, scope: str) -> None:
    """The scope's mark row, made once (by whichever of two first runs gets there)."""
    c = monitor_checks
    with engine.connect() as conn:
        if conn.execute(select(c.c.scope).where(c.c.scope == scope)).first() is not None:
            return
    try:
        with engine.begin() as conn:
            conn.execute(c.insert().values(scope=scope, checked_at_utc=NEVER))
    except IntegrityError:  # another run made it meanwhile
        pass


def _advance(conn: Connection, scope: str, stamp: datetime) -> bool:
    """Move the scope's mark to ``stamp``; False (a replay) when it, or the mark of a scope
    that overlaps it (one key family holding the other), is already later.

    The mark moves by one conditional UPDATE, whose row lock (held to the end of the
    transaction) makes two runs reconciling the same scope take turns, so a mark never moves
    back."""
    c = monitor_checks
    marks = conn.execute(select(c.c.scope, c.c.checked_at_utc)).all()
    overlapping = [
        m.checked_at_utc for m in marks if m.scope.startswith(scope) or scope.startswith(m.scope)
    ]
    if overlapping and stamp < max(overlapping):
        return False
    moved = conn.execute(
        update(c)
        .where(c.c.scope == scope, c.c.checked_at_utc <= stamp)
        .values(checked_at_utc=stamp)
    )
    return moved.rowcount == 1


def alert_messages(result: Changes) -> list[Message]:
    """One message for what opened and one for what recovered (nothing when nothing changed)."""
    out = []
    if result.opened:
        out.append(
            Message(
                f"ercot-dart ALERT: {len(result.opened)} new incident(s)",
                [f"- {m}" for m in result.opened.values()],
            )
        )
    if result.recovered:
        out.append(
            Message(
                f"ercot-dart recovered: {len(result.recovered)} incident(s) cleared",
                [f"- cleared: {m}" for m in result.recovered.values()],
            )
        )
    return out
