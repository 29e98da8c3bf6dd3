"""Which days an extract run checks and rewrites, and how its manifest is kept (pure logic)."""

from __future__ import annotations

import gc
from datetime import date, datetime, timedelta

import pyarrow as pa
import pytest

from ercot_dart.ercot.vocab import SourceTable
from ercot_dart.stage import MissingSourcesError
from ercot_dart.stage.convert import rows_to_table, split_days
from ercot_dart.stage.fetch import gc_paused
from ercot_dart.stage.manifest import Manifest, load_manifest, save_manifest
from ercot_dart.stage.plan import make_plan, window
from ercot_dart.stage.sources import check_required, spec

D = [date(2024, 1, 1) + timedelta(days=i) for i in range(12)]


def test_window_starts_lookback_days_before_the_watermark():
    assert window(D[9], None, None, 3) == (D[6], None)
    assert window(None, None, D[4], 3) == (None, D[4])
    assert window(D[9], D[1], D[5], 3) == (D[1], D[5])  # an explicit start re-checks older days


def test_plan_extracts_new_changed_and_vanished_files_only():
    staged = {D[0]: (10, 5), D[1]: (10, 5), D[2]: (10, 5), D[3]: (10, 5)}
    current = {D[0]: (10, 5), D[1]: (10, 6), D[2]: (10, 5), D[4]: (3, 1)}
    plan = make_plan(staged, current, on_disk={D[0], D[1], D[3]}, lo=D[0], hi=None, chunk_days=7)
    assert plan.extract == [D[1], D[2], D[4]]  # changed, file gone, new
    assert plan.remove == [D[3]]  # staged, in the window, no longer in the database
    assert plan.chunks == [(D[1], D[5])]  # D[3] has no rows: one query spans it


def test_chunks_split_runs_of_days_every_chunk_days():
    current = {d: (1, 1) for d in D[:10]}
    plan = make_plan({}, current, on_disk=set(), lo=None, hi=None, chunk_days=4)
    assert plan.chunks == [(D[0], D[4]), (D[4], D[8]), (D[8], D[10])]


def test_unchanged_days_make_an_empty_plan():
    current = {d: (1, 1) for d in D[:3]}
    plan = make_plan(current, current, on_disk=set(D[:3]), lo=None, hi=None, chunk_days=7)
    assert plan.extract == [] and plan.chunks == [] and plan.remove == []


def test_manifest_round_trips_and_a_new_fingerprint_rule_starts_afresh(tmp_path):
    s = spec(SourceTable.DAM_SPP)
    manifest = Manifest(s.name.value, s.fingerprint_rule, {D[1]: (24, 100), D[0]: (23, -7)})
    save_manifest(tmp_path, manifest)
    loaded = load_manifest(tmp_path, s)
    assert loaded.days == manifest.days and loaded.watermark == D[1]
    path = tmp_path / "dam_spp" / "_manifest.json"
    path.write_text(path.read_text().replace(s.fingerprint_rule, "count(*) only"))
    assert load_manifest(tmp_path, s).days == {}
    path.write_text("{not json")
    assert load_manifest(tmp_path, s).days == {}


def test_sqlite_text_and_driver_objects_convert_to_the_same_arrow_table():
    s = spec(SourceTable.SCED_LMP)
    text = rows_to_table([("2024-11-03 01:59:59.000000", "Y", "HB_NORTH", 21.5)], s)
    objs = rows_to_table([(datetime(2024, 11, 3, 1, 59, 59), "Y", "HB_NORTH", 21.5)], s)
    assert text.equals(objs) and text.schema == s.schema


def test_split_days_cuts_a_sorted_batch_at_each_local_midnight():
    s = spec(SourceTable.SCED_LMP)
    ts = [
        "2024-03-09 23:59:58",
        "2024-03-10 00:00:03",
        "2024-03-10 23:59:00",
        "2024-03-11 00:04:00",
    ]
    batch = rows_to_table([(t, "N", "HB_NORTH", 1.0) for t in ts], s)
    parts = split_days(batch, s)
    assert [(d, p.num_rows) for d, p in parts] == [
        (date(2024, 3, 9), 1),
        (date(2024, 3, 10), 2),
        (date(2024, 3, 11), 1),
    ]
    assert split_days(s.schema.empty_table(), s) == []
    assert isinstance(parts[0][1], pa.Table)


def test_required_sources_are_dam_and_one_real_time_table():
    everything = list(SourceTable)
    check_required([SourceTable.RTM_SPP], everything)  # sced_lmp stands in
    check_required([SourceTable.DAM_SPP], [SourceTable.LOAD_FORECAST])  # not asked for
    with pytest.raises(MissingSourcesError, match="dam_spp"):
        check_required([SourceTable.DAM_SPP], everything)
    with pytest.raises(MissingSourcesError, match="rtm_spp or sced_lmp"):
        check_required([SourceTable.RTM_SPP, SourceTable.SCED_LMP], everything)


def test_gc_pauses_are_nested_and_restore_the_collector():
    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
