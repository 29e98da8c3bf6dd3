"""Scoring with onnxruntime: load a bundle, score feature rows with all three models.

Shared by the scoring service and batch inference; imports no model library, no Prefect.
"""
