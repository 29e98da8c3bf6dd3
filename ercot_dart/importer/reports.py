"""Which ERCOT report a file is, recognised by its header (and name), and how its columns map.

Headers are compared after normalisation (lower case, letters and digits only), so the MIS CSV
spelling (``DELIVERY_DATE``, ``STWPF_SYSTEM_WIDE``) and the Public API's camelCase
(``deliveryDate``, ``STWPFSystemWide``) are the same name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Table

from ercot_dart.db.tables import TABLES
from ercot_dart.ercot.vocab import Report, SourceTable


def norm(name: str) -> str:
    """A header name normalised for matching: ``DELIVERY_DATE`` → ``deliverydate``."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


# The load archive (Native_Load_YYYY.xlsx) spells the weather zones its own way.
LOAD_ARCHIVE_ZONES = {
    "coast": "COAST",
    "east": "EAST",
    "fwest": "FAR_WEST",
    "north": "NORTH",
    "ncent": "NORTH_C",
    "south": "SOUTHERN",
    "scent": "SOUTH_C",
    "west": "WEST",
    "ercot": "TOTAL",
}


@dataclass(frozen=True)
class ReportSpec:
    """One ERCOT report: the table it fills, the header that identifies it, its column names.

    ``aliases`` maps normalised source names to table columns where the normalised table
    column name does not already match.
    """

    report: Report
    table: SourceTable | None
    signature: frozenset[str]
    aliases: dict[str, str] = field(default_factory=dict)
    optional: frozenset[str] = frozenset()
    skip_reason: str = ""

    @property
    def sql_table(self) -> Table:
        assert self.table is not None
        return TABLES[self.table]

    def column_map(self, header: Iterable[str]) -> dict[str, str]:
        """Source header name → table column, for the columns this report knows."""
        by_norm = {norm(c.name): c.name for c in self.sql_table.columns}
        by_norm.update(self.aliases)
        return {h: by_norm[norm(h)] for h in header if norm(h) in by_norm}


def _sig(*names: str) -> frozenset[str]:
    return frozenset(norm(n) for n in names)


# Most specific first: the first spec whose signature the header contains wins.
REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec(
        Report.RTM_AS_PRICES,
        None,
        _sig("DeliveryDate", "DeliveryHour", "DeliveryInterval", "ASType", "MCPC"),
        skip_reason="NP6-331-CD real-time AS clearing prices are not one of the nine source tables",
    ),
    ReportSpec(
        Report.RTM_SPP,
        SourceTable.RTM_SPP,
        _sig("DeliveryDate", "DeliveryHour", "DeliveryInterval", "SettlementPointPrice"),
        aliases={"settlementpoint": "SettlementPointName"},
        optional=_sig("DSTFlag"),
    ),
    ReportSpec(
        Report.LOAD_FORECAST,
        SourceTable.LOAD_FORECAST,
        _sig("DeliveryDate", "HourEnding", "Model", "InUseFlag", "SystemTotal"),
        optional=_sig("DSTFlag", "PostedDatetime"),
    ),
    ReportSpec(
        Report.WIND_POWER,
        SourceTable.WIND_POWER,
        _sig("DELIVERY_DATE", "HOUR_ENDING", "STWPF_SYSTEM_WIDE"),
        aliases={"gensystemwide": "SYSTEM_WIDE_GEN", "hslsystemwide": "SYSTEM_WIDE_HSL"},
        optional=_sig("DSTFlag", "PostedDatetime"),
    ),
    ReportSpec(
        Report.SOLAR_POWER,
        SourceTable.SOLAR_POWER,
        _sig("DELIVERY_DATE", "HOUR_ENDING", "STPPF_SYSTEM_WIDE"),
        aliases={"gensystemwide": "SYSTEM_WIDE_GEN", "hslsystemwide": "SYSTEM_WIDE_HSL"},
        optional=_sig("DSTFlag", "PostedDatetime"),
    ),
    ReportSpec(
        Report.DAM_AS_PRICES,
        SourceTable.DAM_AS_PRICES,
        _sig("DeliveryDate", "HourEnding", "AncillaryType", "MCPC"),
        optional=_sig("DSTFlag"),
    ),
    ReportSpec(
        Report.DAM_SPP,
        SourceTable.DAM_SPP,
        _sig("DeliveryDate", "HourEnding", "SettlementPoint", "SettlementPointPrice"),
        optional=_sig("DSTFlag"),
    ),
    ReportSpec(
        Report.SCED_SYSTEM_LAMBDA,
        SourceTable.SCED_SYSTEM_LAMBDA,
        _sig("SCEDTimeStamp", "CappedSystemLambda"),
        aliases={"repeathourflag": "RepeatedHourFlag"},
        optional=_sig("RepeatedHourFlag", "UncappedSystemLambda"),
    ),
    ReportSpec(
        Report.SCED_SYSTEM_LAMBDA,
        SourceTable.SCED_SYSTEM_LAMBDA,
        _sig("SCEDTimeStamp", "SystemLambda"),
        # before RTC+B (2025-12-05) the report had a single SystemLambda column
        aliases={"repeathourflag": "RepeatedHourFlag", "systemlambda": "CappedSystemLambda"},
        optional=_sig("RepeatedHourFlag"),
    ),
    ReportSpec(
        Report.SCED_LMP,
        SourceTable.SCED_LMP,
        _sig("SCEDTimestamp", "SettlementPoint", "LMP"),
        aliases={"repeathourflag": "RepeatedHourFlag"},
        optional=_sig("RepeatedHourFlag"),
    ),
    ReportSpec(
        Report.ACTUAL_LOAD,
        SourceTable.ACTUAL_LOAD,
        _sig("OperDay", "HourEnding", "TOTAL"),
        optional=_sig("DSTFlag"),
    ),
    ReportSpec(
        Report.LOAD_ARCHIVE,
        SourceTable.ACTUAL_LOAD,
        _sig("Hour Ending", "NCENT", "SCENT", "ERCOT"),
        aliases={"hourending": "HourEnding", **LOAD_ARCHIVE_ZONES},
    ),
)


class UnknownReportError(ValueError):
    """A file whose header matches none of the reports."""


def identify(header: list[str]) -> ReportSpec:
    """The report whose signature the header contains.

    Raises:
        UnknownReportError: naming the header, when no report matches.
    """
    names = {norm(h) for h in header}
    for spec in REPORTS:
        if spec.signature <= names:
            return spec
    raise UnknownReportError(
        f"header {', '.join(header[:12])} matches no ERCOT report this project reads"
    )
