"""One typed settings object, read from ``ERCOT_DART_*`` environment variables once.

Every default is the embedded setup: a SQLite source file and local folders under ``./data``,
so the whole system runs on a laptop with no cloud. Production swaps the URLs.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

if TYPE_CHECKING:
    from ercot_dart.monitor.freshness import Limits


CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"
"""A local clock time setting, HH:MM (24 h)."""


class Settings(BaseSettings):
    """Settings of ercot-dart; each field is read from ``ERCOT_DART_<FIELD NAME>``."""

    model_config = SettingsConfigDict(env_prefix="ERCOT_DART_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Root folder of the embedded setup.")
    db_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL of the ERCOT source database (SQL Server in production, e.g. "
            "mssql+pyodbc://...); empty means sqlite:///<data_dir>/ercot.sqlite."
        ),
    )
    feature_store: Path | None = Field(
        None,
        description="Folder of the hourly parquet feature store; empty means <data_dir>/features.",
    )
    blob_dir: Path | None = Field(
        None,
        description="Local folder standing in for the blob store; empty means <data_dir>/blob.",
    )
    registry_dir: Path | None = Field(
        None, description="Local folder of the model registry; empty means <data_dir>/registry."
    )
    registry_url: str = Field(
        "",
        description=(
            "Model registry: empty means the local folder registry_dir; azure://<container>/<prefix> "
            "(with the connection string below) or https://<account>.blob.core.windows.net/<container>/<prefix> "
            "(managed identity); the prefix defaults to models/."
        ),
    )
    # a secret: set it from the environment or Key Vault, never in code or files in the repository
    azure_storage_connection_string: str = Field(
        "",
        repr=False,
        description="Azure Storage connection string of azure:// registry URLs; from the environment or Key Vault only.",
    )
    stage_dir: Path | None = Field(
        None,
        description="Folder of the raw parquet stage; empty means <data_dir>/stage.",
    )
    lookback_days: int = Field(
        3,
        ge=0,
        description="Days before each table's watermark re-checked for ERCOT corrections.",
    )
    import_chunk_rows: int = Field(
        200_000,
        gt=0,
        description="Rows parsed and written per batch when importing (bounds memory).",
    )
    issue_local_time: str = Field(
        "09:00",
        pattern=CLOCK,
        description="Issue time (HH:MM, Central) of training rows on the day before delivery; the DAM closes at 10:00.",
    )
    dam_publish_local_time: str = Field(
        "13:30",
        pattern=CLOCK,
        description="Publication lag of DAM prices and AS prices: HH:MM (Central) on the day before the operating day.",
    )
    rt_publish_lag_minutes: int = Field(
        5,
        ge=0,
        le=1440,
        description="Publication lag of real-time prices and system lambda: minutes after their hour ends.",
    )
    actual_load_publish_local_time: str = Field(
        "06:00",
        pattern=CLOCK,
        description="Publication lag of actual load: HH:MM (Central) on the day after the operating day.",
    )
    task_runner: str = Field(
        "threads",
        pattern="^(threads|dask)$",
        description="Prefect task runner of the flows: threads (default) or dask (a local Dask cluster).",
    )
    dask_workers: int = Field(2, gt=0, description="Worker processes of the local Dask cluster.")
    train_threads: int = Field(2, gt=0, description="CPU threads each model trains with.")
    train_refit: bool = Field(
        False,
        description="Deploy each model refitted on every labelled day up to the last (the held-out fits stay in the bundle for its metrics and promotion); the default of `train --refit`, `backtest --refit` and the train_models flow.",
    )
    promotion_metric: str = Field(
        "mae",
        description="Metric on the recent test window a new bundle must not be worse at than the champion (mae, rmse, smape, sign_accuracy, r2, pnl_per_mwh).",
    )
    # --- the scoring service (ercot-dart serve) ---
    serve_api_key: str = Field(
        "",
        repr=False,
        description="API key of POST /admin/reload (header X-API-Key); empty disables reloading. A secret: from the environment or Key Vault only.",
    )
    serve_feature_store: Path | None = Field(
        None,
        description="Feature store the service reads the LSTM's earlier hours from; empty: none (requests carry them).",
    )
    serve_history_days: int = Field(
        3,
        ge=1,
        description="Days at the end of serve_feature_store kept in memory; older hours are read from disk when asked for.",
    )
    serve_store_refresh_seconds: float = Field(
        60.0,
        gt=0,
        description="How often the service looks for new rows in serve_feature_store (seconds).",
    )
    serve_champion_poll_seconds: float = Field(
        60.0,
        ge=0,
        description="How often each service process looks for a new champion in the registry and switches to it (seconds; 0: only on POST /admin/reload). It is how every worker and replica follows a promotion.",
    )
    serve_max_rows: int = Field(
        10_000,
        gt=0,
        description="Most rows (and, separately, history rows) one POST /score may carry.",
    )
    serve_max_body_bytes: int = Field(
        64 * 1024 * 1024,
        gt=0,
        description="Largest request body the service reads (bytes); larger ones get 413.",
    )
    serve_cache_dir: Path | None = Field(
        None,
        description="Folder the service fetches bundles into from the registry; empty means <data_dir>/serve-cache.",
    )
    serve_threads: int = Field(
        1, gt=0, description="onnxruntime threads per model session of the scoring service."
    )
    serve_log_level: str = Field(
        "INFO",
        pattern="^(DEBUG|INFO|WARNING|ERROR)$",
        description="Level of the service's JSON logs (one access line per request at INFO).",
    )
    # --- the pipeline: publishing, notifications, retries (flow dart-pipeline) ---
    predictions_db_url: str = Field(
        "",
        description=(
            "SQLAlchemy URL of the database holding the table predictions_dart_spread; empty means "
            "sqlite:///<data_dir>/predictions.sqlite."
        ),
    )
    predictions_blob_block: str = Field(
        "",
        description=(
            "Name of a prefect-azure AzureBlobStorageContainer block predictions are published to "
            "(predictions/YYYY/MM/DD/HH/predictions.parquet); empty means the local folder blob_dir."
        ),
    )
    notify_slack_webhook: str = Field(
        "",
        repr=False,
        description="Slack incoming-webhook URL, or prefect-secret:<block name>; empty: no Slack message.",
    )
    notify_teams_webhook: str = Field(
        "",
        repr=False,
        description="Microsoft Teams incoming-webhook (Workflows) URL, or prefect-secret:<block name>; empty: no Teams message.",
    )
    notify_email_to: str = Field(
        "", description="Comma-separated addresses of the e-mail summary; empty: no e-mail."
    )
    notify_email_from: str = Field("ercot-dart@localhost", description="Sender of the e-mails.")
    smtp_host: str = Field("localhost", description="SMTP server of the e-mails.")
    smtp_port: int = Field(25, gt=0, lt=65536, description="SMTP port (587 with smtp_starttls).")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str = Field("", description="SMTP user; empty: no login.")
    smtp_password: str = Field(
        "",
        repr=False,
        description="SMTP password, or prefect-secret:<block name>. A secret: never in files of the repository.",
    )
    notify_top_spreads: int = Field(
        5, ge=0, description="How many of the largest expected spreads the summary lists."
    )
    staging_keep_days: int = Field(
        7,
        ge=1,
        description="Days the staged predictions of a run that failed before publishing are kept for a retry; older ones are removed after each publication.",
    )
    task_retries: int = Field(
        3, ge=0, description="Retries of tasks that touch SQL, blob storage or a webhook."
    )
    retry_delay_seconds: list[float] = Field(
        [2.0, 5.0, 15.0],
        description="Delays before each retry (seconds, JSON list; the last repeats); jittered ±50%.",
    )
    # --- monitoring (flow monitor, docs/monitoring.md) ---
    monitor_window_days: int = Field(
        7, gt=0, description="Delivery days the rolling accuracy and the current drift window span."
    )
    monitor_history_days: int = Field(
        28,
        gt=0,
        description="Days of accuracy history the monitor recomputes and the report plots.",
    )
    drift_window_days: int = Field(
        28,
        gt=0,
        description="Days of the feature store compared for drift with the days the deployed models were fitted on (rolling features move slowly: a week is too short).",
    )
    drift_psi_threshold: float = Field(
        0.25,
        gt=0,
        description="Population stability index above which a feature (or the predictions) drifted.",
    )
    drift_pvalue_threshold: float = Field(
        0.01,
        gt=0,
        lt=1,
        description="Two-sample Kolmogorov-Smirnov p-value below which a drift is significant.",
    )
    calibration_coverage_min: float = Field(
        0.65,
        ge=0,
        le=1,
        description="Lowest share of realized DART inside the ensemble's P10-P90 band (nominally 80 %) over the monitor window before a calibration incident: the bands are too narrow.",
    )
    calibration_coverage_max: float = Field(
        0.95,
        ge=0,
        le=1,
        description="Highest share inside the band before a calibration incident: the bands are too wide.",
    )
    calibration_min_rows: int = Field(
        500,
        gt=0,
        description="Realized point-hours the monitor window needs before its coverage is judged.",
    )
    retrain_after_days: int = Field(
        3,
        gt=0,
        description="Retrain (even when retrain is false) once the ensemble's realized MAE has been worse than the 7-day-median baseline on this many days in a row.",
    )
    freshness_enforce: bool = Field(
        True, description="Stop the pipeline when a source table is stale (else warn and go on)."
    )
    freshness_realtime_minutes: int = Field(
        30, gt=0, description="How old the latest SCED run may be (minutes)."
    )
    freshness_forecast_hours: int = Field(
        3,
        gt=0,
        description="How old the latest load, wind and solar forecast posting may be (hours).",
    )
    freshness_gap_minutes: int = Field(
        15,
        gt=0,
        description="Longest gap between SCED runs tolerated in the last 24 hours (minutes).",
    )
    synth_seed: int = Field(7, description="Default seed of the synthetic market.")
    synth_points: int = Field(
        20, gt=0, description="Default number of synthetic settlement points."
    )

    @field_validator("promotion_metric", mode="after")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        from ercot_dart.registry.promotion import Metric

        if value not in Metric.__members__.values():
            raise ValueError(f"not one of {', '.join(Metric)}")
        return value

    @field_validator("calibration_coverage_max", mode="after")
    @classmethod
    def _above_min(cls, value: float, info: ValidationInfo) -> float:
        low = info.data.get("calibration_coverage_min")
        if low is not None and value <= low:
            raise ValueError(f"must be above ERCOT_DART_CALIBRATION_COVERAGE_MIN ({low})")
        return value

    @field_validator("data_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def source_url(self) -> str:
        """The source database URL, the embedded SQLite file when none is configured."""
        return self.db_url or f"sqlite:///{self.data_dir / 'ercot.sqlite'}"

    @property
    def asof_rules(self):  # type: ignore[no-untyped-def]
        """The publication lags and training issue time features are built with."""
        from datetime import time

        from ercot_dart.features.asof import AsOfRules

        def clock(hh_mm: str) -> time:
            hour, minute = map(int, hh_mm.split(":"))
            return time(hour, minute)

        return AsOfRules(
            dam_local_time=clock(self.dam_publish_local_time),
            rt_lag_minutes=self.rt_publish_lag_minutes,
            actual_load_local_time=clock(self.actual_load_publish_local_time),
            issue_local_time=clock(self.issue_local_time),
        )

    @property
    def predictions_url(self) -> str:
        """The predictions database URL, the embedded SQLite file when none is configured."""
        return self.predictions_db_url or f"sqlite:///{self.data_dir / 'predictions.sqlite'}"

    @property
    def freshness_limits(self) -> Limits:
        """How old each kind of source may be."""
        from ercot_dart.monitor.freshness import Limits

        return Limits(
            realtime_minutes=self.freshness_realtime_minutes,
            forecast_hours=self.freshness_forecast_hours,
            gap_minutes=self.freshness_gap_minutes,
        )

    @property
    def feature_store_dir(self) -> Path:
        """Folder of the hourly feature store."""
        return self.feature_store or self.data_dir / "features"

    @property
    def stage_root(self) -> Path:
        """Folder of the raw parquet stage."""
        return self.stage_dir or self.data_dir / "stage"

    @property
    def blob_root(self) -> Path:
        """Local folder used as the blob store."""
        return self.blob_dir or self.data_dir / "blob"

    @property
    def registry_root(self) -> Path:
        """Local folder used as the model registry."""
        return self.registry_dir or self.data_dir / "registry"

    @property
    def serve_cache_root(self) -> Path:
        """Folder the scoring service fetches bundles into."""
        return self.serve_cache_dir or self.data_dir / "serve-cache"


class SettingsInvalid(ValueError):
    """An ``ERCOT_DART_*`` variable with a value its setting refuses; the message names the
    variable, the value and the rule, one line each."""


def _problems(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        variable = f"ERCOT_DART_{field.upper()}"
        given = os.environ.get(variable, error.get("input"))  # secrets are free text: never here
        lines.append(f"{variable}={given!r}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use.

    Raises:
        SettingsInvalid: a variable's value is refused (named in the message).
    """
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsInvalid(f"invalid settings: {_problems(exc)}") from None
    except SettingsError as exc:  # a list setting whose value is not JSON
        field = re.search(r'field "(\w+)"', str(exc))
        if field is None:
            raise SettingsInvalid(f"invalid settings: {exc}") from None
        variable = f"ERCOT_DART_{field.group(1).upper()}"
        given = os.environ.get(variable)
        raise SettingsInvalid(
            f"invalid settings: {variable}={given!r}: not a JSON value ({exc.__cause__})"
        ) from None
