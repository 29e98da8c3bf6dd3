"""Which registry a URL or path opens; the registry imports no Azure or Prefect until asked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ercot_dart.registry import LocalRegistry, RegistryError, open_registry
from ercot_dart.settings import Settings
from tests.conftest import AZURITE_ACCOUNT, AZURITE_KEY, REPO

CONN = (
    f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
    f"BlobEndpoint=http://127.0.0.1:1/{AZURITE_ACCOUNT};"
)


def test_default_is_the_local_registry_folder(tmp_path: Path) -> None:
    registry = open_registry(Settings(data_dir=tmp_path))
    assert isinstance(registry, LocalRegistry)
    assert registry.root == tmp_path / "registry"


@pytest.mark.parametrize("form", ["{p}", "file://{p}"])
def test_a_path_or_file_url_is_a_local_folder(tmp_path: Path, form: str) -> None:
    registry = open_registry(Settings(), form.format(p=tmp_path / "reg"))
    assert isinstance(registry, LocalRegistry)
    assert registry.root == tmp_path / "reg"


@pytest.mark.parametrize(
    ("url", "prefix"),
    [("azure://models-prod", "models/"), ("azure://models-prod/dart/v1/", "dart/v1/")],
)
def test_azure_url_names_container_and_prefix(url: str, prefix: str) -> None:
    registry = open_registry(Settings(azure_storage_connection_string=CONN, registry_url=url))
    assert registry.container.container_name == "models-prod"  # type: ignore[attr-defined]
    assert registry.prefix == prefix  # type: ignore[attr-defined]


def test_azure_url_without_connection_string_says_what_to_set() -> None:
    with pytest.raises(RegistryError, match="ERCOT_DART_AZURE_STORAGE_CONNECTION_STRING"):
        open_registry(Settings(registry_url="azure://models"))


def test_an_unsupported_scheme_is_refused() -> None:
    with pytest.raises(RegistryError, match="unsupported registry URL 's3://bucket'"):
        open_registry(Settings(), "s3://bucket")


def test_the_connection_string_stays_out_of_repr() -> None:
    assert "AccountKey" not in repr(Settings(azure_storage_connection_string=CONN))


def test_the_registry_and_its_cli_import_neither_azure_nor_prefect() -> None:
    code = (
        "import sys, ercot_dart.registry, ercot_dart.cli_models;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'azure', 'prefect', 'prefect_azure'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_an_https_url_uses_the_account_and_a_managed_identity() -> None:
    url = "https://dartprod.blob.core.windows.net/registry/dart"
    registry = open_registry(Settings(), url)
    assert registry.container.account_name == "dartprod"  # type: ignore[attr-defined]
    assert registry.location == url + "/"  # what --registry takes for it
