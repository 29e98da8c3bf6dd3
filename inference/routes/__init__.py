"""HTTP routes of the scoring service, one module per concern."""
