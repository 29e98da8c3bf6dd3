"""A real Prefect API for flow tests: Prefect's test harness (a local server on a temporary
database), started once per session."""

from __future__ import annotations

import os
import shutil

import pytest

from ercot_dart.registry import LocalRegistry
from ercot_dart.settings import get_settings
from tests.receivers import smtp_server, webhooks

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


@pytest.fixture(scope="session")
def prefect_api():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


# --- the pipeline's inputs: two months of the real five hubs and a trained champion bundle ---

WINDOW_COLUMNS = {
    "dam_spp": "DeliveryDate",
    "rtm_spp": "DeliveryDate",
    "sced_lmp": "SCEDTimestamp",
    "sced_system_lambda": "SCEDTimeStamp",
    "load_forecast": "DeliveryDate",
    "actual_load": "OperDay",
    "wind_power": "DELIVERY_DATE",
    "solar_power": "DELIVERY_DATE",
    "dam_as_prices": "DeliveryDate",
}


@pytest.fixture(scope="session")
def pipeline_source(real_engine, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A SQLite source database holding the real rows of 2024-07-01 .. 2024-08-21."""
    from ercot_dart.db.engine import create_tables, make_engine

    path = tmp_path_factory.mktemp("pipeline-source") / "source.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    create_tables(engine)
    real = real_engine.url.database
    with engine.begin() as conn:
        conn.exec_driver_sql(f"ATTACH DATABASE '{real}' AS real")
        for table, column in WINDOW_COLUMNS.items():
            conn.exec_driver_sql(
                f'INSERT INTO main."{table}" SELECT * FROM real."{table}" '
                f"WHERE \"{column}\" >= '2024-07-01' AND \"{column}\" < '2024-08-22'"
            )
    with engine.begin() as conn:
        conn.exec_driver_sql("DETACH DATABASE real")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def champion_bundle(request_small, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The three models trained (quick) on the small real store and refitted on every day up to
    the last, as training deploys them: the pipeline's champion."""
    from ercot_dart.models.training import evaluate, export_bundle, fit, prepare, refit

    prepared = prepare(request_small)
    models = {name: fit(name, prepared) for name in ("lightgbm", "xgboost", "lstm")}
    refits = {name: refit(prepared, model) for name, model in models.items()}
    return export_bundle(
        prepared, models, evaluate(prepared, models), tmp_path_factory.mktemp("bundles"), refits
    )


@pytest.fixture
def pipeline(tmp_path, monkeypatch, pipeline_source, champion_bundle):  # type: ignore[no-untyped-def]
    """Settings of an embedded setup in ``tmp_path`` with the champion registered, and live
    notification receivers."""
    source = tmp_path / "source.sqlite"
    shutil.copy(pipeline_source, source)
    registry = LocalRegistry(tmp_path / "registry")
    bundle_id = registry.publish(champion_bundle)
    registry.promote(bundle_id, "test champion")
    with webhooks() as hooks, smtp_server() as box:
        env = {
            "ERCOT_DART_DATA_DIR": str(tmp_path),
            "ERCOT_DART_DB_URL": f"sqlite:///{source}",
            "ERCOT_DART_NOTIFY_SLACK_WEBHOOK": hooks.url("slack"),
            "ERCOT_DART_NOTIFY_TEAMS_WEBHOOK": hooks.url("teams"),
            "ERCOT_DART_NOTIFY_EMAIL_TO": "desk@example.com",
            "ERCOT_DART_SMTP_HOST": "127.0.0.1",
            "ERCOT_DART_SMTP_PORT": str(box.port),
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        yield hooks, box
    get_settings.cache_clear()
