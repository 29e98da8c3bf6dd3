"""The three DART models and what they share: data splits, preprocessing, intervals, metrics.

Importing this package loads no model library: each model module imports its own (lightgbm,
xgboost, torch) so the scoring service, which needs only ``preprocess`` and ``intervals``,
installs without them.
"""
