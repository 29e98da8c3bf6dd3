"""A bundle: one flat folder of model files and the ``manifest.json`` that pins each by sha256.

The manifest's ``files`` maps every other file of the folder to its sha256, so a bundle that
verifies is byte for byte the one that was trained; the scoring service refuses any other.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ercot_dart.atomic import replacing

MANIFEST = "manifest.json"
REQUIRED_KEYS = (
    "bundle_id",
    "created_at",
    "code_version",
    "training_window",
    "features",
    "preprocessing",
    "models",
    "metrics",
    "parity",
    "libraries",
)
# Bundle ids and file names become blob names and folder names: keep them to one safe segment.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_CHUNK = 1 << 20


class BundleError(ValueError):
    """A bundle is malformed, incomplete, altered, unknown or in conflict with a published one."""


def sha256_file(path: Path) -> str:
    """The sha256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check_name(name: str, what: str) -> str:
    """``name`` when it is a safe single path segment; BundleError otherwise."""
    if not isinstance(name, str) or not _SAFE_NAME.match(name):
        raise BundleError(
            f"{what} {name!r} is not a safe name (letters, digits, '.', '_', '-'; "
            "starting with a letter or digit)"
        )
    return name


def dumps_manifest(manifest: dict[str, Any]) -> bytes:
    """The manifest as written to ``manifest.json`` (UTF-8 JSON, indented)."""
    return (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def loads_manifest(data: bytes, where: str) -> dict[str, Any]:
    """Parse and check a manifest read from ``where`` (named in errors)."""
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{where}: {MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise BundleError(f"{where}: {MANIFEST} is not a JSON object")
    check_manifest(manifest, where)
    return manifest


def check_manifest(manifest: dict[str, Any], where: str) -> None:
    """Fail with BundleError naming the key when a required field is absent or malformed."""
    missing = [k for k in REQUIRED_KEYS if k not in manifest]
    if missing:
        raise BundleError(f"{where}: manifest lacks {', '.join(missing)}")
    check_name(manifest["bundle_id"], f"{where}: bundle_id")
    created = manifest["created_at"]
    try:
        offset = datetime.fromisoformat(str(created)).utcoffset()
    except ValueError:
        offset = None
    if offset != timedelta(0):
        raise BundleError(f"{where}: created_at {created!r} is not an ISO 8601 UTC timestamp")
    if not isinstance(manifest["models"], dict) or not manifest["models"]:
        raise BundleError(f"{where}: manifest 'models' must name at least one model")
    files = manifest.get("files")
    if not isinstance(files, dict):
        raise BundleError(f"{where}: manifest has no 'files' table")
    for name in files:
        check_name(name, f"{where}: file")
    for name, spec in manifest["models"].items():
        file = spec.get("file") if isinstance(spec, dict) else None
        if file not in files:
            raise BundleError(f"{where}: model {name!r} names file {file!r}, not in 'files'")


def _folder_files(bundle_dir: Path) -> dict[str, Path]:
    """Every file of the bundle folder but the manifest; a bundle is flat."""
    out = {}
    for path in sorted(bundle_dir.iterdir()):
        if path.name == MANIFEST:
            continue
        if not path.is_file():
            raise BundleError(f"bundle {bundle_dir}: {path.name} is not a regular file")
        out[check_name(path.name, f"bundle {bundle_dir}: file")] = path
    return out


def write_manifest(bundle_dir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """Fill ``files`` with the sha256 of every other file and write ``manifest.json`` atomically.

    Args:
        bundle_dir: the bundle folder, holding the model files and nothing else.
        manifest: every field but ``files`` (left unchanged; a copy is written).

    Returns:
        The manifest as written.
    """
    bundle_dir = Path(bundle_dir)
    files = {name: sha256_file(path) for name, path in _folder_files(bundle_dir).items()}
    full = {**{k: v for k, v in manifest.items() if k != "files"}, "files": files}
    check_manifest(full, f"bundle {bundle_dir}")
    with replacing(bundle_dir / MANIFEST) as tmp:
        tmp.write_bytes(dumps_manifest(full))
    return full


def verify_bundle(bundle_dir: Path, label: str | None = None) -> dict[str, Any]:
    """Check that the folder is exactly the bundle its manifest describes.

    Args:
        bundle_dir: the bundle folder.
        label: how errors name the bundle (default: the folder path).

    Returns:
        The manifest.

    Raises:
        BundleError: naming the file when the manifest is absent or malformed, a listed file is
            missing or its sha256 differs, or a file is not listed.
    """
    bundle_dir = Path(bundle_dir)
    where = label or f"bundle {bundle_dir}"
    path = bundle_dir / MANIFEST
    if not path.is_file():
        raise BundleError(f"{where}: {MANIFEST} is missing")
    manifest = loads_manifest(path.read_bytes(), where)
    listed = manifest["files"]
    present = _folder_files(bundle_dir)
    for name, expected in listed.items():
        if name not in present:
            raise BundleError(f"{where}: {name} is listed in the manifest but missing")
        actual = sha256_file(present[name])
        if actual != expected:
            raise BundleError(
                f"{where}: {name} has sha256 {actual}, the manifest says {expected} (altered)"
            )
    extra = sorted(set(present) - set(listed))
    if extra:
        raise BundleError(f"{where}: {', '.join(extra)} not listed in the manifest")
    return manifest
