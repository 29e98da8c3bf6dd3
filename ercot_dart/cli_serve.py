"""``ercot-dart serve``: the scoring service (docs/serving.md), on uvicorn.

Registered on the main group with ``main.add_command(serve)``. Options override the
``ERCOT_DART_*`` settings of the same meaning; they reach the server through the environment,
so every worker process reads the same settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ercot_dart.cli_errors import fail as _fail


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--registry",
    "registry_url",
    default=None,
    metavar="URL",
    help="Registry folder or URL whose champion is served (default from settings).",
)
@click.option(
    "--feature-store",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Feature store the LSTM's earlier hours are read from (default: none, or settings).",
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="Level of the JSON logs (default from settings: INFO).",
)
@click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="Accepted like every command's; the service reads no source database.",
)
def serve(
    host: str,
    port: int,
    registry_url: str | None,
    feature_store: Path | None,
    workers: int,
    log_level: str | None,
    db_url: str | None,
) -> None:
    """Serve the registry's champion bundle over HTTP: /score, /model/info, /schema, ..."""
    import uvicorn

    from ercot_dart.registry import BundleError, RegistryError, open_registry
    from ercot_dart.settings import get_settings

    if registry_url is not None:
        if "://" in registry_url:
            os.environ["ERCOT_DART_REGISTRY_URL"] = registry_url
        else:
            os.environ["ERCOT_DART_REGISTRY_URL"] = ""
            os.environ["ERCOT_DART_REGISTRY_DIR"] = str(Path(registry_url).resolve())
    if feature_store is not None:
        if not feature_store.is_dir():
            _fail(f"--feature-store {feature_store}: no such folder (run `ercot-dart features`)")
        os.environ["ERCOT_DART_SERVE_FEATURE_STORE"] = str(feature_store.resolve())
    if log_level is not None:
        os.environ["ERCOT_DART_SERVE_LOG_LEVEL"] = log_level.upper()
    get_settings.cache_clear()
    settings = get_settings()
    try:
        registry = open_registry(settings)
        champion = registry.champion()
    except (RegistryError, BundleError, OSError) as exc:
        _fail(f"cannot read the registry: {exc}")
    if champion is None:
        _fail(f"no champion bundle in {registry.location}: train one first (ercot-dart train)")
    click.echo(
        f"serving bundle {champion} from {registry.location} on http://{host}:{port} "
        f"({workers} worker{'s' if workers > 1 else ''}; Ctrl-C stops)"
    )
    uvicorn.run(
        "inference.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the service writes its own, in JSON, with request ids
        log_config=None,
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
