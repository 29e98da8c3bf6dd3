"""Monitoring: realized accuracy, drift, source freshness, alerts, the daily report."""
