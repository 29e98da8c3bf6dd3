"""``ercot-dart predict`` (batch inference, no Prefect) and ``ercot-dart run`` (the
``dart-pipeline`` flow once). Registered on the main group in ``ercot_dart.cli``."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click
import pandas as pd

from ercot_dart.cli import DATE, db_option, unused_db_option
from ercot_dart.cli_errors import fail as _fail
from ercot_dart.settings import get_settings


def _issue_time(value: str | None, option: str = "--issue-time") -> pd.Timestamp:
    from ercot_dart.predict import utc

    if value is None:
        return pd.Timestamp.now("UTC").floor("min")
    try:
        return utc(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a timestamp (e.g. 2026-11-29T09:05-06:00)", param_hint=option
        ) from None


issue_option = click.option(
    "--issue-time",
    default=None,
    metavar="TIMESTAMP",
    help="What the features are as of (ISO 8601; naive means UTC). Default: now.",
)
backfill_options = [
    click.option(
        "--delivery-date", type=DATE, default=None, help="Predict this local delivery day."
    ),
    click.option(
        "--backfill-start", type=DATE, default=None, help="First day of a backfill range."
    ),
    click.option("--backfill-end", type=DATE, default=None, help="Last day of a backfill range."),
]


def _with_db(db_url: str | None) -> None:
    """Make ``--db`` the source database of everything this process runs (flows included)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if db_url:
        os.environ["ERCOT_DART_DB_URL"] = db_url
        get_settings.cache_clear()
    url = get_settings().source_url
    try:
        make_url(url)
    except ArgumentError as exc:  # said now, not after starting a Prefect server
        given = "--db" if db_url else "ERCOT_DART_DB_URL"
        raise click.BadParameter(f"{url!r}: {exc}", param_hint=given) from None


def _check_backfill(
    delivery_date: date | None, backfill_start: date | None, backfill_end: date | None
) -> None:
    """The date options' rules, said with the options' names (usage errors, exit 2)."""
    if (backfill_start is None) != (backfill_end is None):
        raise click.UsageError("--backfill-start and --backfill-end go together")
    if backfill_start and backfill_end and backfill_end < backfill_start:
        raise click.BadParameter(
            f"{backfill_end} is before --backfill-start {backfill_start}",
            param_hint="--backfill-end",
        )
    if delivery_date and backfill_start:
        raise click.UsageError("give --delivery-date or a backfill range, not both")


def _backfill(f):  # type: ignore[no-untyped-def]
    for option in reversed(backfill_options):
        f = option(f)
    return f


@click.command("predict")
@_backfill
@issue_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the predictions here (.parquet); default: print a preview.",
)
@click.option(
    "--registry",
    "registry_url",
    default=None,
    metavar="URL",
    help="Registry (default from settings).",
)
@unused_db_option
def predict(
    delivery_date: date | None,
    backfill_start: date | None,
    backfill_end: date | None,
    issue_time: str | None,
    out: Path | None,
    registry_url: str | None,
) -> None:
    """Batch inference with the champion bundle on the current feature store (run
    `ercot-dart features` first to bring it up to date)."""
    from ercot_dart.parquet_files import unwritable, write_predictions_file
    from ercot_dart.predict import plan_targets, predict_target
    from ercot_dart.registry import open_registry
    from ercot_dart.registry.bundle import BundleError
    from ercot_dart.registry.champion import RegistryError
    from inference.bundle import load_bundle

    _check_backfill(delivery_date, backfill_start, backfill_end)
    if out is not None and out.suffix != ".parquet":
        raise click.BadParameter(f"{out} must end in .parquet", param_hint="--out")
    if out is not None and (why := unwritable(out)) is not None:
        raise click.BadParameter(why, param_hint="--out")
    settings = get_settings()
    issue = _issue_time(issue_time)
    try:
        targets = plan_targets(
            issue, settings.asof_rules, delivery_date, backfill_start, backfill_end
        )
        registry = open_registry(settings, registry_url)
        champion = registry.champion()
        if champion is None:
            _fail(f"no champion bundle in {registry.location}: run `ercot-dart train` first")
        bundle = load_bundle(registry.fetch(champion, settings.data_dir / "bundles"))
        frames = [
            predict_target(
                settings.stage_root, settings.feature_store_dir, bundle, t, settings.asof_rules
            )
            for t in targets
        ]
    except (ValueError, FileNotFoundError, BundleError, RegistryError) as exc:
        _fail(str(exc))
    frame = pd.concat(frames, ignore_index=True)
    days = ", ".join(str(t.delivery_day) for t in targets)
    if out is None:
        ens = frame[frame["model"] == "ensemble"]
        click.echo(ens.head(24).to_string(index=False))
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_predictions_file(out, frame)
    click.echo(
        f"{len(frame):,} predictions for {frame['settlement_point'].nunique()} settlement points, "
        f"delivery day(s) {days}, bundle {bundle.bundle_id}"
        + (f"; written to {out}" if out else "")
    )


