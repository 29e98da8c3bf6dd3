"""The hourly feature store: pure transforms from the source tables to as-of features."""
