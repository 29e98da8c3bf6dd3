"""Publishing predictions: blob files whole or not at all (local folder, Azurite through the
prefect-azure block), the SQL upsert on SQLite and PostgreSQL (and the SQL Server MERGE, compiled
and parsed), notifications to local Slack/Teams/SMTP receivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlglot
from sqlalchemy.dialects import mssql
from sqlalchemy.schema import CreateTable
from sqlglot import exp

from ercot_dart.db.engine import make_engine
from ercot_dart.db.write import mssql_merge_sql
from ercot_dart.publish.blob import (
    AzureBlobStore,
    LocalBlobStore,
    prediction_key,
    read_parquet_bytes,
    to_parquet_bytes,
)
from ercot_dart.publish.notify import (
    DeliveryError,
    Email,
    Message,
    RejectedError,
    Slack,
    Teams,
    failure_message,
    summary_message,
)
from ercot_dart.publish.sql import predictions_dart_spread, read_predictions, write_predictions
from inference.scoring import PREDICTION_COLUMNS
from tasks.retry import is_transient
from tests.receivers import smtp_server, webhooks

ISSUE = pd.Timestamp("2024-11-02T14:05Z")


def predictions(issue: pd.Timestamp = ISSUE, shift: float = 0.0) -> pd.DataFrame:
    """The fall-back day 2024-11-03 (25 hours) for two points and four models."""
    hours = pd.date_range("2024-11-03T05:00Z", periods=25, freq="h")
    rows = []
    for point in ("HB_HOUSTON", "HB_NORTH"):
        for model in ("lightgbm", "xgboost", "lstm", "ensemble"):
            for k, h in enumerate(hours):
                repeated = h == pd.Timestamp("2024-11-03T07:00Z")
                local = h.tz_convert("America/Chicago") + pd.Timedelta(hours=1)
                rows.append(
                    {
                        "issue_time_utc": issue,
                        "settlement_point": point,
                        "interval_start_utc": h,
                        "hour_ending_local": "24:00" if local.hour == 0 else f"{local.hour:02d}:00",
                        "dst_flag": "Y" if repeated else "N",
                        "model": model,
                        "prediction": np.sin(k) * 10 + shift,
                        "p10": np.sin(k) * 10 - 5,
                        "p90": np.sin(k) * 10 + 5,
                        "bundle_id": "dart-test",
                    }
                )
    return pd.DataFrame(rows)[PREDICTION_COLUMNS]


def test_the_blob_path_is_the_issue_hour_in_utc():
    assert prediction_key(ISSUE) == "predictions/2024/11/02/14/predictions.parquet"
    local = pd.Timestamp("2024-11-03T01:30-05:00")  # first 01:30 of the fall-back day
    assert prediction_key(local) == "predictions/2024/11/03/06/predictions.parquet"


def test_parquet_round_trip_keeps_the_promised_columns_and_utc():
    frame = predictions()
    back = read_parquet_bytes(to_parquet_bytes(frame))
    assert list(back.columns) == PREDICTION_COLUMNS
    assert str(back["interval_start_utc"].dt.tz) == "UTC"
    pd.testing.assert_series_equal(back["prediction"], frame["prediction"])


def test_prediction_files_type_their_text_columns_string_as_promised(tmp_path):
    import io

    import pyarrow.parquet as pq

    from ercot_dart.parquet_files import write_predictions_file

    frame = predictions().astype({"settlement_point": "string", "model": "string"})
    write_predictions_file(tmp_path / "p.parquet", frame)
    for schema in (
        pq.read_schema(io.BytesIO(to_parquet_bytes(frame))),
        pq.read_schema(tmp_path / "p.parquet"),
    ):
        for name in ("settlement_point", "hour_ending_local", "dst_flag", "model", "bundle_id"):
            assert str(schema.field(name).type) == "string", name
        assert str(schema.field("interval_start_utc").type) == "timestamp[us, tz=UTC]"


def test_a_local_blob_is_replaced_whole_and_leaves_no_temporary_file(tmp_path):
    store = LocalBlobStore(tmp_path)
    key = prediction_key(ISSUE)
    store.put(key, b"first")
    store.put(key, b"second")
    assert store.get(key) == b"second"
    assert [p.name for p in (tmp_path / key).parent.iterdir()] == ["predictions.parquet"]
    store.delete(key)
    assert store.get(key) is None and not (tmp_path / "predictions").exists()


def test_a_local_blob_key_cannot_leave_the_store(tmp_path):
    with pytest.raises(ValueError, match="leaves the store"):
        LocalBlobStore(tmp_path / "blob").put("../outside.parquet", b"x")


def test_azure_blobs_through_the_prefect_azure_block(azurite):
    from azure.storage.blob import ContainerClient
    from prefect_azure import AzureBlobStorageContainer, AzureBlobStorageCredentials

    ContainerClient.from_connection_string(azurite, "dart-publish").create_container()
    block = AzureBlobStorageContainer(
        container_name="dart-publish",
        base_folder="prod",
        credentials=AzureBlobStorageCredentials(connection_string=azurite),
    )
    store = AzureBlobStore(block)
    key = prediction_key(ISSUE)
    data = to_parquet_bytes(predictions())
    store.put(key, b"old")
    store.put(key, data)  # the block does not overwrite by default: the store must ask it to
    assert store.get(key) == data
    assert store.url(key).endswith(f"/dart-publish/prod/{key}")
    names = [
        b.name for b in ContainerClient.from_connection_string(azurite, "dart-publish").list_blobs()
    ]
    assert names == [f"prod/{key}"]
    store.delete(key)
    assert store.get(key) is None


def test_the_sql_upsert_replaces_a_rerun_hour_and_never_duplicates(db_engine):
    write_predictions(db_engine, predictions())
    write_predictions(db_engine, predictions(shift=1.0))  # the same hour rerun, new numbers
    write_predictions(db_engine, predictions(pd.Timestamp("2024-11-02T15:05Z")))
    first = read_predictions(db_engine, ISSUE)
    assert len(first) == 2 * 4 * 25
    assert not first.duplicated(["settlement_point", "interval_start_utc", "model"]).any()
    expected = predictions(shift=1.0).sort_values(
        ["settlement_point", "model", "interval_start_utc"]
    )
    got = first.sort_values(["settlement_point", "model", "interval_start_utc"])
    np.testing.assert_allclose(got["prediction"], expected["prediction"])
    assert (got["issue_time_utc"] == ISSUE).all()
    assert set(got.loc[got["dst_flag"] == "Y", "interval_start_utc"]) == {
        pd.Timestamp("2024-11-03T07:00Z")
    }
    assert len(read_predictions(db_engine)) == 2 * 2 * 4 * 25


def test_sql_server_gets_a_merge_on_the_promised_key():
    sql = mssql_merge_sql(predictions_dart_spread, "#stage_predictions", mssql.dialect())
    [statement] = [s for s in sqlglot.parse(sql, read="tsql") if s is not None]
    assert isinstance(statement, exp.Merge)
    on = sql.split(" ON ", 1)[1].split(" WHEN ", 1)[0]
    assert on == (
        "t.issue_time_utc = s.issue_time_utc AND t.settlement_point = s.settlement_point"
        " AND t.interval_start_utc = s.interval_start_utc AND t.model = s.model"
    )
    ddl = str(CreateTable(predictions_dart_spread).compile(dialect=mssql.dialect()))
    assert "PRIMARY KEY (issue_time_utc, settlement_point, interval_start_utc, model)" in ddl


# --- notifications ----------------------------------------------------------------------


def test_the_summary_names_the_bundle_the_rows_and_the_largest_spreads():
    frame = predictions()
    message = summary_message("run-1", "dart-test", frame, ["/blob/x.parquet"], top=3)
    text = message.text
    assert "dart-test" in text and "200 rows" in text and "2024-11-03" in text
    assert text.count("HB_") == 3 and "/blob/x.parquet" in text


def test_slack_and_teams_get_their_own_payloads():
    message = Message("title", ["line one", "line two"])
    with webhooks() as hooks:
        Slack(hooks.url("slack")).send(message)
        Teams(hooks.url("teams")).send(message)
    [slack] = hooks.bodies("slack")
    assert slack == {"text": "*title*\nline one\nline two"}
    [teams] = hooks.bodies("teams")
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert [b["text"] for b in card["content"]["body"]] == ["title", "line one", "line two"]


def test_a_busy_webhook_is_retried_a_wrong_one_is_not():
    with webhooks() as hooks:
        hooks.fail = [503]
        with pytest.raises(DeliveryError) as busy:
            Slack(hooks.url("slack")).send(Message("t"))
        hooks.fail = [404]
        with pytest.raises(RejectedError) as wrong:
            Slack(hooks.url("slack")).send(Message("t"))
        url = hooks.url("slack")
    assert is_transient(busy.value) and not is_transient(wrong.value)
    assert url not in str(busy.value) and url not in str(wrong.value)  # the secret stays out


def test_an_unreachable_webhook_is_transient_and_its_url_is_not_shown():
    secret = "http://127.0.0.1:9/services/T000/B000/SECRET"
    with pytest.raises(DeliveryError) as err:
        Slack(secret).send(Message("t"))
    assert is_transient(err.value) and "SECRET" not in str(err.value)
    assert "SECRET" not in repr(Slack(secret))


def test_email_reaches_an_smtp_server():
    with smtp_server() as box:
        Email("127.0.0.1", box.port, "dart@example.com", ["a@example.com", "b@example.com"]).send(
            failure_message("run-9", "dart-pipeline", "database down")
        )
    [mail] = box.messages
    assert mail["Subject"] == "ercot-dart: run run-9 FAILED"
    assert mail["To"] == "a@example.com, b@example.com"
    assert "database down" in mail.get_payload()


def test_no_smtp_server_is_a_transient_delivery_error():
    with pytest.raises(DeliveryError, match="unavailable"):
        Email("127.0.0.1", 9, "dart@example.com", ["a@example.com"]).send(Message("t"))


@pytest.mark.parametrize(
    "error",
    [
        FileExistsError(17, "File exists"),  # a file where a folder should be
        NotADirectoryError(20, "Not a directory"),
        PermissionError(13, "Permission denied"),
        FileNotFoundError(2, "No such file or directory"),
    ],
)
def test_a_path_in_the_way_is_not_retried(error):
    assert not is_transient(error)
    assert is_transient(ConnectionResetError(104, "Connection reset by peer"))


def test_a_predictions_database_whose_folder_cannot_be_made_is_named(tmp_path):
    from ercot_dart.db.engine import DatabaseError

    (tmp_path / "afile").write_text("")
    url = f"sqlite:///{tmp_path / 'afile' / 'p.sqlite'}"
    with pytest.raises(DatabaseError, match="cannot make the folder") as err:
        make_engine(url)
    assert url in str(err.value) and not is_transient(err.value)
