"""Expected failures of the commands: one line on stderr and exit status 1, never a traceback.

A registry or bundle that is wrong, a parity check that fails, a split left empty, a store not
built yet, Azure refusing the credentials, an ``ERCOT_DART_*`` variable with a bad value, a
database that cannot be reached: each says what is wrong in its message, so the command prints
that message. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from ercot_dart.registry.bundle import BundleError
from ercot_dart.registry.champion import RegistryError


def fail(message: str) -> NoReturn:
    """Print ``error: <message>`` on stderr and exit with status 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def azure_message(exc: BaseException) -> str:
    """The first line of an Azure SDK error (its service message), prefixed with its origin."""
    text = str(exc).strip()
    return f"Azure Storage: {text.splitlines()[0] if text else type(exc).__name__}"


class Commands(click.Group):
    """The command group: every command's bad settings and unreachable databases end in one
    line, whichever command meets them."""

    def invoke(self, ctx: click.Context) -> Any:
        from sqlalchemy.exc import InterfaceError, OperationalError

        from ercot_dart.db.engine import DatabaseError
        from ercot_dart.settings import SettingsInvalid

        try:
            return super().invoke(ctx)
        except (SettingsInvalid, DatabaseError) as exc:
            fail(str(exc))
        except (OperationalError, InterfaceError) as exc:  # connecting, locks, missing tables
            cause = str(getattr(exc, "orig", None) or exc).strip()
            fail(f"database: {cause.splitlines()[0] if cause else type(exc).__name__}")


@contextmanager
def expected_errors(*extra: type[BaseException]) -> Iterator[None]:
    """Turn registry and bundle errors, Azure SDK errors and ``extra`` into :func:`fail`.

    Args:
        extra: further expected error types of the command (e.g. ``ParityError``), passed by
            the command so that light commands need not import heavy modules to name them.
    """
    try:
        yield
    except (BundleError, RegistryError, *extra) as exc:
        fail(str(exc))
    except Exception as exc:
        # authentication, network, permissions (azure.core, azure.identity, azure.storage)
        if not type(exc).__module__.startswith("azure."):
            raise
        fail(azure_message(exc))
