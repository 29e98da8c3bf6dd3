"""The model registry: published bundles and the champion record, over a key-value store.

    bundles/<bundle_id>/<file>        the bundle's files, manifest.json written last
    champion.json                     the champion and its history

A bundle is visible once its manifest exists, and its manifest is stored only after every other
file, so readers never see half a bundle. Subclasses supply the storage (a local folder, an Azure
Blob container); everything else, publication rules included, lives here once.
"""

from __future__ import annotations

import builtins
import logging
import shutil
import uuid
from abc import ABC, abstractmethod
from datetime import datetime
from pathlib import Path
from typing import Any

from ercot_dart.registry import champion as rec
from ercot_dart.registry.bundle import (
    MANIFEST,
    BundleError,
    check_name,
    loads_manifest,
    verify_bundle,
)
from ercot_dart.registry.champion import RegistryError

log = logging.getLogger(__name__)

__all__ = ["Registry", "RegistryError", "UnknownBundleError", "summary"]


class UnknownBundleError(BundleError):
    """No bundle of that id is published in the registry."""


def _key(bundle_id: str, name: str) -> str:
    return f"bundles/{bundle_id}/{name}"


def _created(manifest: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(manifest["created_at"]))


def summary(manifest: dict[str, Any], champion_id: str | None) -> dict[str, Any]:
    """What ``list()`` shows of a bundle: identity, window, headline (ensemble) metrics."""
    metrics = manifest.get("metrics") or {}
    return {
        "bundle_id": manifest["bundle_id"],
        "created_at": manifest["created_at"],
        "training_window": manifest.get("training_window"),
        "models": sorted(manifest.get("models", {})),
        "metrics": {
            part: (metrics.get(part) or {}).get("ensemble", {}) for part in ("test", "recent")
        },
        "recent_window": (metrics.get("recent") or {}).get("window"),
        "is_champion": manifest["bundle_id"] == champion_id,
    }


