"""Which source database a raw stage and a feature store were built from: one each.

A build records its database in ``<folder>/_source.json`` of both folders (the ``_`` keeps it
out of the parquet dataset) and refuses to add another database's rows to them: days of two
markets merged into one store would train and score on a mixture nobody asked for.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from ercot_dart.db.engine import engine_url
from ercot_dart.stage.layout import write_text_atomically

MARKER = "_source.json"


class SourceMismatch(ValueError):
    """A folder built from another database; the message names both and what to do."""


def source_name(url: str, folder: Path) -> str:
    """``url`` as ``folder`` records it: no password, the driver as engines use it, and a
    SQLite file by its path relative to the folder's parent, so that a data folder moved or
    copied whole (database, stage and store together) still matches."""
    parsed = engine_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database).expanduser().resolve()
        return "sqlite:///" + os.path.relpath(path, Path(folder).resolve().parent)
    return parsed.render_as_string(hide_password=True)


def check(url: str, *folders: Path) -> None:
    """Refuse ``url`` as the source of ``folders`` if one holds another database's data.

    Raises:
        SourceMismatch: naming the folder, both databases and what to do.
    """
    for folder in folders:
        marker = Path(folder) / MARKER
        name = source_name(url, folder)
        recorded = json.loads(marker.read_text()).get("source") if marker.is_file() else name
        if recorded != name:
            shown = make_url(url).render_as_string(hide_password=True)
            raise SourceMismatch(
                f"{folder} holds data of {recorded} (SQLite paths from {Path(folder).parent}), "
                f"not of {shown}: give this database folders of its own (ERCOT_DART_DATA_DIR, "
                f"or --store and ERCOT_DART_STAGE_DIR), or remove {folder} to rebuild it"
            )


def record(url: str, *folders: Path) -> None:
    """Record ``url`` as the source of ``folders`` where none is yet: after data of it was
    read, so that a database that cannot be reached claims nothing."""
    for folder in folders:
        marker = Path(folder) / MARKER
        if not marker.is_file():
            marker.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomically(marker, json.dumps({"source": source_name(url, folder)}) + "\n")
