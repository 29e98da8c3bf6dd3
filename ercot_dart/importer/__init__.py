"""``ercot-dart import``: load ERCOT files (MIS CSV, zip, Public API CSV/parquet, load archive)."""

from ercot_dart.importer.run import ImportFileError, ImportResult, import_file, import_paths

__all__ = ["ImportFileError", "ImportResult", "import_file", "import_paths"]