class Registry(ABC):
    """Published bundles and the champion. Bundle ids are single safe path segments."""

    # --- storage: keys are relative posix paths such as "bundles/<id>/manifest.json" ---

    @abstractmethod
    def _read(self, key: str) -> bytes | None:
        """The object's bytes, None when it does not exist."""

    @abstractmethod
    def _write(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` as one atomic replacement."""

    @abstractmethod
    def _upload(self, key: str, path: Path) -> None:
        """Store the file's content under ``key`` (streamed)."""

    @abstractmethod
    def _download(self, key: str, path: Path) -> None:
        """Write the object to ``path``; FileNotFoundError when it does not exist."""

    @abstractmethod
    def _delete(self, key: str) -> None:
        """Remove the object; nothing when it does not exist."""

    @abstractmethod
    def _manifest_ids(self) -> list[str]:
        """Ids of the bundles whose manifest exists."""

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the registry lives, for messages (no secrets)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location})"

    # --- bundles ---

    def _find_manifest(self, bundle_id: str) -> tuple[dict[str, Any], bytes] | None:
        check_name(bundle_id, "bundle id")
        data = self._read(_key(bundle_id, MANIFEST))
        if data is None:
            return None
        where = f"bundle {bundle_id} in {self.location}"
        manifest = loads_manifest(data, where)
        if manifest["bundle_id"] != bundle_id:
            raise BundleError(f"{where}: manifest says bundle_id {manifest['bundle_id']!r}")
        return manifest, data

    def manifest(self, bundle_id: str) -> dict[str, Any]:
        """The published bundle's manifest.

        Raises:
            UnknownBundleError: no bundle ``bundle_id`` is published.
        """
        found = self._find_manifest(bundle_id)
        if found is None:
            raise UnknownBundleError(f"unknown bundle {bundle_id!r} in {self.location}")
        return found[0]

    def publish(self, bundle_dir: Path) -> str:
        """Verify the bundle folder, then store its files, the manifest last.

        Publishing an id again with identical content does nothing; a failed publication
        removes what it stored, so no partial bundle becomes visible.

        Returns:
            The bundle id.

        Raises:
            BundleError: the folder does not verify, or the id is published with other content.
        """
        manifest = verify_bundle(Path(bundle_dir))
        bundle_id: str = manifest["bundle_id"]
        existing = self._find_manifest(bundle_id)
        if existing is not None:
            if existing[0] == manifest:
                return bundle_id
            changed = sorted(
                name
                for name in set(manifest["files"]) | set(existing[0]["files"])
                if manifest["files"].get(name) != existing[0]["files"].get(name)
            )
            raise BundleError(
                f"bundle {bundle_id} is already published in {self.location} with different "
                f"content ({', '.join(changed) or 'manifest fields'} differ); give it a new id"
            )
        stored: list[str] = []
        try:
            for name in manifest["files"]:
                stored.append(_key(bundle_id, name))
                self._upload(stored[-1], Path(bundle_dir) / name)
            stored.append(_key(bundle_id, MANIFEST))
            self._write(stored[-1], (Path(bundle_dir) / MANIFEST).read_bytes())
        except BaseException:
            for key in reversed(stored):
                try:
                    self._delete(key)
                except Exception as exc:  # keep the original error; the bundle stays invisible
                    log.warning("could not remove %s after a failed publish: %s", key, exc)
            raise
        log.info("published bundle %s to %s", bundle_id, self.location)
        return bundle_id

    def list(self) -> list[dict[str, Any]]:
        """Summaries of the published bundles (see :func:`summary`), oldest first."""
        current = self.champion()
        manifests = []
        for bundle_id in self._manifest_ids():
            try:
                manifests.append(self.manifest(bundle_id))
            except BundleError as exc:  # one damaged bundle must not hide the others
                log.warning("skipping %s: %s", bundle_id, exc)
        manifests.sort(key=lambda m: (_created(m), m["bundle_id"]))
        return [summary(m, current) for m in manifests]

    def fetch(self, bundle_id: str, dest: Path) -> Path:
        """Download the bundle into ``dest/<bundle_id>`` and verify every sha256.

        A folder already there that verifies as this bundle is reused.

        Returns:
            The bundle folder.

        Raises:
            UnknownBundleError: no bundle ``bundle_id`` is published.
            BundleError: a stored file is missing or altered (named).
        """
        found = self._find_manifest(bundle_id)
        if found is None:
            raise UnknownBundleError(f"unknown bundle {bundle_id!r} in {self.location}")
        manifest, raw = found
        target = Path(dest) / bundle_id
        if self._is_copy(target, manifest):
            return target
        where = f"bundle {bundle_id} fetched from {self.location}"
        tmp = Path(dest) / f".{bundle_id}.{uuid.uuid4().hex}.partial"
        tmp.mkdir(parents=True)
        try:
            for name in manifest["files"]:
                try:
                    self._download(_key(bundle_id, name), tmp / name)
                except FileNotFoundError:
                    raise BundleError(f"{where}: {name} is missing from the registry") from None
            (tmp / MANIFEST).write_bytes(raw)
            verify_bundle(tmp, label=where)
            if target.exists():
                shutil.rmtree(target)
            try:
                tmp.rename(target)
            except OSError:
                if not self._is_copy(target, manifest):  # not a concurrent fetch of the same
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target

    @staticmethod
    def _is_copy(folder: Path, manifest: dict[str, Any]) -> bool:
        if not folder.is_dir():
            return False
        try:
            return verify_bundle(folder) == manifest
        except BundleError:
            return False

    # --- champion ---

    def _record(self) -> dict[str, Any]:
        return rec.loads(self._read(rec.CHAMPION), str(self.location))

    def champion(self) -> str | None:
        """The champion bundle's id, None before the first promotion."""
        return self._record().get("bundle_id")

    def history(self) -> builtins.list[dict[str, Any]]:  # ``list`` is the method above
        """Every promotion and rollback, oldest first."""
        return list(self._record()["history"])

    def promote(self, bundle_id: str, reason: str) -> None:
        """Make a published bundle the champion (nothing when it already is).

        Raises:
            UnknownBundleError: no bundle ``bundle_id`` is published.
        """
        self.manifest(bundle_id)
        record = self._record()
        updated = rec.promoted(record, bundle_id, reason)
        if updated is not record:
            self._write(rec.CHAMPION, rec.dumps(updated))

    def rollback(self) -> str:
        """Make the previous champion the champion again.

        Returns:
            The new champion's id.

        Raises:
            RegistryError: no champion, or no earlier one.
        """
        updated = rec.rolled_back(self._record())
        self._write(rec.CHAMPION, rec.dumps(updated))
        return str(updated["bundle_id"])
