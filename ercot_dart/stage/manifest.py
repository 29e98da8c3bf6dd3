"""Per-table manifest: the fingerprint of every staged day, hence the table's watermark.

One JSON file per table (``<stage_dir>/<table>/_manifest.json``), so tables extracted in
parallel never write the same file. A fingerprint is ``[row count, sum of scaled values]`` as the
database computed it when the day was extracted; the watermark is the latest staged day.

    {"version": 1, "table": "dam_spp", "fingerprint": "count(*), sum(...)",
     "watermark": "2024-12-31", "days": {"2024-01-01": [120, 3312400], ...}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ercot_dart.stage.layout import manifest_path, write_text_atomically
from ercot_dart.stage.sources import StageSpec

VERSION = 1

Fingerprint = tuple[int, int]
"""(rows, Σ round-to-integer(value × 10^4)) of one operating day."""


@dataclass
class Manifest:
    """The staged days of one table and their fingerprints."""

    table: str
    rule: str
    days: dict[date, Fingerprint] = field(default_factory=dict)

    @property
    def watermark(self) -> date | None:
        """The latest operating day staged, None before the first extract."""
        return max(self.days) if self.days else None

    def to_json(self) -> str:
        watermark = self.watermark
        return json.dumps(
            {
                "version": VERSION,
                "table": self.table,
                "fingerprint": self.rule,
                "watermark": watermark.isoformat() if watermark else None,
                "days": {d.isoformat(): list(fp) for d, fp in sorted(self.days.items())},
            },
            indent=0,
        )


def load_manifest(stage_dir: Path, spec: StageSpec) -> Manifest:
    """The table's manifest; an empty one if none exists or it was made by another rule/version.

    An empty manifest makes the next run fingerprint and extract every day again, which is the
    safe answer to a manifest that cannot be trusted.
    """
    empty = Manifest(spec.name.value, spec.fingerprint_rule)
    path = manifest_path(stage_dir, spec.name)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return empty
    if raw.get("version") != VERSION or raw.get("fingerprint") != spec.fingerprint_rule:
        return empty
    days = {date.fromisoformat(d): (int(n), int(s)) for d, (n, s) in raw["days"].items()}
    return Manifest(empty.table, empty.rule, days)


def save_manifest(stage_dir: Path, manifest: Manifest) -> None:
    """Write the manifest atomically (readers see the old one or the new one)."""
    write_text_atomically(manifest_path(stage_dir, manifest.table), manifest.to_json())
