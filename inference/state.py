"""What the service serves: an immutable snapshot (bundle, its request codec, its index of the
feature store), replaced whole on reload or store refresh.

A request reads :attr:`ServiceState.snapshot` once and uses that snapshot to the end, so a
reload never changes the bundle under a request in flight; the old bundle's sessions live
until its last request lets go of them. Reloads and refreshes are serialised by a lock.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa

from ercot_dart.registry import BundleError, open_registry
from ercot_dart.settings import Settings
from inference.bundle import LoadedBundle, load_bundle
from inference.decode import BundleCodec
from inference.history import HistoryIndex, StoreReader
from inference.hours import HourLabels
from inference.metrics import ServiceMetrics
from inference.problems import Kind, ProblemError, not_ready
from inference.schemas import ReloadResult

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    bundle: LoadedBundle
    codec: BundleCodec
    history: HistoryIndex | None
    loaded_at: datetime


class ServiceState:
    """The current snapshot and how to replace it."""

    def __init__(self, settings: Settings, metrics: ServiceMetrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.snapshot: Snapshot | None = None
        self.last_error = "the champion bundle is still loading"
        self.store = (
            StoreReader(settings.serve_feature_store, settings.serve_history_days)
            if settings.serve_feature_store
            else None
        )
        self._store_frame: pd.DataFrame | None = None
        self._store_signature: tuple[tuple[str, int, int], ...] | None = None
        self._lock = threading.Lock()
        self.labels = HourLabels()
        self.openapi_cache: tuple[object, bytes] | None = None
        self._refused: str | None = None  # the champion the last poll refused (not retried)

    def current(self) -> Snapshot:
        """The snapshot a request uses; 503 problem when no bundle is loaded."""
        snap = self.snapshot
        if snap is None:
            raise not_ready(self.last_error)
        return snap

    def load_champion(self) -> ReloadResult:
        """Fetch the registry's champion, verify and load it, and switch to it atomically.

        Blocking (registry I/O, sha256, onnxruntime sessions): call it from a thread.

        Raises:
            ProblemError: 422 when the bundle fails its checks (the file is named), 503 when
                the registry cannot be read or has no champion. The old snapshot stays.
        """
        started = time.perf_counter()
        with self._lock:
            previous = self.snapshot
            try:
                bundle = self._fetch_and_load(previous)
            except ProblemError as exc:
                self.metrics.reloads.labels("rejected").inc()
                if previous is None:
                    self.last_error = exc.detail
                raise
            if bundle is not None:
                codec = BundleCodec(bundle, self.settings.serve_max_rows)
                history = self._index(self._store_frame, codec, bundle)
                self.snapshot = Snapshot(bundle, codec, history, datetime.now(UTC))
                self.metrics.set_bundle(bundle.bundle_id, str(bundle.manifest["created_at"]))
                self.metrics.reloads.labels("loaded").inc()
                log.info(
                    "serving bundle %s", bundle.bundle_id, extra={"bundle_id": bundle.bundle_id}
                )
            else:
                self.metrics.reloads.labels("unchanged").inc()
        current = self.snapshot
        assert current is not None
        return ReloadResult(
            bundle_id=current.bundle.bundle_id,
            previous_bundle_id=previous.bundle.bundle_id if previous else None,
            changed=bundle is not None,
            seconds=round(time.perf_counter() - started, 4),
        )

    def follow_champion(self) -> None:
        """Switch to the registry's champion if it changed since the last look (a poll: an
        unchanged champion is not counted as a reload, a rejected one is logged once)."""
        try:
            champion = open_registry(self.settings).champion()
        except Exception as exc:  # unreachable storage: the next poll tries again
            log.warning("registry unavailable: %s", exc)
            return
        snap = self.snapshot
        if (
            champion is None
            or champion == self._refused
            or (snap is not None and snap.bundle.bundle_id == champion)
        ):
            return
        try:
            self.load_champion()
        except ProblemError as exc:
            if exc.status == 422:  # fails its checks: tried again when promoted again or on reload
                self._refused = champion
            log.error(
                "champion %s not loaded, still serving the old bundle: %s", champion, exc.detail
            )

    def _fetch_and_load(self, previous: Snapshot | None) -> LoadedBundle | None:
        """The champion, loaded; None when it is the bundle already served."""
        try:
            registry = open_registry(self.settings)
            champion = registry.champion()
        except BundleError as exc:  # a corrupt champion record: the registry, not a bundle
            raise ProblemError(
                503, Kind.REGISTRY_UNAVAILABLE, "Registry unreadable", f"{exc}"
            ) from None
        except Exception as exc:  # unreachable storage, bad URL, missing credentials
            raise ProblemError(
                503, Kind.REGISTRY_UNAVAILABLE, "Registry unavailable", f"{exc}"
            ) from None
        if champion is None:
            raise ProblemError(
                503,
                Kind.REGISTRY_UNAVAILABLE,
                "No champion",
                f"no champion bundle in {registry.location}: train and promote one first",
            )
        if previous is not None and previous.bundle.bundle_id == champion:
            return None
        try:
            folder = registry.fetch(champion, self.settings.serve_cache_root)
            return load_bundle(folder, threads=self.settings.serve_threads)
        except BundleError as exc:
            raise _rejected(str(exc)) from None
        except Exception as exc:  # onnxruntime cannot load a model, the manifest lacks a key
            raise _rejected(f"bundle {champion} cannot be loaded: {exc}") from None

    def refresh_store(self) -> bool:
        """Re-read the store's recent days if its files changed; True when they had."""
        if self.store is None:
            return False
        signature = self.store.signature()
        if signature == self._store_signature:
            return False
        frame = self.store.recent()
        with self._lock:
            self._store_frame, self._store_signature = frame, signature
            self.metrics.store_rows.set(len(frame))
            snap = self.snapshot
            if snap is not None:
                self.snapshot = replace(snap, history=self._index(frame, snap.codec, snap.bundle))
        # reading the month files allocates several times the rows kept; hand that back
        pa.default_memory_pool().release_unused()
        log.info("feature store read: %d recent rows", len(frame), extra={"store_rows": len(frame)})
        return True

    @staticmethod
    def _index(
        frame: pd.DataFrame | None, codec: BundleCodec, bundle: LoadedBundle
    ) -> HistoryIndex | None:
        return None if frame is None else HistoryIndex.build(frame, codec, bundle.pre)


def _rejected(detail: str) -> ProblemError:
    return ProblemError(422, Kind.BUNDLE_REJECTED, "Bundle rejected", detail)
