"""The model registry on a local folder and on Azurite (through a connection string and
through a prefect-azure block): publication, listing, fetching with sha256 checks, the
champion, and the ``models`` command group."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ercot_dart.cli_models import models
from ercot_dart.registry import (
    BundleError,
    LocalRegistry,
    Registry,
    RegistryError,
    UnknownBundleError,
    sha256_file,
)
from ercot_dart.settings import get_settings
from tests.bundles import make_bundle
from tests.helpers import talking_to

KINDS = ["local", "azurite", "azurite-block"]


@pytest.fixture
def container(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty Azurite container; deleted afterwards."""
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(request.getfixturevalue("azurite"))
    name = f"reg-{uuid.uuid4().hex[:20]}"
    service.create_container(name)
    yield name
    service.delete_container(name)


@pytest.fixture(params=KINDS)
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Registry:
    """The registry on each backend: a local folder, Azurite by connection string, by block."""
    if request.param == "local":
        return LocalRegistry(tmp_path / "registry")
    from ercot_dart.registry.blob import BlobRegistry

    conn, name = request.getfixturevalue("azurite"), request.getfixturevalue("container")
    if request.param == "azurite":
        return BlobRegistry.from_connection_string(conn, name)
    from prefect_azure import AzureBlobStorageContainer
    from prefect_azure.credentials import AzureBlobStorageCredentials

    block = AzureBlobStorageContainer(
        container_name=name, credentials=AzureBlobStorageCredentials(connection_string=conn)
    )
    return BlobRegistry.from_block(block)


@pytest.fixture
def bundles(tmp_path: Path) -> Path:
    return tmp_path / "built"


def test_publish_list_show_fetch_round_trip(
    registry: Registry, bundles: Path, tmp_path: Path
) -> None:
    folder = make_bundle(bundles, "dart-a", mae=7.5)
    assert registry.publish(folder) == "dart-a"

    [row] = registry.list()
    assert row["bundle_id"] == "dart-a"
    assert row["is_champion"] is False
    assert row["metrics"]["recent"] == {"mae": 7.5}
    assert row["training_window"]["test"] == ["2024-09-01", "2024-10-31"]
    assert registry.manifest("dart-a") == json.loads((folder / "manifest.json").read_text())

    fetched = registry.fetch("dart-a", tmp_path / "cache")
    assert fetched == tmp_path / "cache" / "dart-a"
    assert sorted(p.name for p in fetched.iterdir()) == sorted(p.name for p in folder.iterdir())
    for path in folder.iterdir():
        assert sha256_file(fetched / path.name) == sha256_file(path)


def test_list_is_ordered_by_creation_time(registry: Registry, bundles: Path) -> None:
    registry.publish(make_bundle(bundles, "dart-late", "2024-11-03T00:00:00Z", seed=1))
    registry.publish(make_bundle(bundles, "dart-early", "2024-11-01T00:00:00+00:00", seed=2))
    registry.publish(make_bundle(bundles, "dart-mid", "2024-11-02T00:00:00Z", seed=3))
    assert [r["bundle_id"] for r in registry.list()] == ["dart-early", "dart-mid", "dart-late"]


