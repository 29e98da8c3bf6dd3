"""The registry in an Azure Blob Storage container, under a prefix (default ``models/``).

    <prefix>bundles/<bundle_id>/<file>
    <prefix>champion.json

Needs only ``azure-storage-blob`` (and ``azure-identity`` for managed identities), so the scoring
service reads the registry without Prefect; flows and the CLI can build it from a prefect-azure
``AzureBlobStorageContainer`` block instead (``prefect-block://<block name>/<prefix>``, see
``ercot_dart.registry.location``), which needs Prefect and prefect-azure.
Import this module lazily: the core and the local registry must not need Azure.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient, ContentSettings

from ercot_dart.registry.base import Registry
from ercot_dart.registry.bundle import MANIFEST
from ercot_dart.registry.champion import RegistryError

if TYPE_CHECKING:
    from prefect_azure import AzureBlobStorageContainer

DEFAULT_PREFIX = "models/"
_JSON = ContentSettings(content_type="application/json")


def _prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


class BlobRegistry(Registry):
    """A registry over an ``azure.storage.blob.ContainerClient``.

    Args:
        container: a client of an existing container.
        prefix: folder of the registry in the container ("" for its root).
    """

    def __init__(
        self, container: ContainerClient, prefix: str = DEFAULT_PREFIX, by_url: bool = False
    ) -> None:
        self.container = container
        self.prefix = _prefix(prefix)
        self._by_url = by_url  # reached by its https:// URL and a credential, not a secret
        self._block: str | None = None  # reached through a saved Prefect block: its URL

    @classmethod
    def from_connection_string(
        cls, conn_str: str, container: str, prefix: str = DEFAULT_PREFIX
    ) -> BlobRegistry:
        """For the scoring service and tools: a storage connection string (Azurite too)."""
        if not conn_str:
            raise RegistryError(
                "no Azure Storage connection string: set ERCOT_DART_AZURE_STORAGE_CONNECTION_STRING"
            )
        return cls(ContainerClient.from_connection_string(conn_str, container), prefix)

    @classmethod
    def from_account_url(
        cls, url: str, container: str, credential: Any = None, prefix: str = DEFAULT_PREFIX
    ) -> BlobRegistry:
        """For managed identities: ``https://<account>.blob.core.windows.net`` and a credential.

        Args:
            credential: any azure-storage-blob credential; None means DefaultAzureCredential.
        """
        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        return cls(ContainerClient(url, container, credential=credential), prefix, by_url=True)

    @classmethod
    def from_block(
        cls, block: AzureBlobStorageContainer, prefix: str = DEFAULT_PREFIX
    ) -> BlobRegistry:
        """For flows: the container of a prefect-azure ``AzureBlobStorageContainer`` block.

        The block's own clients are asynchronous; the registry is synchronous, so the same
        client is built from the block's credentials. The block's ``base_folder`` is put in
        front of ``prefix``.
        """
        creds = block.credentials
        full_prefix = f"{_prefix(block.base_folder or '')}{_prefix(prefix)}"
        if creds.connection_string is not None:
            return cls.from_connection_string(
                creds.connection_string.get_secret_value(), block.container_name, full_prefix
            )
        # the block's validator guarantees an account URL here, and all three service-principal
        # fields when one is set
        assert creds.account_url is not None
        credential = None  # DefaultAzureCredential, as the block itself would use
        if creds.client_id is not None:
            from azure.identity import ClientSecretCredential

            assert creds.tenant_id is not None and creds.client_secret is not None
            credential = ClientSecretCredential(
                tenant_id=creds.tenant_id,
                client_id=creds.client_id,
                client_secret=creds.client_secret.get_secret_value(),
            )
        return cls.from_account_url(
            creds.account_url, block.container_name, credential, full_prefix
        )

    @classmethod
    def from_block_name(cls, name: str, prefix: str = DEFAULT_PREFIX) -> BlobRegistry:
        """For flows and the CLI: the ``AzureBlobStorageContainer`` block saved as ``name`` on
        the Prefect API (``PREFECT_API_URL``), as :meth:`from_block`. Needs prefect-azure.

        Raises:
            RegistryError: no such block, or the Prefect API cannot be reached.
        """
        registry = cls.from_block(load_container_block(name), prefix)
        registry._block = f"prefect-block://{name}/{_prefix(prefix)}"
        return registry

    @property
    def location(self) -> str:
        """In the form ``--registry`` takes for the way it was reached: the block's
        ``prefect-block://`` URL, its https:// URL (a managed identity or service principal), else ``azure://<container>/<prefix>`` (the
        connection string) and the account."""
        c = self.container
        if self._block is not None:
            return self._block
        if self._by_url:
            return f"{c.url.split('?', 1)[0].rstrip('/')}/{self.prefix}"
        return f"azure://{c.container_name}/{self.prefix} (account {c.account_name})"

    def _not_found(self, exc: ResourceNotFoundError) -> Exception:
        if getattr(exc, "error_code", None) == "ContainerNotFound":
            return RegistryError(f"container {self.container.container_name!r} does not exist")
        return exc

    def _read(self, key: str) -> bytes | None:
        try:
            return self.container.download_blob(self.prefix + key).readall()
        except ResourceNotFoundError as exc:
            if (err := self._not_found(exc)) is not exc:
                raise err from None
            return None

    def _write(self, key: str, data: bytes) -> None:
        # one Put Blob: the blob is replaced whole or not at all
        self.container.upload_blob(self.prefix + key, data, overwrite=True, content_settings=_JSON)

    def _upload(self, key: str, path: Path) -> None:
        with open(path, "rb") as f:
            self.container.upload_blob(self.prefix + key, f, overwrite=True)

    def _download(self, key: str, path: Path) -> None:
        try:
            stream = self.container.download_blob(self.prefix + key)
        except ResourceNotFoundError as exc:
            if (err := self._not_found(exc)) is not exc:
                raise err from None
            raise FileNotFoundError(key) from None
        with open(path, "wb") as f:
            stream.readinto(f)

    def _delete(self, key: str) -> None:
        with contextlib.suppress(ResourceNotFoundError):
            self.container.delete_blob(self.prefix + key)

    def _manifest_ids(self) -> list[str]:
        start = f"{self.prefix}bundles/"
        ids = []
        try:
            for blob in self.container.list_blobs(name_starts_with=start):
                parts = blob.name[len(start) :].split("/")
                if len(parts) == 2 and parts[1] == MANIFEST:
                    ids.append(parts[0])
        except ResourceNotFoundError as exc:
            raise self._not_found(exc) from None
        return sorted(ids)


def load_container_block(name: str) -> AzureBlobStorageContainer:
    """The prefect-azure ``AzureBlobStorageContainer`` block saved under ``name``.

    Raises:
        RegistryError: no block of that name, or the Prefect API cannot be reached.
    """
    import httpx
    from prefect_azure import AzureBlobStorageContainer

    try:
        # async_dispatch leaves _sync out of load()'s signature and types the result as the
        # block or a coroutine; with _sync=True it is the block
        loaded = AzureBlobStorageContainer.load(name, _sync=True)  # type: ignore[call-arg]
    except ValueError:  # Prefect's "Unable to find block document named ..."
        raise RegistryError(
            f"no AzureBlobStorageContainer block named {name!r} on the Prefect API "
            "(create it in the UI or with AzureBlobStorageContainer(...).save(name))"
        ) from None
    except httpx.HTTPError as exc:
        raise RegistryError(
            f"cannot load the block {name!r}: the Prefect API did not answer ({exc})"
        ) from None
    return cast("AzureBlobStorageContainer", loaded)
