"""``ercot-dart train`` end to end on a small store: a registered, verified bundle and its
one-line summary; expected failures as one message and exit status 1, never a traceback, and
a failed parity check leaves no half-built bundle folder behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ercot_dart.cli import main
from ercot_dart.models.lgbm import LightGBMModel
from ercot_dart.registry import LocalRegistry, sha256_file, verify_bundle
from ercot_dart.settings import get_settings
from tests.helpers import without_progress
from tests.models.tamper import shift_first_tree

SPLIT = ["--train-end", "2024-06-30", "--valid-end", "2024-07-31", "--gap-days", "7", "--quick"]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings rooted in ``tmp_path``: bundles under ``tmp_path/bundles``, the default registry
    in ``tmp_path/registry``, no Azure connection string."""
    monkeypatch.setenv("ERCOT_DART_DATA_DIR", str(tmp_path))
    for name in (
        "ERCOT_DART_REGISTRY_URL",
        "ERCOT_DART_REGISTRY_DIR",
        "ERCOT_DART_AZURE_STORAGE_CONNECTION_STRING",
        "ERCOT_DART_TRAIN_REFIT",
    ):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def train(*args: str) -> Result:
    return CliRunner().invoke(main, ["train", *args])


def assert_one_error(result: Result, message: str) -> None:
    """Exit status 1 with ``error: ...`` as the only line besides progress, and no traceback."""
    assert isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1
    assert result.stdout == ""
    said = without_progress(result.stderr)
    assert said.count("\n") == 1 and said.startswith("error: "), result.stderr
    assert message in said


def test_train_registers_a_verified_bundle_and_prints_one_line(
    small_store: Path, data_dir: Path
) -> None:
    result = train("--store", str(small_store), "--refit", *SPLIT)
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    assert (
        line.startswith("bundle dart-") and "test MAE" in line and "7-day same-hour median" in line
    )
    assert "promoted to champion" in line
    assert line.endswith("the deployed models were refitted on every day up to 2024-08-31")

    registry = LocalRegistry(data_dir / "registry")
    bundle_id = line.split()[1].rstrip(":")
    assert registry.champion() == bundle_id
    fetched = registry.fetch(bundle_id, data_dir / "cache")
    manifest = verify_bundle(fetched)
    assert sorted(p.name for p in fetched.glob("*.onnx")) == [
        "holdout-lightgbm.onnx",  # the held-out fits: the metrics are theirs
        "holdout-lstm.onnx",
        "holdout-xgboost.onnx",
        "lightgbm.onnx",  # the deployed refits
        "lstm.onnx",
        "xgboost.onnx",
    ]
    assert manifest["training_window"]["fitted_end"] == "2024-08-31"
    for name, digest in manifest["files"].items():
        assert sha256_file(fetched / name) == digest
    assert json.loads((fetched / "manifest.json").read_text())["bundle_id"] == bundle_id
    assert not list((data_dir / "bundles").glob(".building-*"))


@pytest.mark.parametrize(
    ("args", "env", "refitted"),
    [([], None, False), ([], "true", True), (["--no-refit"], "true", False)],
)
def test_without_refit_the_held_out_fits_are_deployed(
    small_store: Path,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: str | None,
    refitted: bool,
) -> None:
    """The default is ERCOT_DART_TRAIN_REFIT's (false), which the option overrides."""
    if env is not None:
        monkeypatch.setenv("ERCOT_DART_TRAIN_REFIT", env)
    get_settings.cache_clear()
    result = train("--store", str(small_store), "--models", "lightgbm", *args, *SPLIT)
    assert result.exit_code == 0, result.output
    assert ("refitted" in result.stdout) is refitted
    registry = LocalRegistry(data_dir / "registry")
    manifest = registry.manifest(registry.champion())
    window = manifest["training_window"]
    if refitted:
        assert set(manifest["holdout_models"]) == {"lightgbm"}
        assert window["fitted_end"] == window["test_end"]
    else:
        assert manifest["holdout_models"] is None and manifest["refit"] is None
        assert window["fitted_end"] == window["valid_end"]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            ["train", "--registry", "azure://models-container/models"],
            "azure://models-container/models needs ERCOT_DART_AZURE_STORAGE_CONNECTION_STRING",
        ),
        (["train", "--registry", "ftp://example.org/x"], "unsupported registry URL"),
        (["train", "--store", "{missing}"], "no feature store at"),
        (
            ["backtest", "--store", "{missing}", "--start", "2024-08-01", "--end", "2024-08-07"],
            "no feature store at",
        ),
        (
            ["models", "list", "--registry", "azure://models-container"],
            "needs ERCOT_DART_AZURE_STORAGE_CONNECTION_STRING",
        ),
    ],
)
def test_expected_failures_are_one_message_and_exit_1(
    command: list[str], message: str, data_dir: Path
) -> None:
    args = [a.replace("{missing}", str(data_dir / "no-store")) for a in command]
    if args[0] == "backtest":
        args += ["--out", str(data_dir / "bt.parquet")]
    assert_one_error(CliRunner().invoke(main, args), message)


def test_a_parity_failure_exits_1_and_leaves_no_building_folder(
    small_store: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = LightGBMModel.export_onnx

    def faulty_export(self: LightGBMModel, path: Path, columns: int) -> None:
        """The real export, then moved by $50: an export that does not reproduce its model."""
        export(self, path, columns)
        shift_first_tree(path, path)

    monkeypatch.setattr(LightGBMModel, "export_onnx", faulty_export)
    result = train("--store", str(small_store), "--models", "lightgbm", *SPLIT)
    assert_one_error(result, "differs from the native model")
    assert list((data_dir / "bundles").iterdir()) == []  # no .building-* folder, no bundle
    assert LocalRegistry(data_dir / "registry").list() == []
