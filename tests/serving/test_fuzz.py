"""The service fuzzed with schemathesis against its own OpenAPI document: valid and invalid
bodies alike, it never answers 5xx, and its answers match the statuses, media types and
schemas it documents. Bounded (a few dozen examples per operation) to stay under a minute."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.serving.conftest import LiveServer, env_of, serve_settings, start_server

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_server(
    trained_bundle, small_store, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    from ercot_dart.registry import LocalRegistry

    root = tmp_path_factory.mktemp("fuzz")
    registry = LocalRegistry(root / "registry")
    registry.promote(registry.publish(trained_bundle), "fuzzing")
    settings_ = serve_settings(
        registry, root, serve_feature_store=small_store, serve_log_level="WARNING"
    )
    yield from start_server(env_of(settings_), root / "server.log")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_makes_the_service_fail(fuzzed_server: LiveServer, mode: GenerationMode):
    # schemathesis' own pytest plugin does not run under pytest 9: drive hypothesis directly
    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/schema")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/score", "/admin/reload", "/model/info"}
    for operation in operations:
        if operation.path != "/score" and mode is GenerationMode.NEGATIVE:
            continue  # nothing to negate: no body, no parameters
        examples = (
            (25 if mode is GenerationMode.POSITIVE else 40) if operation.path == "/score" else 5
        )

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=fuzzed_server.url, timeout=30)
            case.validate_response(response, checks=CHECKS)

        call()
