"""Prediction files in a blob store: ``predictions/YYYY/MM/DD/HH/predictions.parquet``, the path
being the issue time in UTC. A reader never sees a partial file: a local file is written under a
temporary name and renamed into place; an Azure blob is committed by one upload.

Two stores with one small interface: a local folder (the embedded default) and an Azure Blob
container through prefect-azure's ``AzureBlobStorageContainer`` block. :meth:`BlobStore.update`
reads, changes and writes one blob so that two runs changing it at once both count (a lock in
the folder; an ETag condition in Azure): an hour's file gathers several runs' rows.

Azure calls are not retried by the SDK (whose first retry waits 15 s): the tasks retry them, with
their own backoff, and a store that cannot be reached is a :class:`BlobStoreUnavailable` naming it.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow.parquet as pq

from ercot_dart.atomic import replacing
from ercot_dart.parquet_files import write_predictions

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient
    from prefect_azure import AzureBlobStorageContainer

    from ercot_dart.settings import Settings

FILE_NAME = "predictions.parquet"
LOCK_NAME = ".lock"
"""The local store's lock file, in its root: one update at a time."""
CONFLICT_ATTEMPTS = 10
"""How often an Azure update reads again when another writer changed the blob in between."""

Change = Callable[[bytes | None], bytes | None]
"""What an update does: the blob's bytes now (None: absent) → its new bytes (None: remove it)."""


class BlobStoreUnavailable(ConnectionError):
    """The blob store could not be reached (a ``ConnectionError``: the task retries it)."""


class BlobConflict(RuntimeError):
    """Other writers kept changing a blob while an update tried to write it."""


def prediction_key(issue_time_utc: pd.Timestamp) -> str:
    """The blob path of the predictions issued at ``issue_time_utc``."""
    t = pd.Timestamp(issue_time_utc).tz_convert("UTC")
    return f"predictions/{t:%Y/%m/%d/%H}/{FILE_NAME}"


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A prediction frame as parquet bytes (timestamps in UTC, microseconds)."""
    sink = io.BytesIO()
    write_predictions(sink, frame)
    return sink.getvalue()


def read_parquet_bytes(data: bytes) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(data)).to_pandas()


class BlobStore(ABC):
    """Where prediction files go."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key`` whole, replacing what was there."""

    @abstractmethod
    def get(self, key: str) -> bytes | None:
        """The bytes at ``key``; None when there is nothing."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` if it is there."""

    @abstractmethod
    def url(self, key: str) -> str:
        """Where a person or a program finds ``key``."""

    @abstractmethod
    def listing(self, prefix: str) -> dict[str, pd.Timestamp]:
        """The keys that start with ``prefix`` (sorted), each with when it was last written (UTC)."""

    @abstractmethod
    def update(self, key: str, change: Change) -> tuple[bytes | None, bytes | None]:
        """Replace the blob at ``key`` by ``change(blob)`` (whole, or removed when it gives None)
        so that no concurrent update of ``key`` is lost. Returns (before, after)."""


