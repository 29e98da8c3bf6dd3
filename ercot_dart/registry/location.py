"""Which registry a URL or path names, and opening it.

    ""                                             settings.registry_root, a local folder
    /some/folder, file:///some/folder              a local folder
    azure://<container>[/<prefix>]                 Azure Blob, with the configured connection string
    https://<account>.blob.core.windows.net/<container>[/<prefix>]
                                                   Azure Blob, with DefaultAzureCredential
    prefect-block://<block name>[/<prefix>]        Azure Blob, through the prefect-azure
                                                   AzureBlobStorageContainer block of that name
                                                   (its container, credentials and base folder)

The Azure prefix defaults to ``models/``; a block's ``base_folder`` goes in front of it. A block
is named by its plain name, as ``ERCOT_DART_PREDICTIONS_BLOB_BLOCK`` names the publishing block,
and loaded from the Prefect API (``PREFECT_API_URL``): that form needs Prefect and prefect-azure,
so the scoring service uses azure:// or https://. Azure modules are imported only for Azure URLs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ercot_dart.registry.base import Registry
from ercot_dart.registry.champion import RegistryError
from ercot_dart.registry.local import LocalRegistry

if TYPE_CHECKING:
    from ercot_dart.settings import Settings

DEFAULT_PREFIX = "models/"  # the same as blob.DEFAULT_PREFIX, without importing Azure


def _container_and_prefix(path: str, url: str, what: str = "container") -> tuple[str, str]:
    container, _, prefix = path.strip("/").partition("/")
    if not container:
        raise RegistryError(f"registry URL {url!r} names no {what}")
    return container, prefix or DEFAULT_PREFIX


def open_registry(settings: Settings | None = None, location: str | None = None) -> Registry:
    """The registry at ``location``, default ``settings.registry_url`` (empty: the local folder).

    Raises:
        RegistryError: an unsupported URL, azure:// without a connection string, or
            prefect-block:// naming no saved block.
    """
    if settings is None:
        from ercot_dart.settings import get_settings

        settings = get_settings()
    url = (location if location is not None else settings.registry_url).strip()
    if not url:
        return LocalRegistry(settings.registry_root)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "azure":
        from ercot_dart.registry.blob import BlobRegistry

        container, prefix = _container_and_prefix(f"{parts.netloc}/{parts.path}", url)
        if not settings.azure_storage_connection_string:
            raise RegistryError(
                f"{url} needs ERCOT_DART_AZURE_STORAGE_CONNECTION_STRING (or use "
                "https://<account>.blob.core.windows.net/<container>/<prefix> with a managed identity)"
            )
        return BlobRegistry.from_connection_string(
            settings.azure_storage_connection_string, container, prefix
        )
    if scheme == "prefect-block":
        from ercot_dart.registry.blob import BlobRegistry

        block, prefix = _container_and_prefix(f"{parts.netloc}/{parts.path}", url, "block")
        return BlobRegistry.from_block_name(block, prefix)
    if scheme in ("http", "https"):
        from ercot_dart.registry.blob import BlobRegistry

        container, prefix = _container_and_prefix(parts.path, url)
        return BlobRegistry.from_account_url(f"{scheme}://{parts.netloc}", container, None, prefix)
    if scheme == "file":
        return LocalRegistry(Path(parts.path))
    if scheme and len(scheme) > 1:  # one letter is a Windows drive
        raise RegistryError(
            f"unsupported registry URL {url!r} (a folder, azure://, https:// or prefect-block://)"
        )
    return LocalRegistry(Path(url))
