"""Progress of long commands on stderr, wherever they run.

On a terminal: a live bar or spinner that disappears when the command ends. Elsewhere (a CI
log, ``nohup``, a container's log, a pipe): plain lines with the time, so that a long command
shows what it is doing without filling the log: a status line at each step, a count at most
every :data:`EVERY_SECONDS` and at the end.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from time import monotonic

import click

EVERY_SECONDS = 10.0
"""Least time between two count lines off a terminal."""


def _live() -> bool:
    return sys.stderr.isatty()


def say(message: str) -> None:
    """One progress line on stderr, with the local time."""
    click.echo(f"[{datetime.now():%H:%M:%S}] {message}", err=True)


@contextmanager
def status(message: str) -> Iterator[Callable[[str], None]]:
    """Shows ``message``; yields a function that replaces it with a newer one."""
    if _live():
        from rich.console import Console

        with Console(stderr=True).status(message) as spinner:
            yield lambda text: spinner.update(text)
        return
    say(message)
    yield say


@contextmanager
def counter(label: str, total: int, unit: str) -> Iterator[Callable[[], None]]:
    """Counts ``total`` steps of ``label``; yields the function that marks one step done."""
    if _live():
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task(label, total=total)
            yield lambda: bar.advance(task)
        return
    done, last = 0, monotonic()
    say(f"{label}: 0/{total:,} {unit}")

    def step() -> None:
        nonlocal done, last
        done += 1
        if done == total or monotonic() - last >= EVERY_SECONDS:
            last = monotonic()
            say(f"{label}: {done:,}/{total:,} {unit}")

    yield step
