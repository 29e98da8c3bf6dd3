"""A stage and a feature store hold one database's data: a build from another is refused
before it writes, naming both."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from ercot_dart.cli import main
from ercot_dart.features.source import SourceMismatch, check, record, source_name
from ercot_dart.features.store import months
from ercot_dart.settings import get_settings


def test_the_same_database_named_two_ways_or_moved_with_its_folders_is_one_source(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    stage = tmp_path / "data" / "stage"
    assert source_name("sqlite:///data/x.sqlite", stage) == "sqlite:///x.sqlite"
    assert source_name(f"sqlite:///{tmp_path}/data/x.sqlite", stage) == "sqlite:///x.sqlite"
    assert source_name("postgresql://u:secret@h/db", stage) == "postgresql+psycopg://u:***@h/db"
    record("sqlite:///data/x.sqlite", stage)
    (tmp_path / "data").rename(tmp_path / "moved")
    check(f"sqlite:///{tmp_path}/moved/x.sqlite", tmp_path / "moved" / "stage")  # still its own
    with pytest.raises(SourceMismatch, match="holds data of sqlite:///x.sqlite .*, not of"):
        check("sqlite:///moved/y.sqlite", tmp_path / "moved" / "stage")


def test_features_from_another_database_are_refused_and_change_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ERCOT_DART_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    run = CliRunner().invoke
    for name, seed in (("a", "1"), ("b", "2")):
        synth = ["synth", "--start", "2024-03-01", "--end", "2024-03-20", "--points", "2"]
        assert (
            run(main, [*synth, "--seed", seed, "--db", f"sqlite:///{name}.sqlite"]).exit_code == 0
        )
    assert run(main, ["features", "--db", "sqlite:///a.sqlite"]).exit_code == 0
    store = tmp_path / "data" / "features"
    before = {p: p.stat().st_mtime_ns for p in store.rglob("*.parquet")}
    refused = run(main, ["features", "--db", "sqlite:///b.sqlite"])
    assert refused.exit_code == 1
    assert "holds data of" in refused.output and "b.sqlite" in refused.output
    assert {p: p.stat().st_mtime_ns for p in store.rglob("*.parquet")} == before
    assert months(store) == ["2024-03"]
    get_settings.cache_clear()


def test_a_database_that_cannot_be_read_claims_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ERCOT_DART_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    run = CliRunner().invoke
    (tmp_path / "empty.sqlite").touch()
    for url in ("postgresql://nobody@127.0.0.1:1/x", "sqlite:///empty.sqlite"):
        assert run(main, ["features", "--db", url]).exit_code == 1
    assert not list((tmp_path / "data").rglob("_source.json"))
    synth = ["synth", "--start", "2024-03-01", "--end", "2024-03-20", "--points", "2"]
    assert run(main, [*synth, "--db", "sqlite:///a.sqlite"]).exit_code == 0
    assert run(main, ["features", "--db", "sqlite:///a.sqlite"]).exit_code == 0
    get_settings.cache_clear()
