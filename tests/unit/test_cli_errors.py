"""Bad settings and unreachable databases end every command in one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port, without_progress


def run(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).with_name("ercot-dart")), *args],  # as users run it
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("variable", "value", "args", "says"),
    [
        ("ERCOT_DART_SYNTH_POINTS", "abc", ["synth", "--start", "2024-01-01", "--end", "2024-01-02"], "valid integer"),
        ("ERCOT_DART_SERVE_MAX_ROWS", "0", ["serve"], "greater than 0"),
        ("ERCOT_DART_PROMOTION_METRIC", "foo", ["models", "list"], "not one of mae, rmse"),
        ("ERCOT_DART_RETRY_DELAY_SECONDS", "notjson", ["run"], "not a JSON value"),
        ("ERCOT_DART_ISSUE_LOCAL_TIME", "25:99", ["features"], "pattern"),
    ],
)  # fmt: skip
def test_a_bad_setting_is_named_with_its_value(tmp_path, variable, value, args, says):
    out = run(*args, env={variable: value}, cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr.startswith(f"error: invalid settings: {variable}={value!r}: ")
    assert says in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.splitlines()) == 1


def test_every_bad_setting_is_named():
    out = run("models", "list", env={"ERCOT_DART_SMTP_PORT": "x", "ERCOT_DART_TASK_RETRIES": "-1"})
    assert "ERCOT_DART_SMTP_PORT='x'" in out.stderr and "ERCOT_DART_TASK_RETRIES='-1'" in out.stderr


@pytest.mark.parametrize(
    "args", [["features"], ["synth", "--start", "2024-01-01", "--end", "2024-01-01"]]
)
def test_an_unreachable_database_is_one_line(tmp_path, args):
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/nothing"
    out = run(*args, "--db", url, cwd=tmp_path)
    assert out.returncode == 1
    said = without_progress(out.stderr)  # the steps it reached, then the error
    assert said.startswith("error: database: ") and "Connection refused" in said
    assert len(said.splitlines()) == 1 and "Traceback" not in out.stderr


def test_every_command_takes_db(tmp_path):
    for args in (["models", "list"], ["serve"]):
        out = run(*args, "--help")
        assert "--db URL" in out.stdout, args


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--backfill-start", "2024-01-02"], "--backfill-start and --backfill-end go together"),
        (["--backfill-start", "2024-01-05", "--backfill-end", "2024-01-02"], "--backfill-end"),
        (["--delivery-date", "2024-01-02", "--backfill-start", "2024-01-01",
          "--backfill-end", "2024-01-03"], "not both"),
    ],
)  # fmt: skip
def test_date_options_are_checked_by_their_names(tmp_path, args, says):
    for command in ("predict", "run"):
        out = run(command, *args, cwd=tmp_path)
        assert out.returncode == 2 and says in out.stderr, out.stderr


def test_a_malformed_db_url_is_a_usage_error_named_where_it_came_from(tmp_path):
    out = run("run", "--db", "notaurl", cwd=tmp_path)  # before any Prefect server starts
    assert out.returncode == 2 and "'notaurl'" in out.stderr and "--db" in out.stderr
    out = run("features", env={"ERCOT_DART_DB_URL": "garbage"}, cwd=tmp_path)
    assert out.returncode == 2 and "ERCOT_DART_DB_URL 'garbage'" in out.stderr


@pytest.mark.parametrize(
    "command", [["predict"], ["backtest", "--start", "2024-01-01", "--end", "2024-01-10"]]
)
def test_an_out_file_that_cannot_be_written_is_said_before_the_work(tmp_path, command):
    (tmp_path / "afile").write_text("")
    out = run(*command, "--out", str(tmp_path / "afile" / "x.parquet"), cwd=tmp_path)
    assert out.returncode == 2 and "a file stands where its folder should be" in out.stderr
