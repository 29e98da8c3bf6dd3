"""The ``ercot-dart`` command line (see ``shared/spec/contracts.md``).

Every command takes ``--db URL``, prints a one-line summary on success, shows progress on long
work on stderr (:mod:`ercot_dart.cli_progress`: live on a terminal, timed lines elsewhere) and
exits non-zero with one clear message on bad input.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
import pandas as pd

from ercot_dart.cli_errors import Commands, expected_errors
from ercot_dart.cli_errors import fail as _fail
from ercot_dart.settings import get_settings

db_option = click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    help="SQLAlchemy URL of the source database (default: the embedded SQLite file).",
)


unused_db_option = click.option(
    "--db",
    "db_url",
    default=None,
    metavar="URL",
    expose_value=False,
    help="Accepted like every command's; this command reads no source database (its input is "
    "the feature store, built by `ercot-dart features --db`).",
)


def _engine(db_url: str | None, create: bool = True):  # type: ignore[no-untyped-def]
    """The source database's engine (``create`` False: one that must exist already)."""
    from ercot_dart.db.engine import DatabaseError, make_engine

    url = db_url or get_settings().source_url
    try:
        return make_engine(url, create)
    except DatabaseError as exc:
        _fail(str(exc))
    except Exception as exc:  # a malformed URL or a missing driver
        given = (
            "--db" if db_url else "ERCOT_DART_DB_URL" if get_settings().db_url else "the default"
        )
        raise click.UsageError(f"{given} {url!r}: {exc}") from None


class _Date(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


DATE = _Date()


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ercot-dart")
def main() -> None:
    """Forecast ERCOT DART spreads: import data, build features, train, predict, serve."""


@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--posted-at",
    default=None,
    metavar="TIMESTAMP",
    help="Posting time (local Central, e.g. 2026-09-28T09:55) of forecast files that carry none.",
)
@db_option
def import_cmd(paths: tuple[Path, ...], posted_at: str | None, db_url: str | None) -> None:
    """Load ERCOT files (MIS CSV, zip, Public API CSV/parquet, load archive xlsx)."""
    from ercot_dart.cli_progress import counter
    from ercot_dart.importer import ImportResult, import_paths
    from ercot_dart.importer.run import expand_paths

    posted = None
    if posted_at:
        try:
            posted = pd.Timestamp(posted_at)
        except ValueError:
            raise click.BadParameter(
                f"{posted_at!r} is not a timestamp", param_hint="--posted-at"
            ) from None
    files = expand_paths(paths)
    if not files:
        _fail(f"no ERCOT files (.csv, .zip, .parquet, .xlsx) in {', '.join(map(str, paths))}")
    engine = _engine(db_url)
    with counter("importing", len(files), "files") as step:

        def done(result: ImportResult) -> None:
            step()
            for warning in result.warnings:
                click.echo(f"warning: {warning}", err=True)
            if result.error:
                click.echo(f"error: {result.error}", err=True)
            elif result.skipped:
                click.echo(f"skipped: {result.path.name}: {result.skipped}", err=True)

        results = import_paths(
            engine,
            files,
            posted_at=posted,
            chunk_rows=get_settings().import_chunk_rows,
            progress=done,
        )
    failed = [r for r in results if r.error]
    loaded = [r for r in results if r.ok and not r.skipped]
    summary = (
        f"imported {len(loaded)} file(s), {sum(r.rows for r in loaded):,} rows (upserted: a row "
        f"already there is replaced, never doubled) into "
        f"{engine.url.render_as_string(hide_password=True)}"
    )
    skipped = len(results) - len(loaded) - len(failed)
    if skipped:
        summary += f"; {skipped} skipped"
    if failed:
        summary += f"; {len(failed)} rejected"
        click.echo(summary, err=True)
        sys.exit(1)
    click.echo(summary)


@main.command("synth")
@click.option("--start", type=DATE, required=True, help="First operating day (YYYY-MM-DD).")
@click.option("--end", type=DATE, required=True, help="Last operating day, inclusive.")
@click.option(
    "--points",
    type=click.IntRange(min=1),
    default=None,
    help="Settlement points (default: ERCOT_DART_SYNTH_POINTS, 20).",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Random seed: same seed, same tables (default: ERCOT_DART_SYNTH_SEED, 7).",
)
@db_option
def synth_cmd(
    start: date, end: date, points: int | None, seed: int | None, db_url: str | None
) -> None:
    """Write a synthetic ERCOT market into the nine source tables."""
    from ercot_dart.cli_progress import counter
    from ercot_dart.db.engine import create_tables
    from ercot_dart.synth import write_market

    if end < start:
        raise click.BadParameter(f"--end {end} is before --start {start}", param_hint="--end")
    settings = get_settings()
    points = points or settings.synth_points
    seed = settings.synth_seed if seed is None else seed
    engine = _engine(db_url)
    create_tables(engine)
    days = (end - start).days + 1
    with counter("synthesizing", days, "days") as step:
        counts = write_market(
            engine, start, end, points=points, seed=seed, progress=lambda _day: step()
        )
    click.echo(
        f"synthesized {days} day(s) of {points} settlement points (seed {seed}): "
        f"{sum(counts.values()):,} rows into {engine.url.render_as_string(hide_password=True)}"
    )