def test_fetch_refuses_a_tampered_file_naming_it(
    registry: Registry, bundles: Path, tmp_path: Path
) -> None:
    registry.publish(make_bundle(bundles, "dart-a"))
    registry._write("bundles/dart-a/xgboost.onnx", b"swapped model")
    with pytest.raises(BundleError, match=r"dart-a .*xgboost\.onnx has sha256 .*altered"):
        registry.fetch("dart-a", tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []  # nothing half-fetched is left


def test_fetch_reports_a_file_missing_from_the_registry(
    registry: Registry, bundles: Path, tmp_path: Path
) -> None:
    registry.publish(make_bundle(bundles, "dart-a"))
    registry._delete("bundles/dart-a/lstm.onnx")
    with pytest.raises(BundleError, match=r"lstm\.onnx is missing from the registry"):
        registry.fetch("dart-a", tmp_path / "cache")


def test_fetch_replaces_a_damaged_local_copy(
    registry: Registry, bundles: Path, tmp_path: Path
) -> None:
    registry.publish(make_bundle(bundles, "dart-a"))
    fetched = registry.fetch("dart-a", tmp_path / "cache")
    (fetched / "lightgbm.onnx").write_bytes(b"corrupted on disk")
    assert registry.fetch("dart-a", tmp_path / "cache") == fetched
    assert sha256_file(fetched / "lightgbm.onnx") == sha256_file(bundles / "dart-a/lightgbm.onnx")


def test_unknown_ids_are_named(registry: Registry, tmp_path: Path) -> None:
    with pytest.raises(UnknownBundleError, match="unknown bundle 'dart-nope'"):
        registry.fetch("dart-nope", tmp_path / "cache")
    with pytest.raises(UnknownBundleError, match="unknown bundle 'dart-nope'"):
        registry.manifest("dart-nope")
    with pytest.raises(UnknownBundleError, match="unknown bundle 'dart-nope'"):
        registry.promote("dart-nope", "because")


def test_publishing_identical_content_again_is_a_no_op(registry: Registry, bundles: Path) -> None:
    folder = make_bundle(bundles, "dart-a")
    registry.publish(folder)
    assert registry.publish(folder) == "dart-a"
    assert [r["bundle_id"] for r in registry.list()] == ["dart-a"]


def test_same_id_with_different_content_is_refused(registry: Registry, bundles: Path) -> None:
    registry.publish(make_bundle(bundles / "first", "dart-a", seed=1))
    with pytest.raises(BundleError, match="dart-a is already published .*lightgbm.onnx"):
        registry.publish(make_bundle(bundles / "second", "dart-a", seed=2))
    assert (
        registry.manifest("dart-a")["files"]
        == json.loads((bundles / "first/dart-a/manifest.json").read_text())["files"]
    )


def test_a_bundle_failing_verification_is_not_published(registry: Registry, bundles: Path) -> None:
    folder = make_bundle(bundles, "dart-a")
    (folder / "lightgbm.onnx").write_bytes(b"changed after the manifest was written")
    with pytest.raises(BundleError, match=r"lightgbm\.onnx"):
        registry.publish(folder)
    assert registry.list() == []


def test_an_upload_failing_midway_leaves_no_visible_bundle(
    registry: Registry, bundles: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_bundle(bundles, "dart-a")
    real_upload, calls = registry._upload, []

    def flaky(key: str, path: Path) -> None:
        calls.append(key)
        if len(calls) == 3:
            raise ConnectionError("network dropped")
        real_upload(key, path)

    monkeypatch.setattr(registry, "_upload", flaky)
    with pytest.raises(ConnectionError):
        registry.publish(folder)
    assert registry.list() == []
    with pytest.raises(UnknownBundleError):
        registry.manifest("dart-a")
    assert [registry._read(key) for key in calls[:2]] == [None, None]  # partial uploads removed

    monkeypatch.undo()
    assert registry.publish(folder) == "dart-a"  # a retry succeeds


def test_promote_rollback_and_history(registry: Registry, bundles: Path) -> None:
    for i, bundle_id in enumerate(["dart-a", "dart-b", "dart-c"]):
        registry.publish(make_bundle(bundles, bundle_id, f"2024-11-0{i + 1}T00:00:00Z", seed=i))
    assert registry.champion() is None
    with pytest.raises(RegistryError, match="no champion"):
        registry.rollback()

    registry.promote("dart-a", "first model")
    registry.promote("dart-b", "mae 7.91 ≤ champion 8.02")
    registry.promote("dart-b", "a retried task")  # already champion: nothing logged
    registry.promote("dart-c", "better")
    assert registry.champion() == "dart-c"
    assert [(h["bundle_id"], h["reason"]) for h in registry.history()] == [
        ("dart-a", "first model"),
        ("dart-b", "mae 7.91 ≤ champion 8.02"),
        ("dart-c", "better"),
    ]
    assert [r["is_champion"] for r in registry.list()] == [False, False, True]

    assert registry.rollback() == "dart-b"
    assert registry.rollback() == "dart-a"
    assert registry.champion() == "dart-a"
    with pytest.raises(RegistryError, match="no previous champion"):
        registry.rollback()
    assert [h["action"] for h in registry.history()] == ["promote"] * 3 + ["rollback"] * 2


# --- the CLI group, on a local folder and on Azurite through an azure:// URL ---


@pytest.fixture(params=["local", "azurite"])
def cli_registry(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Registry]]:
    """(--registry value, the same registry opened in Python)."""
    from ercot_dart.registry import open_registry

    if request.param == "local":
        url = str(tmp_path / "registry")
        (tmp_path / "registry").mkdir()  # an empty registry; a folder that is not there is a typo
    else:
        monkeypatch.setenv(
            "ERCOT_DART_AZURE_STORAGE_CONNECTION_STRING", request.getfixturevalue("azurite")
        )
        url = f"azure://{request.getfixturevalue('container')}/models"
    get_settings.cache_clear()
    yield url, open_registry(get_settings(), url)
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(models, list(args))
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.output
    return result.exit_code, result.output


def test_cli_list_show_promote_rollback(cli_registry: tuple[str, Registry], bundles: Path) -> None:
    url, registry = cli_registry
    registry.publish(make_bundle(bundles, "dart-a", "2024-11-01T00:00:00Z", seed=1, mae=8.02))
    registry.publish(make_bundle(bundles, "dart-b", "2024-11-02T00:00:00Z", seed=2, mae=7.91))

    code, out = run("promote", "dart-a", "--registry", url)
    assert (code, out.strip()) == (0, f"promoted dart-a (was none) in {registry.location}")
    code, out = run("promote", "dart-b", "--reason", "better recent MAE", "--registry", url)
    assert code == 0 and "promoted dart-b (was dart-a)" in out
    assert registry.history()[-1]["reason"] == "better recent MAE"

    code, out = run("list", "--registry", url)
    lines = out.strip().splitlines()
    assert code == 0
    assert lines[1].startswith("  dart-a") and "8.520" in lines[1] and "8.020" in lines[1]
    assert lines[2].startswith("* dart-b")
    assert lines[-1] == f"2 bundle(s) in {registry.location}; champion dart-b"

    code, out = run("show", "dart-a", "--registry", url)
    assert code == 0 and json.loads(out) == registry.manifest("dart-a")
    code, out = run("show", "dart-a", "--json", "--registry", url)
    assert code == 0 and len(out.strip().splitlines()) == 1

    code, out = run("rollback", "--registry", url)
    assert (code, out.strip()) == (0, f"rolled back to dart-a (was dart-b) in {registry.location}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "dart-nope"], "unknown bundle 'dart-nope'"),
        (["promote", "dart-nope"], "unknown bundle 'dart-nope'"),
        (["rollback"], "there is no champion to roll back"),
        (["show", "../etc"], "bundle id '../etc' is not a safe name"),
    ],
)
def test_cli_bad_input_exits_1_with_one_message(
    cli_registry: tuple[str, Registry], args: list[str], message: str
) -> None:
    url, _ = cli_registry
    code, out = run(*args, "--registry", url)
    assert code == 1
    assert out.count("\n") == 1 and out.startswith("error: ") and message in out