@click.command("run")
@click.option("--retrain", is_flag=True, help="Train and register a new bundle first.")
@click.option("--quick", is_flag=True, help="With --retrain: small models (demo, tests).")
@_backfill
@issue_option
@db_option
def run(
    retrain: bool,
    quick: bool,
    delivery_date: date | None,
    backfill_start: date | None,
    backfill_end: date | None,
    issue_time: str | None,
    db_url: str | None,
) -> None:
    """Run the `dart-pipeline` flow once here: features, (training), batch inference, publishing.
    Uses the Prefect API of PREFECT_API_URL, or a temporary local one."""
    # a temporary local API can take long to start on a fresh database
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from flows.dart_pipeline import dart_pipeline

    _with_db(db_url)
    _check_backfill(delivery_date, backfill_start, backfill_end)
    issue = _issue_time(issue_time)
    try:
        result = dart_pipeline(
            retrain=retrain,
            delivery_date=delivery_date,
            backfill_start=backfill_start,
            backfill_end=backfill_end,
            issue_time=issue.to_pydatetime(),
            quick=quick,
        )
    except Exception as exc:
        _fail(f"the pipeline failed: {type(exc).__name__}: {exc}")
    settings = get_settings()
    click.echo(  # a day already closed at the run's issue time is predicted as of its own
        f"dart-pipeline: {result['rows']:,} predictions for {', '.join(result['targets'])}, "
        f"bundle {result['bundle_id']}"
    )
    for blob in result["blobs"]:
        click.echo(f"  blob:  {blob}")
    click.echo(f"  table: {result['table']}")
    if settings.predictions_url.startswith("sqlite:///"):
        path = settings.predictions_url.removeprefix("sqlite:///")
        click.echo(
            f'  query: sqlite3 {path} "SELECT settlement_point, hour_ending_local, prediction, p10, p90 '
            "FROM predictions_dart_spread WHERE model='ensemble' ORDER BY abs(prediction) DESC LIMIT 10\""
        )


@click.command("monitor")
@click.option(
    "--as-of",
    "as_of",
    default=None,
    metavar="TIMESTAMP",
    help="The moment monitored (ISO 8601; naive means UTC). Default: now.",
)
@db_option
def monitor_cmd(as_of: str | None, db_url: str | None) -> None:
    """Run the `monitor` flow once here: realized accuracy, drift, freshness, alerts, the report.
    Uses the Prefect API of PREFECT_API_URL, or a temporary local one."""
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    from flows.monitor import monitor

    _with_db(db_url)
    moment = _issue_time(as_of, "--as-of")
    try:
        result = monitor(as_of=moment.to_pydatetime())
    except Exception as exc:
        _fail(f"the monitor failed: {type(exc).__name__}: {exc}")
    click.echo(
        f"monitor as of {moment:%Y-%m-%dT%H:%MZ}: {result['realized_rows']:,} realized prediction "
        f"rows; incidents opened {len(result['opened'])}, recovered {len(result['recovered'])}, "
        f"ongoing {len(result['ongoing'])}"
    )
    if result["replay"]:
        click.echo("  a later moment was already checked: incidents unchanged (a replay)")
    for key in result["open"]:
        click.echo(f"  open:   {key}{'' if key in result['opened'] else ' (ongoing)'}")
    for key in result["recovered"]:
        click.echo(f"  closed: {key}")
    if result["retrain_reason"]:
        click.echo(f"  retraining due: {result['retrain_reason']}")
    click.echo(f"  report: {result['report']}")