@main.command("calibrate")
@click.option(
    "--real",
    "real_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("../shared/data/ercot-real/public-api-2024"),
    show_default=True,
    help="Folder of the real ERCOT Public API files (five hubs, 2024).",
)
@db_option
def calibrate_cmd(real_dir: Path, db_url: str | None) -> None:
    """Compare the synthetic market in --db with real 2024 ERCOT prices, side by side."""
    from ercot_dart.synth.calibration import calibration_report

    if not real_dir.is_dir():
        raise click.BadParameter(f"{real_dir} is not a folder", param_hint="--real")
    click.echo(calibration_report(_engine(db_url, create=False), real_dir))


@main.command("features")
@click.option(
    "--start",
    type=DATE,
    default=None,
    help="First delivery day to build (default: all); its 32 days of history are extracted too.",
)
@click.option("--end", type=DATE, default=None, help="Last delivery day to build (default: all).")
@click.option(
    "--store",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Feature store folder.",
)
@db_option
def features_cmd(
    start: date | None, end: date | None, store: Path | None, db_url: str | None
) -> None:
    """Build or update the hourly feature store from the source tables (incremental)."""
    from ercot_dart.cli_progress import status
    from ercot_dart.features.build import MissingSourceError
    from ercot_dart.features.pipeline import update_features
    from ercot_dart.features.source import SourceMismatch

    if start and end and end < start:
        raise click.BadParameter(f"--end {end} is before --start {start}", param_hint="--end")
    settings = get_settings()
    url = db_url or settings.source_url
    _engine(db_url, create=False).dispose()  # a malformed URL is a usage error
    try:
        with status("building features") as update:
            build = update_features(
                url,
                settings.stage_root,
                store or settings.feature_store_dir,
                settings.asof_rules,
                start=start,
                end=end,
                lookback_days=settings.lookback_days,
                progress=update,
            )
    except (MissingSourceError, SourceMismatch) as exc:
        _fail(str(exc))
    click.echo(build.summary())


def refit_option(help_text: str) -> Any:
    """``--refit/--no-refit`` for the commands that train (default: ERCOT_DART_TRAIN_REFIT)."""
    return click.option(
        "--refit/--no-refit",
        default=None,
        help=f"{help_text} [default: ERCOT_DART_TRAIN_REFIT, false]",
    )


