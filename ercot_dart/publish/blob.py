"""Prediction files in a blob store: ``predictions/YYYY/MM/DD/HH/predictions.parquet``, the path
being the issue time in UTC. A reader never sees a partial file: a local file is written under a
temporary name and renamed into place; an Azure blob is committed by one upload.

Two stores with one small interface: a local folder (the embedded default) and an Azure Blob
container through prefect-azure's ``AzureBlobStorageContainer`` block.
"""

from __future__ import annotations

import contextlib
import io
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ercot_dart.atomic import replacing

if TYPE_CHECKING:
    from azure.storage.blob import ContainerClient
    from prefect_azure import AzureBlobStorageContainer

    from ercot_dart.settings import Settings

FILE_NAME = "predictions.parquet"


def prediction_key(issue_time_utc: pd.Timestamp) -> str:
    """The blob path of the predictions issued at ``issue_time_utc``."""
    t = pd.Timestamp(issue_time_utc).tz_convert("UTC")
    return f"predictions/{t:%Y/%m/%d/%H}/{FILE_NAME}"


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    """A prediction frame as parquet bytes (timestamps in UTC, microseconds)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = io.BytesIO()
    pq.write_table(table, sink, coerce_timestamps="us", allow_truncated_timestamps=True)
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


class AzureBlobStore(BlobStore):
    """A container through a prefect-azure ``AzureBlobStorageContainer`` block (its async
    methods called synchronously; uploads overwrite, which the block does not by default)."""

    def __init__(self, block: AzureBlobStorageContainer) -> None:
        self.block = block

    def _full(self, key: str) -> str:
        base = (self.block.base_folder or "").strip("/")
        return f"{base}/{key}" if base else key

    def put(self, key: str, data: bytes) -> None:
        # the block puts its base folder in front of the key itself. prefect-azure types each
        # **upload_kwargs value as a dict, and @sync_compatible neither declares _sync nor knows
        # that with it the call returns the path rather than a coroutine to await.
        self.block.upload_from_file_object(io.BytesIO(data), key, overwrite=True, _sync=True)  # type: ignore[arg-type, unused-coroutine]

    def _client(self) -> ContainerClient:
        from ercot_dart.registry.blob import BlobRegistry

        # the block's clients are async; the registry builds the same container client sync
        return BlobRegistry.from_block(self.block, prefix="").container

    def get(self, key: str) -> bytes | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self._client().download_blob(self._full(key)).readall()
        except ResourceNotFoundError:
            return None

    def delete(self, key: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        with contextlib.suppress(ResourceNotFoundError):
            self._client().delete_blob(self._full(key))

    def url(self, key: str) -> str:
        return f"{self._client().url}/{self._full(key)}"


def open_blob_store(settings: Settings) -> BlobStore:
    """The configured store: the Azure block ``predictions_blob_block``, else ``blob_dir``."""
    name = settings.predictions_blob_block.strip()
    if not name:
        return LocalBlobStore(settings.blob_root)
    from prefect_azure import AzureBlobStorageContainer

    try:
        # async_dispatch leaves _sync out of load()'s signature and types the result as the
        # block or a coroutine; with _sync=True it is the block
        loaded = AzureBlobStorageContainer.load(name, _sync=True)  # type: ignore[call-arg]
    except ValueError as exc:
        raise ValueError(
            f"ERCOT_DART_PREDICTIONS_BLOB_BLOCK: no AzureBlobStorageContainer block named {name!r}"
        ) from exc
    return AzureBlobStore(cast(AzureBlobStorageContainer, loaded))
