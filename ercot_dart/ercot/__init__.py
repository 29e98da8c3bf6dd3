"""ERCOT's vocabularies, value formats and time conventions (pure: no I/O)."""
