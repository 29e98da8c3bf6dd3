"""What a tree model's onnxruntime call costs a row, and what changes it: the tree ensemble
split into smaller ones (does the nodes' size matter?) and the work done between two calls
(memory traffic, Python).

    .venv/bin/python benchmarks/tree_calls.py --keep /tmp/servebench [--calls 3000]

On the data of ``benchmarks/serve.py --keep`` (built there if missing): real feature rows of
the last day, 8 different rows a call (as the service's micro-batches), one onnxruntime thread.
For each tree model and each split (1 = the bundle's own graph; k = its trees in k
``TreeEnsembleRegressor`` nodes whose outputs are summed), µs a row with nothing between calls,
with 4 MiB of memory swept between calls, and with some Python (JSON encoding and decoding)
between calls. The split graphs must give the bundle's predictions (float32 sums in another
order: within 1e-4 $/MWh), or the script stops.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.models_floor import _inputs  # noqa: E402
from benchmarks.serve_data import load_or_build  # noqa: E402
from inference.bundle import load_bundle  # noqa: E402

ROWS = 8
SWEEP = np.ones(4 * 2**20 // 8)
PYTHON = {f"f{i}": [i, "x" * 5, {"a": i * 0.5}] for i in range(120)}


def split(model: onnx.ModelProto, parts: int) -> onnx.ModelProto:
    """The model with its tree ensemble as ``parts`` ensembles of consecutive trees, summed."""
    graph = model.graph
    tree = next(n for n in graph.node if n.op_type == "TreeEnsembleRegressor")
    attrs = {a.name: helper.get_attribute_value(a) for a in tree.attribute}
    node_tree, target_tree = np.array(attrs["nodes_treeids"]), np.array(attrs["target_treeids"])
    nodes, outputs = [], []
    for i, trees in enumerate(np.array_split(np.unique(node_tree), parts)):
        lo, hi = trees[0], trees[-1]
        part: dict[str, Any] = {}
        for key, ids in (("nodes_", node_tree), ("target_", target_tree)):
            keep = np.flatnonzero((ids >= lo) & (ids <= hi))
            for name in (n for n in attrs if n.startswith(key)):
                part[name] = [attrs[name][j] for j in keep]
        part["n_targets"], part["post_transform"] = attrs["n_targets"], attrs["post_transform"]
        if i == 0 and "base_values" in attrs:
            part["base_values"] = attrs["base_values"]
        outputs.append(f"part{i}")
        nodes.append(
            helper.make_node(
                "TreeEnsembleRegressor", [tree.input[0]], [outputs[-1]], domain="ai.onnx.ml", **part
            )
        )
    nodes.append(helper.make_node("Sum", outputs, [tree.output[0]]))
    rest = [n for n in graph.node if n is not tree]
    new = helper.make_graph(nodes + rest, graph.name, graph.input, graph.output, graph.initializer)
    opsets = {o.domain: o.version for o in model.opset_import}
    opsets[""] = max(opsets.get("", 8), 8)  # Sum
    out = helper.make_model(
        new, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets.items()]
    )
    out.ir_version = model.ir_version
    return out


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    return ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def between(kind: str) -> None:
    if kind == "memory":
        SWEEP[::8] += 1.0
        SWEEP.sum()
    elif kind == "python":
        for _ in range(3):
            json.loads(json.dumps(PYTHON))


def us_a_row(sess: ort.InferenceSession, x: np.ndarray, calls: int, kind: str) -> float:
    name = sess.get_inputs()[0].name
    spent = 0.0
    for i in range(calls):
        at = (i * ROWS) % (len(x) - ROWS)
        between(kind)
        started = time.perf_counter()
        sess.run(None, {name: x[at : at + ROWS]})
        spent += time.perf_counter() - started
    return 1e6 * spent / (calls * ROWS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", type=Path, required=True, help="benchmarks/serve.py's data folder")
    ap.add_argument("--points", type=int, default=1000)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--calls", type=int, default=3000)
    args = ap.parse_args()
    data = load_or_build(args.keep, args.points, args.days)
    x, _ = _inputs(load_bundle(data.bundle), data.store)
    x = np.ascontiguousarray(x, "float32")
    print(f"{len(x)} rows, {ROWS} a call, {args.calls} calls; µs a row:")
    print("model     split  nothing between  4 MiB swept between  Python between")
    for name in ("lightgbm", "xgboost"):
        model = onnx.load(data.bundle / f"{name}.onnx")
        whole = session(model)
        expected = whole.run(None, {whole.get_inputs()[0].name: x[:256]})[0]
        for parts in (1, 2, 4, 8, 16):
            sess = whole if parts == 1 else session(split(model, parts))
            got = sess.run(None, {sess.get_inputs()[0].name: x[:256]})[0]
            if not np.allclose(got, expected, rtol=0, atol=1e-4):
                raise SystemExit(f"{name} split in {parts}: predictions differ from the bundle's")
            costs = [us_a_row(sess, x, args.calls, kind) for kind in ("", "memory", "python")]
            print(f"{name:9} {parts:5}  " + "  ".join(f"{c:15.1f}" for c in costs), flush=True)


if __name__ == "__main__":
    main()