def test_cli_list_of_an_empty_registry_is_empty_not_an_error(
    cli_registry: tuple[str, Registry],
) -> None:
    url, registry = cli_registry
    code, out = run("list", "--registry", url)
    assert (code, out.strip()) == (
        0,
        f"no bundles in {registry.location} (train one: ercot-dart train)",
    )
    code, out = run("list", "--json", "--registry", url)
    assert (code, json.loads(out)) == (0, [])


def test_cli_list_of_a_folder_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    code, out = run("list", "--registry", str(tmp_path / "regsitry"))  # a typo
    assert (code, out.strip()) == (
        1,
        f"error: no registry at {tmp_path / 'regsitry'}: the folder does not exist",
    )


def test_a_registry_names_itself_in_the_form_registry_takes(
    cli_registry: tuple[str, Registry],
) -> None:
    """What the commands print as the registry's place opens that registry again."""
    from ercot_dart.registry import open_registry

    url, registry = cli_registry
    printed = registry.location.split(" (account ")[0]
    assert open_registry(get_settings(), printed).location == registry.location
    if url.startswith("azure://"):
        assert registry.location.startswith(url.rstrip("/") + "/")
        assert registry.location.endswith(" (account devstoreaccount1)")


def test_cli_rollback_without_a_previous_champion(
    cli_registry: tuple[str, Registry], bundles: Path
) -> None:
    url, registry = cli_registry
    registry.publish(make_bundle(bundles, "dart-a"))
    registry.promote("dart-a", "first")
    code, out = run("rollback", "--registry", url)
    assert code == 1
    assert out.strip() == "error: no previous champion to roll back to from dart-a"


