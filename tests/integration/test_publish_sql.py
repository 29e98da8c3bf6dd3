"""Writing an issue time to ``predictions_dart_spread`` replaces exactly its rows: a rerun that no
longer has some (point, hour, model) leaves none of them behind, other issue times are untouched,
and a failed write changes nothing (SQLite and PostgreSQL for real; SQL Server's T-SQL compiled
and parsed)."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlglot
from sqlalchemy.dialects import mssql
from sqlglot import exp

from ercot_dart.publish.sql import (
    KEY,
    _naive_utc,
    _stale_delete,
    read_predictions,
    stale_keys,
    write_predictions,
)
from tests.integration.test_publish_blob import DAILY, HOURLY, predictions

ORDER = ["settlement_point", "model", "interval_start_utc"]


def rows_of(engine, issue: pd.Timestamp) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return read_predictions(engine, issue).sort_values(ORDER, ignore_index=True)


def test_a_rerun_replaces_exactly_the_issue_times_rows(db_engine):
    write_predictions(db_engine, predictions(DAILY))
    write_predictions(db_engine, predictions(HOURLY))
    rerun = predictions(HOURLY, shift=50.0, points=2)  # a point fewer, new numbers
    rerun = rerun[rerun["model"] != "lstm"]  # and no LSTM this time
    assert write_predictions(db_engine, rerun) == len(rerun)

    got = rows_of(db_engine, HOURLY)
    want = rerun.sort_values(ORDER, ignore_index=True)
    assert len(got) == len(want) and set(got["model"]) == {"lightgbm", "xgboost", "ensemble"}
    pd.testing.assert_series_equal(got["prediction"], want["prediction"])
    assert got["p90"].isna().sum() == 0
    assert len(rows_of(db_engine, DAILY)) == len(predictions(DAILY))  # the other issue time kept


def test_a_rerun_of_the_same_rows_changes_nothing(db_engine):
    write_predictions(db_engine, predictions(DAILY))
    write_predictions(db_engine, predictions(DAILY))
    assert len(read_predictions(db_engine)) == len(predictions(DAILY))


def test_a_failed_rerun_leaves_the_previous_rows(db_engine):
    write_predictions(db_engine, predictions(DAILY))
    broken = predictions(DAILY, shift=1.0)
    broken.loc[len(broken) - 1, "prediction"] = None  # NOT NULL: the upsert fails
    with pytest.raises(Exception, match="(?i)null"):
        write_predictions(db_engine, broken)
    pd.testing.assert_frame_equal(
        rows_of(db_engine, DAILY)[["prediction"]],
        predictions(DAILY).sort_values(ORDER, ignore_index=True)[["prediction"]],
    )


def test_sql_server_deletes_stale_keys_by_the_whole_key():
    """The upsert itself is a MERGE on SQL Server (tests/pipeline/test_publish.py); the rows a
    rerun no longer has are deleted by their whole key, one bound row at a time."""
    delete_sql = str(_stale_delete().compile(dialect=mssql.dialect()))
    [statement] = sqlglot.parse(delete_sql, read="tsql")
    assert isinstance(statement, exp.Delete)
    where = delete_sql.split(" WHERE ", 1)[1].split(" AND ")
    assert where == [f"predictions_dart_spread.{k} = :k_{k}" for k in KEY]


def test_the_stale_keys_are_those_the_rerun_no_longer_has():
    old = _naive_utc(predictions(HOURLY))
    rerun = old[
        (old["model"] != "lstm") & (old["settlement_point"] != old["settlement_point"].iloc[0])
    ]
    gone = stale_keys(old, rerun)
    assert len(gone) == len(old) - len(rerun) > 0
    assert all(g["issue_time_utc"].tzinfo is None for g in gone)
    assert stale_keys(old, old) == []
