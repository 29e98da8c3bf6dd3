"""The feature catalog, its documentation and the builder agree."""

from __future__ import annotations

from pathlib import Path

from ercot_dart.features.catalog import FEATURES, NAMES, markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "features.md"


def test_the_catalog_lists_each_feature_once_with_a_source_and_a_rule():
    assert len(NAMES) == len(set(NAMES)) >= 50
    assert all(f.source and f.rule and f.meaning for f in FEATURES)


def test_the_docs_hold_the_current_catalog():
    assert markdown() in DOCS.read_text()