# --- prefect-block://: the registry through a prefect-azure block saved on a Prefect API ---


@pytest.fixture(scope="module")
def prefect_api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local ``prefect server`` for the module; this process talks to it while a test runs."""
    from tests.helpers import prefect_server

    with prefect_server(tmp_path_factory.mktemp("prefect")) as env:
        yield env["PREFECT_API_URL"]


@pytest.fixture
def saved_block(
    prefect_api_url: str, azurite: str, container: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The name of an AzureBlobStorageContainer block (base folder ``team``) saved on the
    Prefect API, naming the Azurite container; no connection string in the settings."""
    from prefect_azure import AzureBlobStorageContainer
    from prefect_azure.credentials import AzureBlobStorageCredentials

    monkeypatch.delenv("ERCOT_DART_AZURE_STORAGE_CONNECTION_STRING", raising=False)
    name = f"dart-registry-{uuid.uuid4().hex[:8]}"
    with talking_to(prefect_api_url):
        AzureBlobStorageContainer(
            container_name=container,
            base_folder="team",
            credentials=AzureBlobStorageCredentials(connection_string=azurite),
        ).save(name, _sync=True)  # type: ignore[call-arg]
        get_settings.cache_clear()
        yield name
    get_settings.cache_clear()


def test_a_prefect_block_url_opens_the_registry_in_the_blocks_container(
    saved_block: str, azurite: str, container: str, bundles: Path
) -> None:
    from ercot_dart.registry import open_registry
    from ercot_dart.registry.blob import BlobRegistry

    registry = open_registry(get_settings(), f"prefect-block://{saved_block}/models")
    registry.publish(make_bundle(bundles, "dart-a"))
    # the block's base folder goes in front of the URL's prefix
    direct = BlobRegistry.from_connection_string(azurite, container, "team/models")
    assert [r["bundle_id"] for r in direct.list()] == ["dart-a"]
    assert registry.location == f"prefect-block://{saved_block}/models/"  # what reopens it
    assert open_registry(get_settings(), registry.location).list()[0]["bundle_id"] == "dart-a"

    code, out = run("promote", "dart-a", "--registry", f"prefect-block://{saved_block}/models")
    assert code == 0 and "promoted dart-a" in out
    assert direct.champion() == "dart-a"
    # without a prefix, the default models/ under the base folder: the same registry
    assert open_registry(get_settings(), f"prefect-block://{saved_block}").champion() == "dart-a"


def test_a_prefect_block_url_naming_no_block_is_one_message(saved_block: str) -> None:
    code, out = run("list", "--registry", "prefect-block://no-such-block/models")
    assert code == 1
    assert out.strip() == (
        "error: no AzureBlobStorageContainer block named 'no-such-block' on the Prefect API "
        "(create it in the UI or with AzureBlobStorageContainer(...).save(name))"
    )


def test_cli_promote_refuses_a_bundle_altered_in_the_registry(
    cli_registry: tuple[str, Registry], bundles: Path
) -> None:
    url, registry = cli_registry
    registry.publish(make_bundle(bundles, "dart-a"))
    name = next(iter(registry.manifest("dart-a")["files"]))
    registry._write(f"bundles/dart-a/{name}", b"altered after publication")
    code, out = run("promote", "dart-a", "--registry", url)
    assert code == 1 and out.startswith("error: ") and name in out
    assert registry.champion() is None
