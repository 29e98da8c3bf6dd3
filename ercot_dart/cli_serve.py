"""``ercot-dart serve``: the scoring service (docs/serving.md), on uvicorn.

Registered on the main group with ``main.add_command(serve)``. Options override the
``ERCOT_DART_*`` settings of the same meaning; they reach the server through the environment,
so every worker process reads the same settings.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import click

from ercot_dart.cli import unused_db_option
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
@unused_db_option
def serve(
    host: str,
    port: int,
    registry_url: str | None,
    feature_store: Path | None,
    workers: int,
    log_level: str | None,
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
        os.environ["ERCOT_DART_SERVE_FEATURE_STORE"] = str(feature_store.resolve())
    if log_level is not None:
        os.environ["ERCOT_DART_SERVE_LOG_LEVEL"] = log_level.upper()
    get_settings.cache_clear()
    settings = get_settings()
    store = settings.serve_feature_store
    if store is not None and not store.is_dir():
        given = "--feature-store" if feature_store is not None else "ERCOT_DART_SERVE_FEATURE_STORE"
        _fail(f"{given} {store}: no such folder (run `ercot-dart features`)")
    if not settings.registry_url and not settings.registry_root.is_dir():
        _fail(f"no registry at {settings.registry_root}: no such folder (run `ercot-dart train`)")
    try:
        registry = open_registry(settings)
        champion = registry.champion()
    except (RegistryError, BundleError, OSError) as exc:
        _fail(f"cannot read the registry: {exc}")
    if champion is None:
        _fail(f"no champion bundle in {registry.location}: train one first (ercot-dart train)")
    _check_listen(host, port)
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


def _check_listen(host: str, port: int) -> None:
    """Fail, before saying it serves, when ``host:port`` cannot be listened on (taken, or an
    address of no interface here)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind(address)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
