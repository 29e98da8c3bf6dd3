"""The raw parquet stage: the nine source tables, extracted incrementally by operating day.

<stage_dir>/<table>/day=YYYY-MM-DD/part.parquet   one file per table-day, written atomically
<stage_dir>/<table>/_manifest.json                watermark and per-day fingerprints
"""

from ercot_dart.stage.extract import (
    ExtractResult,
    Progress,
    TableExtract,
    extract,
    extract_table,
    missing_sources,
)
from ercot_dart.stage.partitions import read_stage
from ercot_dart.stage.sources import MissingSourcesError, check_required, spec

__all__ = [
    "ExtractResult",
    "MissingSourcesError",
    "Progress",
    "TableExtract",
    "check_required",
    "extract",
    "extract_table",
    "missing_sources",
    "read_stage",
    "spec",
]