@main.command("train")
@click.option(
    "--train-end", type=DATE, default=None, help="Last delivery day of the training split."
)
@click.option(
    "--valid-end", type=DATE, default=None, help="Last delivery day of the validation split."
)
@click.option("--test-end", type=DATE, default=None, help="Last delivery day of the test split.")
@click.option(
    "--gap-days",
    type=click.IntRange(min=0),
    default=None,
    help="Days left out between splits (default 7; at least 1 keeps the evaluation honest).",
)
@click.option(
    "--models",
    "model_names",
    default="lightgbm,xgboost,lstm",
    show_default=True,
    help="Models to train.",
)
@click.option(
    "--store",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Feature store folder.",
)
@click.option(
    "--registry",
    "registry_url",
    default=None,
    help=(
        "Registry folder, azure://<container>/<prefix>, https://... or "
        "prefect-block://<block name>/<prefix> (default from settings)."
    ),
)
@click.option("--quick", is_flag=True, help="A small LSTM and fewer boosting rounds (the demo).")
@click.option(
    "--search-seconds",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Time budget per model of a hyper-parameter search on the validation split (0: off).",
)
@refit_option(
    "Deploy each model refitted on every labelled day up to the last, for the rounds its "
    "held-out fit chose (the bundle's metrics and promotion use the held-out fits, kept in it); "
    "--no-refit deploys the held-out fits."
)
@unused_db_option
def train_cmd(
    train_end: date | None,
    valid_end: date | None,
    test_end: date | None,
    gap_days: int | None,
    model_names: str,
    store: Path | None,
    registry_url: str | None,
    quick: bool,
    search_seconds: float,
    refit: bool | None,
) -> None:
    """Train the models, evaluate them, export to ONNX with parity checks and register a bundle."""
    from ercot_dart.cli_progress import status
    from ercot_dart.models.base import MODELS, ModelConfig
    from ercot_dart.models.data import SplitError
    from ercot_dart.models.pipeline import train_and_register
    from ercot_dart.models.training import TrainRequest
    from ercot_dart.registry import open_registry
    from onnx_export.parity import ParityError

    settings = get_settings()
    names = [n.strip() for n in model_names.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODELS]
    if unknown or not names:
        raise click.BadParameter(
            f"{', '.join(unknown) or '(none)'}: known models are {', '.join(MODELS)}",
            param_hint="--models",
        )
    store = store or settings.feature_store_dir
    request = TrainRequest(
        store=store,
        train_end=train_end,
        valid_end=valid_end,
        test_end=test_end,
        gap_days=gap_days,
        models=names,
        config=ModelConfig.quick(settings.train_threads)
        if quick
        else ModelConfig(threads=settings.train_threads),
        search_seconds=search_seconds,
        refit=settings.train_refit if refit is None else refit,
    )
    # registry, bundle, parity, split and Azure errors: one message, exit 1 (cli_errors)
    with expected_errors(FileNotFoundError, SplitError, ParityError):
        registry = open_registry(settings, registry_url)
        registry.champion()  # reachable (its container exists) before minutes of training
        with status("training"):
            outcome = train_and_register(
                request, registry, settings.data_dir / "bundles", settings.promotion_metric
            )
    click.echo(outcome.summary())


@main.command("backtest")
@click.option("--start", type=DATE, required=True, help="First delivery day predicted.")
@click.option("--end", type=DATE, required=True, help="Last delivery day predicted.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Predictions (.parquet).",
)
@click.option(
    "--retrain-every",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Days per window.",
)
@click.option(
    "--models",
    "model_names",
    default="lightgbm,xgboost,lstm",
    show_default=True,
    help="Models to train.",
)
@click.option(
    "--store",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Feature store folder.",
)
@refit_option(
    "Predict each window with the models refitted on every day up to two days before it, as "
    "`train --refit` deploys them; --no-refit predicts with the fits that validated on its "
    "last days."
)
@unused_db_option
def backtest_cmd(
    start: date,
    end: date,
    out: Path,
    retrain_every: int,
    model_names: str,
    store: Path | None,
    refit: bool | None,
) -> None:
    """Walk-forward predictions over history, each window trained only on data published before it."""
    import json

    from ercot_dart.atomic import write_text_atomically
    from ercot_dart.cli_progress import status
    from ercot_dart.models.backtest import BacktestError, run_backtest
    from ercot_dart.models.base import MODELS, ModelConfig
    from ercot_dart.models.data import SplitError
    from ercot_dart.models.training import TrainRequest
    from ercot_dart.parquet_files import unwritable, write_predictions_file

    if out.suffix != ".parquet":
        raise click.BadParameter(f"{out} must end in .parquet", param_hint="--out")
    if (why := unwritable(out)) is not None:  # said now, not after the training
        raise click.BadParameter(why, param_hint="--out")
    names = [n.strip() for n in model_names.split(",") if n.strip()]
    if not names or any(n not in MODELS for n in names):
        raise click.BadParameter(
            f"{model_names}: known models are {', '.join(MODELS)}", param_hint="--models"
        )
    settings = get_settings()
    request = TrainRequest(
        store=store or settings.feature_store_dir,
        models=names,
        config=ModelConfig(threads=settings.train_threads),
        refit=settings.train_refit if refit is None else refit,
    )
    with (
        expected_errors(BacktestError, SplitError, FileNotFoundError),
        status("backtesting") as update,
    ):
        result = run_backtest(request, start, end, retrain_every, progress=update)
    write_predictions_file(out, result.predictions)
    sidecar = out.with_suffix(".metrics.json")
    write_text_atomically(
        sidecar,
        json.dumps({"overall": result.overall, "windows": result.windows}, indent=2, default=float),
    )
    click.echo(f"{result.summary()}; predictions in {out}, metrics in {sidecar}")


def _register_groups() -> None:
    from ercot_dart.cli_models import models
    from ercot_dart.cli_pipeline import monitor_cmd, predict, run
    from ercot_dart.cli_serve import serve

    main.add_command(models)
    main.add_command(serve)
    main.add_command(predict)
    main.add_command(run)
    main.add_command(monitor_cmd)


_register_groups()

if __name__ == "__main__":
    main()