class LocalBlobStore(BlobStore):
    """A local folder standing in for the blob container."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"blob key {key!r} leaves the store {self.root}")
        return path

    def put(self, key: str, data: bytes) -> None:
        with replacing(self._path(key)) as tmp:
            tmp.write_bytes(data)

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        root = self.root.resolve()
        for parent in path.parents:  # folders left empty go too, as in a blob container
            if parent == root or not parent.is_relative_to(root) or any(parent.iterdir()):
                break
            parent.rmdir()

    def url(self, key: str) -> str:
        return str(self._path(key))

    def listing(self, prefix: str) -> dict[str, pd.Timestamp]:
        folder = self._path(prefix.rsplit("/", 1)[0]) if "/" in prefix else self.root.resolve()
        if not folder.is_dir():
            return {}
        root = self.root.resolve()
        found = {p.relative_to(root).as_posix(): p for p in folder.rglob("*") if p.is_file()}
        # hidden names are the lock and files being written (ercot_dart.atomic), not blobs
        return {
            k: pd.Timestamp(found[k].stat().st_mtime, unit="s", tz="UTC")
            for k in sorted(found)
            if k.startswith(prefix) and not any(part.startswith(".") for part in k.split("/"))
        }

    def update(self, key: str, change: Change) -> tuple[bytes | None, bytes | None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK_NAME, "ab") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            before = self.get(key)
            after = change(before)
            if after is None:
                self.delete(key)
            elif after != before:
                self.put(key, after)
        return before, after


class AzureBlobStore(BlobStore):
    """A container through a prefect-azure ``AzureBlobStorageContainer`` block (its async
    methods called synchronously; uploads overwrite, which the block does not by default)."""

    def __init__(self, block: AzureBlobStorageContainer) -> None:
        self.block = block
        self._container: ContainerClient | None = None

    def _full(self, key: str) -> str:
        base = (self.block.base_folder or "").strip("/")
        return f"{base}/{key}" if base else key

    @contextlib.contextmanager
    def _reaching(self) -> Iterator[None]:
        from azure.core.exceptions import ServiceRequestError, ServiceResponseError

        try:
            yield
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise BlobStoreUnavailable(
                f"blob store {self.location} unreachable ({type(exc).__name__})"
            ) from exc

    @property
    def location(self) -> str:
        """The container's URL (without a SAS token, which is a secret)."""
        return self._client().url.split("?", 1)[0]

    def _upload(self, key: str, data: bytes, **conditions: Any) -> None:
        # the block puts its base folder in front of the key itself. prefect-azure types each
        # **upload_kwargs value as a dict (hence one dict of Any), and @sync_compatible neither
        # declares _sync nor knows that with it the call returns the path, not a coroutine.
        options: dict[str, Any] = {"overwrite": True, "retry_total": 0, **conditions, "_sync": True}
        with self._reaching():
            self.block.upload_from_file_object(io.BytesIO(data), key, **options)  # type: ignore[unused-coroutine]

    def put(self, key: str, data: bytes) -> None:
        self._upload(key, data)

    def _client(self) -> ContainerClient:
        from ercot_dart.registry.blob import BlobRegistry

        # the block's clients are async; the registry builds the same container client sync
        if self._container is None:
            self._container = BlobRegistry.from_block(self.block, prefix="").container
        return self._container

    def _download(self, key: str) -> tuple[bytes | None, str | None]:
        from azure.core.exceptions import ResourceNotFoundError

        with self._reaching():
            try:
                stream = self._client().download_blob(self._full(key), retry_total=0)
                return stream.readall(), stream.properties.etag
            except ResourceNotFoundError:
                return None, None

    def get(self, key: str) -> bytes | None:
        return self._download(key)[0]

    def delete(self, key: str) -> None:
        self._delete(key)

    def _delete(self, key: str, **conditions: Any) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        with self._reaching(), contextlib.suppress(ResourceNotFoundError):
            self._client().delete_blob(self._full(key), retry_total=0, **conditions)

    def url(self, key: str) -> str:
        return f"{self.location}/{self._full(key)}"

    def listing(self, prefix: str) -> dict[str, pd.Timestamp]:
        base = self._full("")  # "<base folder>/" or ""
        with self._reaching():
            blobs = {
                b.name[len(base) :]: pd.Timestamp(b.last_modified).tz_convert("UTC")
                for b in self._client().list_blobs(
                    name_starts_with=self._full(prefix), retry_total=0
                )
            }
        return dict(sorted(blobs.items()))

    def update(self, key: str, change: Change) -> tuple[bytes | None, bytes | None]:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

        for _attempt in range(CONFLICT_ATTEMPTS):
            before, etag = self._download(key)
            after = change(before)
            # written only if nobody wrote the blob since it was read; else read it again
            condition = (
                {"etag": etag, "match_condition": MatchConditions.IfNotModified}
                if etag
                else {"match_condition": MatchConditions.IfMissing}
            )
            try:
                if after is not None:
                    self._upload(key, after, **condition)
                elif before is not None:
                    self._delete(key, **condition)
                return before, after
            except (ResourceModifiedError, ResourceExistsError):
                continue
        raise BlobConflict(f"{self.url(key)} kept changing under {CONFLICT_ATTEMPTS} updates")


def open_blob_store(settings: Settings) -> BlobStore:
    """The configured store: the Azure block ``predictions_blob_block``, else ``blob_dir``."""
    name = settings.predictions_blob_block.strip()
    if not name:
        return LocalBlobStore(settings.blob_root)
    from ercot_dart.registry import RegistryError
    from ercot_dart.registry.blob import load_container_block

    try:
        return AzureBlobStore(load_container_block(name))
    except RegistryError as exc:
        raise ValueError(f"ERCOT_DART_PREDICTIONS_BLOB_BLOCK: {exc}") from exc
