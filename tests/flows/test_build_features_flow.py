"""The ``build_features`` flow on a real Prefect API: same store on the default task runner
and on a local Dask cluster; the same as the in-process pipeline."""

from __future__ import annotations

from datetime import date

import pandas as pd

from ercot_dart.features.asof import AsOfRules
from ercot_dart.features.pipeline import update_features
from ercot_dart.features.store import read_features
from flows.build_features import with_task_runner

START, END = date(2024, 10, 20), date(2024, 11, 8)  # the fall-back day inside


def run(kind: str, url: str, root) -> pd.DataFrame:
    flow = with_task_runner(kind, workers=2)
    result = flow(
        start=START,
        end=END,
        db_url=url,
        stage_dir=str(root / "stage"),
        store=str(root / "features"),
    )
    assert result["feature_days"] == (END - START).days + 1
    return read_features(root / "features")


def test_default_and_dask_task_runners_build_the_same_store(prefect_api, real_engine, tmp_path):
    url = str(real_engine.url)
    threads = run("threads", url, tmp_path / "threads")
    dask = run("dask", url, tmp_path / "dask")
    pd.testing.assert_frame_equal(threads, dask)
    plain = update_features(
        url,
        tmp_path / "p" / "stage",
        tmp_path / "p" / "features",
        AsOfRules(),
        start=START,
        end=END,
    )
    assert plain.feature_rows == len(threads)
    pd.testing.assert_frame_equal(read_features(tmp_path / "p" / "features"), threads)
