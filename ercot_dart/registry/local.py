"""The registry in a local folder: the embedded default (``settings.registry_root``)."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from ercot_dart.atomic import replacing
from ercot_dart.registry.base import Registry
from ercot_dart.registry.bundle import MANIFEST


class LocalRegistry(Registry):
    """Bundles under ``root/bundles/<bundle_id>/``, the champion in ``root/champion.json``.

    Every file is written under a hidden temporary name and moved into place, so a reader sees
    a whole file or none.
    """

    def __init__(self, root: Path | None = None) -> None:
        if root is None:
            from ercot_dart.settings import get_settings

            root = get_settings().registry_root
        self.root = Path(root).expanduser()

    @property
    def location(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*key.split("/"))

    def _read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def _write(self, key: str, data: bytes) -> None:
        with replacing(self._path(key)) as tmp:
            tmp.write_bytes(data)

    def _upload(self, key: str, path: Path) -> None:
        with replacing(self._path(key)) as tmp:
            shutil.copyfile(path, tmp)

    def _download(self, key: str, path: Path) -> None:
        shutil.copyfile(self._path(key), path)

    def _delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        if key.startswith("bundles/"):  # drop the bundle folder once a failed publish emptied it
            with contextlib.suppress(OSError):
                path.parent.rmdir()

    def _manifest_ids(self) -> list[str]:
        bundles = self.root / "bundles"
        if not bundles.is_dir():
            return []
        return sorted(p.parent.name for p in bundles.glob(f"*/{MANIFEST}") if p.is_file())
