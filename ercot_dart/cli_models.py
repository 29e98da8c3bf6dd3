"""``ercot-dart models list|show|promote|rollback``: the model registry from the command line.

Each command prints a one-line summary on success and exits 1 with one clear message on bad
input (unknown bundle, no previous champion). An empty registry lists as empty (exit 0).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ercot_dart.cli_errors import expected_errors, fail
from ercot_dart.registry.base import Registry
from ercot_dart.registry.local import LocalRegistry


def registry_option(f: Any) -> Any:
    """``--registry``, and ``--db`` as every command takes it (unused here)."""
    from ercot_dart.cli import unused_db_option

    return unused_db_option(_registry_option(f))


_registry_option = click.option(
    "--registry",
    "location",
    default=None,
    metavar="URL_OR_PATH",
    help=(
        "Registry folder, azure://<container>/<prefix>, https://... or "
        "prefect-block://<block name>/<prefix> (default: from settings)."
    ),
)


@contextmanager
def _registry(location: str | None) -> Iterator[Registry]:
    """The registry, with registry errors turned into one message and exit status 1."""
    from ercot_dart.registry.location import open_registry

    with expected_errors():
        yield open_registry(location=location)


def _metric(summary: dict[str, Any], part: str) -> str:
    value = summary["metrics"].get(part, {}).get("mae")
    return "-" if value is None else f"{value:.3f}"


def _window(window: Any) -> str:
    if isinstance(window, dict):
        return " ".join(f"{k}={_window(v)}" for k, v in window.items())
    if isinstance(window, list | tuple):
        return "..".join(map(str, window))
    return "-" if window is None else str(window)


@click.group("models")
def models() -> None:
    """The model registry: published bundles and the champion."""


@models.command("list")
@registry_option
@click.option("--json", "as_json", is_flag=True, help="Print the summaries as JSON.")
def list_cmd(location: str | None, as_json: bool) -> None:
    """List published bundles, oldest first; * marks the champion."""
    with _registry(location) as registry:
        rows = registry.list()
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        if not rows:
            # a folder named that is not there: a typo
            if location and isinstance(registry, LocalRegistry) and not registry.root.exists():
                fail(f"no registry at {registry.root}: the folder does not exist")
            click.echo(f"no bundles in {registry.location} (train one: ercot-dart train)")
            return
        click.echo(
            f"  {'bundle':<34} {'created (UTC)':<21} {'test MAE':>9} {'recent MAE':>11}  window"
        )
        for r in rows:
            mark = "*" if r["is_champion"] else " "
            click.echo(
                f"{mark} {r['bundle_id']:<34} {r['created_at']:<21} {_metric(r, 'test'):>9} "
                f"{_metric(r, 'recent'):>11}  {_window(r['training_window'])}"
            )
        champion = next((r["bundle_id"] for r in rows if r["is_champion"]), "none")
        click.echo(f"{len(rows)} bundle(s) in {registry.location}; champion {champion}")


@models.command("show")
@click.argument("bundle_id")
@registry_option
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as compact JSON.")
def show_cmd(bundle_id: str, location: str | None, as_json: bool) -> None:
    """Print a bundle's manifest."""
    with _registry(location) as registry:
        manifest = registry.manifest(bundle_id)
        click.echo(json.dumps(manifest, indent=None if as_json else 2))


@models.command("promote")
@click.argument("bundle_id")
@click.option("--reason", default="manual promotion", show_default=True, help="Logged in history.")
@registry_option
def promote_cmd(bundle_id: str, reason: str, location: str | None) -> None:
    """Make a published bundle the champion, once every file verifies against its manifest."""

    def promote(registry: Registry) -> str:
        with tempfile.TemporaryDirectory() as scratch:  # a fresh copy: no cached one vouches
            registry.fetch(bundle_id, Path(scratch))  # BundleError names an altered file
        registry.promote(bundle_id, reason)
        return bundle_id

    _change(location, promote, "promoted")


@models.command("rollback")
@registry_option
def rollback_cmd(location: str | None) -> None:
    """Make the previous champion the champion again."""
    _change(location, lambda r: r.rollback(), "rolled back to")


def _change(location: str | None, apply: Callable[[Registry], str], verb: str) -> None:
    with _registry(location) as registry:
        before = registry.champion()
        after = apply(registry)
        if before == after:
            click.echo(f"{after} is already the champion in {registry.location}")
        else:
            click.echo(f"{verb} {after} (was {before or 'none'}) in {registry.location}")
