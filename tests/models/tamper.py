"""Tampering with an exported tree model, for the tests that require the parity check to fail."""

from __future__ import annotations

from pathlib import Path

import onnx


def shift_first_tree(source: Path, dest: Path, dollars: float = 50.0) -> None:
    """Save to ``dest`` the ONNX tree ensemble at ``source`` with every leaf of its first tree
    moved by ``dollars``: each row passes through one of them, so every prediction moves."""
    model = onnx.load(source)
    tree = next(n for n in model.graph.node if n.op_type == "TreeEnsembleRegressor")
    attrs = {a.name: a for a in tree.attribute}
    for i, tree_id in enumerate(attrs["target_treeids"].ints):
        if tree_id == 0:
            attrs["target_weights"].floats[i] += dollars
    onnx.save(model, dest)
