"""The LSTM → ONNX through torch.onnx's dynamo exporter (onnxscript), weights in the one file,
batch dimension dynamic, input ``input`` of shape (rows, window, columns)."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch

from onnx_export import OPSET_TORCH


def export_sequence_model(net: torch.nn.Module, window: int, columns: int, path: Path) -> None:
    example = torch.zeros(2, window, columns)
    logging.getLogger("torch.onnx").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            net.eval(),
            (example,),
            dynamo=True,
            input_names=["input"],
            output_names=["output"],
            dynamic_shapes=({0: torch.export.Dim("batch")},),
            opset_version=OPSET_TORCH,
            external_data=False,
            verbose=False,
        )
    program.save(str(path), external_data=False)
