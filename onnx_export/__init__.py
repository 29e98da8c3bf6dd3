"""ONNX export of the three models, and the parity check every export must pass."""

OPSET_TREES = 15
"""Opset for the tree converters (onnxmltools supports up to 15 with the installed onnx)."""
OPSET_TORCH = 18
"""Opset for the dynamo exporter of the LSTM."""
PARITY_TOLERANCE = 1e-3
"""Largest |ONNX − native| allowed on any test row, $/MWh."""
