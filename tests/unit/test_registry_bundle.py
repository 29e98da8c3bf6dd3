"""Bundle manifests: every other file pinned by sha256, and verification that names the culprit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ercot_dart.registry.bundle import BundleError, sha256_file, verify_bundle, write_manifest
from tests.bundles import make_bundle


def test_manifest_pins_every_other_file(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path, "b1")
    manifest = json.loads((folder / "manifest.json").read_text())
    names = {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert set(manifest["files"]) == names
    for name, digest in manifest["files"].items():
        assert digest == hashlib.sha256((folder / name).read_bytes()).hexdigest()
    assert verify_bundle(folder) == manifest


def test_write_manifest_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path, "b1")
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_sha256_file_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"\x00" * (3 << 20) + b"tail")
    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_changed_byte_is_named(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path, "b1")
    data = bytearray((folder / "xgboost.onnx").read_bytes())
    data[100] ^= 1
    (folder / "xgboost.onnx").write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"xgboost\.onnx has sha256 .*altered"):
        verify_bundle(folder)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path, "b1")
    (folder / "lstm.onnx").unlink()
    with pytest.raises(BundleError, match=r"lstm\.onnx is listed in the manifest but missing"):
        verify_bundle(folder)


def test_an_extra_unlisted_model_is_named(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path, "b1")
    (folder / "catboost.onnx").write_bytes(b"not in the manifest")
    with pytest.raises(BundleError, match=r"catboost\.onnx not listed in the manifest"):
        verify_bundle(folder)


def test_a_folder_without_manifest_is_refused(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path, "b1")
    (folder / "manifest.json").unlink()
    with pytest.raises(BundleError, match="manifest.json is missing"):
        verify_bundle(folder)


def test_write_manifest_requires_the_contract_fields(tmp_path: Path) -> None:
    (tmp_path / "lightgbm.onnx").write_bytes(b"m")
    with pytest.raises(BundleError, match="manifest lacks code_version, .*libraries"):
        write_manifest(tmp_path, {"bundle_id": "b1", "created_at": "2024-11-01T00:00:00Z"})


def test_created_at_must_be_utc(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path, "b1")
    manifest = json.loads((folder / "manifest.json").read_text())
    with pytest.raises(BundleError, match="created_at '2024-11-01T00:00:00-06:00' is not"):
        write_manifest(folder, {**manifest, "created_at": "2024-11-01T00:00:00-06:00"})


def test_a_model_file_must_be_in_the_bundle(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path, "b1")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["models"]["catboost"] = {"file": "catboost.onnx"}
    with pytest.raises(BundleError, match="model 'catboost' names file 'catboost.onnx'"):
        write_manifest(folder, manifest)


@pytest.mark.parametrize("bundle_id", ["../escape", "a/b", "", ".hidden"])
def test_bundle_ids_are_single_safe_names(tmp_path: Path, bundle_id: str) -> None:
    folder = make_bundle(tmp_path, "b1")
    manifest = json.loads((folder / "manifest.json").read_text())
    with pytest.raises(BundleError, match="bundle_id .* is not a safe name"):
        write_manifest(folder, {**manifest, "bundle_id": bundle_id})
