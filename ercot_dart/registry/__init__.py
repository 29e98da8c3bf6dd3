"""The model registry: bundles (ONNX models + a manifest pinning each file by sha256) and the
champion the pipeline and the scoring service use.

``BlobRegistry`` is loaded on first use, so importing the registry needs no Azure package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ercot_dart.registry.base import Registry, UnknownBundleError
from ercot_dart.registry.bundle import BundleError, sha256_file, verify_bundle, write_manifest
from ercot_dart.registry.champion import RegistryError
from ercot_dart.registry.local import LocalRegistry
from ercot_dart.registry.location import open_registry
from ercot_dart.registry.promotion import Metric, should_promote

if TYPE_CHECKING:
    from ercot_dart.registry.blob import BlobRegistry

__all__ = [
    "BlobRegistry",
    "BundleError",
    "LocalRegistry",
    "Metric",
    "Registry",
    "RegistryError",
    "UnknownBundleError",
    "open_registry",
    "sha256_file",
    "should_promote",
    "verify_bundle",
    "write_manifest",
]


def __getattr__(name: str) -> Any:
    if name == "BlobRegistry":
        from ercot_dart.registry.blob import BlobRegistry

        return BlobRegistry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
