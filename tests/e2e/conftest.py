"""The end-to-end test uses the flow tests' inputs (two months of real hubs, a champion)."""

from tests.flows.conftest import champion_bundle, pipeline_source  # noqa: F401
