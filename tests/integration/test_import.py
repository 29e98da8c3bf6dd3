"""``ercot-dart import``: recognition, formats, idempotence, rejection of bad files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ercot_dart.cli import main
from ercot_dart.importer import import_paths
from tests.helpers import table_counts, table_dump

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mis"

DAM_HEADER = "DeliveryDate,HourEnding,SettlementPoint,SettlementPointPrice,DSTFlag\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_every_mis_sample_is_recognised_and_loaded(db_engine):
    results = import_paths(db_engine, [FIXTURES])
    by_name = {r.path.name: r for r in results}
    assert all(r.ok for r in results), [r.error for r in results]
    assert by_name["np4-190-cd.csv"].table == "dam_spp"
    assert by_name["np6-905-cd.csv"].table == "rtm_spp"
    assert by_name["np6-788-cd.csv"].table == "sced_lmp"
    assert by_name["np6-322-cd.csv"].table == "sced_system_lambda"
    assert by_name["np3-565-cd.csv"].table == "load_forecast"
    assert by_name["np6-345-cd.csv"].table == "actual_load"
    assert by_name["np4-732-cd.csv"].table == "wind_power"
    assert by_name["np4-737-cd.csv"].table == "solar_power"
    assert by_name["np4-188-cd.csv"].table == "dam_as_prices"
    assert "not one of the nine" in by_name["np6-331-cd.csv"].skipped
    counts = table_counts(db_engine)
    assert counts == {
        "dam_spp": 40,
        "rtm_spp": 28,
        "sced_lmp": 39,
        "sced_system_lambda": 1,
        "load_forecast": 16,
        "actual_load": 2,
        "wind_power": 2,
        "solar_power": 2,
        "dam_as_prices": 10,
    }


def test_second_import_adds_nothing(db_engine):
    import_paths(db_engine, [FIXTURES])
    before = table_dump(db_engine)
    import_paths(db_engine, [FIXTURES])
    assert table_dump(db_engine) == before


def test_values_are_stored_in_canonical_form(sqlite_engine):
    import_paths(sqlite_engine, [FIXTURES / "np3-565-cd.csv", FIXTURES / "np4-190-cd.csv"])
    with sqlite_engine.connect() as conn:
        he = conn.execute(sa.text('SELECT DISTINCT "HourEnding" FROM load_forecast')).scalars()
        price = conn.execute(
            sa.text(
                'SELECT "SettlementPointPrice" FROM dam_spp '
                "WHERE \"SettlementPoint\" = 'HB_HOUSTON' AND \"HourEnding\" = '01:00'"
            )
        ).scalar_one()
    assert set(he) == {"01:00", "02:00"}  # the file says 1:00 and 2:00
    assert price == pytest.approx(27.36)  # the file says ' 27.36'


def test_a_bad_value_rejects_the_file_naming_file_line_and_column(db_engine, tmp_path):
    good = write(tmp_path / "good.csv", DAM_HEADER + "09/29/2026,01:00,HB_NORTH, 27.0,N\n")
    bad = write(
        tmp_path / "bad.csv",
        DAM_HEADER + "09/29/2026,01:00,HB_HOUSTON, 27.36,N\n09/29/2026,02:00,HB_HOUSTON, x1,N\n",
    )
    results = {r.path.name: r for r in import_paths(db_engine, [bad, good])}
    error = results["bad.csv"].error
    assert "bad.csv" in error and "line 3" in error and "SettlementPointPrice" in error
    assert "x1" in error
    assert results["good.csv"].ok
    with db_engine.connect() as conn:
        points = conn.execute(sa.text('SELECT "SettlementPoint" FROM dam_spp')).scalars().all()
    assert points == ["HB_NORTH"]  # nothing of bad.csv, not even its good first row


def test_a_failure_in_a_later_chunk_keeps_nothing_of_the_earlier_chunks(db_engine, tmp_path):
    rows = "".join(f"09/29/2026,{h:02d}:00,HB_HOUSTON, {h}.5,N\n" for h in range(1, 24))
    bad = write(tmp_path / "late.csv", DAM_HEADER + rows + "09/29/2026,24:00,HB_HOUSTON,,N\n")
    before = table_dump(db_engine)
    [result] = import_paths(db_engine, [bad], chunk_rows=5)
    assert "line 25" in result.error and "SettlementPointPrice" in result.error
    assert table_dump(db_engine) == before


def test_a_missing_column_is_named(sqlite_engine, tmp_path):
    path = write(
        tmp_path / "np6-905.csv",
        "DeliveryDate,DeliveryHour,DeliveryInterval,SettlementPointName,SettlementPointPrice,DSTFlag\n"
        "09/29/2026,12,1,HB_HOUSTON,29,N\n",
    )
    [result] = import_paths(sqlite_engine, [path])
    assert "SettlementPointType" in result.error and "np6-905.csv" in result.error


def test_an_unknown_header_is_rejected_naming_it(sqlite_engine, tmp_path):
    path = write(tmp_path / "other.csv", "a,b,c\n1,2,3\n")
    [result] = import_paths(sqlite_engine, [path])
    assert "other.csv" in result.error and "line 1" in result.error and "a, b, c" in result.error


def test_empty_and_unreadable_files_are_rejected_cleanly(sqlite_engine, tmp_path):
    empty = write(tmp_path / "empty.csv", "")
    notzip = write(tmp_path / "broken.zip", "not a zip")
    notparquet = write(tmp_path / "broken.parquet", "not parquet")
    results = import_paths(sqlite_engine, [empty, notzip, notparquet])
    assert [bool(r.error) for r in results] == [True, True, True]
    assert "empty" in results[0].error
    assert "zip" in results[1].error
    assert "parquet" in results[2].error


def test_zip_files_import_and_carry_the_mis_posting_time(sqlite_engine, tmp_path):
    name = "cdr.00012311.0000000000000000.20260928.095512.SEVENDAYLOADFORECASTBYMODELANDWEATHERZONE.zip"
    archive = tmp_path / name
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIXTURES / "np3-565-cd.csv", "np3-565-cd.csv")
    [result] = import_paths(sqlite_engine, [archive])
    assert result.ok and result.rows == 16
    with sqlite_engine.connect() as conn:
        posted = conn.execute(
            sa.text('SELECT DISTINCT "PostedDatetime" FROM load_forecast')
        ).scalars()
    assert [str(p)[:19] for p in posted] == ["2026-09-28 09:55:12"]


def test_a_zip_of_several_reports_imports_each_member_as_its_own_report(sqlite_engine, tmp_path):
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("np4-190-cd.csv", "np6-905-cd.csv", "np6-331-cd.csv"):
            zf.write(FIXTURES / name, name)
    [result] = import_paths(sqlite_engine, [archive])
    assert result.ok, result.error
    assert result.table == "dam_spp, rtm_spp" and result.rows == 40 + 28
    assert any("np6-331-cd.csv: skipped" in w for w in result.warnings)
    counts = table_counts(sqlite_engine)
    assert counts["dam_spp"] == 40 and counts["rtm_spp"] == 28


def test_a_zip_with_one_bad_member_is_rejected_whole_naming_the_member(sqlite_engine, tmp_path):
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIXTURES / "np4-190-cd.csv", "np4-190-cd.csv")
        zf.writestr("bad.csv", DAM_HEADER + "2024-01-01,01:00,HB_WEST,not-a-price,N\n")
    [result] = import_paths(sqlite_engine, [archive])
    assert "mixed.zip!bad.csv" in result.error and "not-a-price" in result.error
    assert table_counts(sqlite_engine)["dam_spp"] == 0


def test_forecast_without_posting_time_is_taken_as_known_after_its_last_hour(sqlite_engine):
    [result] = import_paths(sqlite_engine, [FIXTURES / "np4-732-cd.csv"])
    assert any("no posting time" in w for w in result.warnings)
    with sqlite_engine.connect() as conn:
        posted = conn.execute(sa.text('SELECT DISTINCT "PostedDatetime" FROM wind_power')).scalars()
    assert [str(p)[:19] for p in posted] == ["2026-09-27 12:00:00"]  # end of HE12


def test_public_api_camel_case_and_boolean_flags(sqlite_engine, tmp_path):
    path = write(
        tmp_path / "api_dam.csv",
        "deliveryDate,hourEnding,settlementPoint,settlementPointPrice,DSTFlag\n"
        "2024-11-03,02:00,HB_WEST,11.6,False\n2024-11-03,02:00,HB_WEST,14.11,True\n",
    )
    [result] = import_paths(sqlite_engine, [path])
    assert result.ok
    with sqlite_engine.connect() as conn:
        flags = conn.execute(sa.text('SELECT "DSTFlag" FROM dam_spp ORDER BY 1')).scalars().all()
    assert flags == ["N", "Y"]


def test_broken_dst_rows_are_repaired_with_a_warning(sqlite_engine, tmp_path):
    path = write(
        tmp_path / "dst.csv",
        DAM_HEADER
        + "11/03/2024,02:00,HB_PAN, 10,N\n11/03/2024,25,HB_PAN, 12,N\n"  # HE25 = the repeated hour
        + "11/04/2024,03:00,HB_PAN, 20,N\n11/04/2024,03:00,HB_PAN, 21,Y\n",  # duplicated 03:00 Y
    )
    [result] = import_paths(sqlite_engine, [path])
    assert result.ok
    assert any("hour ending 25" in w for w in result.warnings)
    assert any("not repeated" in w for w in result.warnings)
    with sqlite_engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                'SELECT "DeliveryDate", "HourEnding", "DSTFlag", "SettlementPointPrice" FROM dam_spp'
            )
        ).all()
    assert sorted((str(d), h, f, p) for d, h, f, p in rows) == [
        ("2024-11-03", "02:00", "N", 10.0),
        ("2024-11-03", "02:00", "Y", 12.0),
        ("2024-11-04", "03:00", "N", 21.0),  # the later row wins
    ]


def test_large_files_are_read_in_bounded_chunks(sqlite_engine, tmp_path):
    lines = "".join(
        f"09/29/2026 {h:02d}:{m:02d}:13,N,RN_{p},{p + m / 100:10.2f}\n"
        for h in range(24)
        for m in range(0, 60, 5)
        for p in range(20)
    )
    path = write(
        tmp_path / "np6-788.csv", "SCEDTimestamp,RepeatedHourFlag,SettlementPoint,LMP\n" + lines
    )
    seen = []
    from ercot_dart.importer.sources import iter_chunks

    seen = [len(c.frame) for c in iter_chunks(path, rows=1000)]
    assert max(seen) < 5000 and sum(seen) == 24 * 12 * 20
    [result] = import_paths(sqlite_engine, [path], chunk_rows=1000)
    assert result.ok and table_counts(sqlite_engine)["sced_lmp"] == 24 * 12 * 20


def test_cli_prints_a_summary_and_fails_on_a_bad_file(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    runner = CliRunner()
    ok = runner.invoke(main, ["import", str(FIXTURES / "np4-190-cd.csv"), "--db", db])
    assert ok.exit_code == 0, ok.output
    assert "imported 1 file(s), 40 rows" in ok.output
    bad = write(tmp_path / "bad.csv", DAM_HEADER + "13/45/2026,01:00,HB_HOUSTON, 1,N\n")
    failed = runner.invoke(main, ["import", str(bad), "--db", db])
    assert failed.exit_code == 1
    assert "bad.csv, line 2, column DeliveryDate: '13/45/2026'" in failed.output
    assert "Traceback" not in failed.output


def test_a_row_with_too_many_columns_is_named_by_line(sqlite_engine, tmp_path):
    path = write(
        tmp_path / "shifted.csv",
        DAM_HEADER + "09/29/2026,01:00,HB_HOUSTON, 27.36,N\n09/29/2026,02:00,HB_HOUSTON,, 27.1,N\n",
    )
    [result] = import_paths(sqlite_engine, [path])
    assert "shifted.csv: line 3: expected 5 columns, got 6" in result.error
    assert table_counts(sqlite_engine)["dam_spp"] == 0


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_zip_member_damaged_in_its_bytes_is_rejected_naming_it(sqlite_engine, tmp_path, method):
    archive = tmp_path / "damaged.zip"
    with zipfile.ZipFile(archive, "w", compression=method) as zf:
        zf.write(FIXTURES / "np4-190-cd.csv", "np4-190-cd.csv")
    data = bytearray(archive.read_bytes())
    data[len(data) // 3] ^= 0xFF  # inside the member's data, before the central directory
    archive.write_bytes(bytes(data))
    [result] = import_paths(sqlite_engine, [archive])
    assert "damaged.zip" in result.error and "np4-190-cd.csv" in result.error
    assert table_counts(sqlite_engine)["dam_spp"] == 0
