"""A park: its parcels, constraints, projects, targets and allocations.

A :class:`Park` is a plain value: the shell (:mod:`parkgis.io`) reads and
writes it; the core computes on it and never touches files.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import pandas as pd

from parkgis.model.schema import TABLES, ValueIssue

__all__ = [
    "EVENT_COLUMNS",
    "VERSION_COLUMNS",
    "Manifest",
    "Park",
    "empty_events",
    "empty_table",
]


@dataclass(frozen=True)
class Manifest:
    """What ``park.toml`` says about a park.

    Attributes
    ----------
    name
        Short name, used for file names (``yuanba``).
    title
        Display name, e.g. 元坝工业园区.
    private_fields
        Columns holding personal data of land owners (names, ID numbers,
        phones): never shown in a map or briefing unless asked for.
    settings
        Every other key of the manifest, as read (``encoding``, ``crs``,
        ``compensation_wan_per_mu`` ...).
    """

    name: str
    title: str = ""
    private_fields: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        """The title if there is one, else the name."""
        return self.title or self.name


@dataclass(frozen=True)
class Park:
    """A park's layers and tables, with canonical column names.

    Parcels and constraints are GeoDataFrames with a CRS; projects, targets and
    allocations are DataFrames. Every table is present, possibly empty.
    """

    manifest: Manifest
    parcels: gpd.GeoDataFrame
    constraints: gpd.GeoDataFrame = field(default_factory=lambda: empty_layer())
    projects: pd.DataFrame = field(default_factory=lambda: empty_table("projects"))
    targets: pd.DataFrame = field(default_factory=lambda: empty_table("targets"))
    allocations: pd.DataFrame = field(default_factory=lambda: empty_table("allocations"))
    events: pd.DataFrame = field(default_factory=lambda: empty_events())
    """The status history: one row per change, columns :data:`EVENT_COLUMNS`
    (see :mod:`parkgis.model.history`)."""
    value_issues: tuple[ValueIssue, ...] = ()
    """Values the reader could not understand, kept as written (see validate)."""
    retired: gpd.GeoDataFrame | None = None
    """Parcels retired from the park (columns of ``parcels`` plus ``retired_on``):
    out of today's park, shown ``--as-of`` a date before their retirement; None
    when the store keeps none (see :mod:`parkgis.model.history`)."""
    versions: gpd.GeoDataFrame | None = None
    """Earlier geometries of parcels (:data:`VERSION_COLUMNS`), each valid from
    ``valid_from`` (None: since the parcel was first recorded) to ``valid_to``;
    the current geometry is the one in ``parcels``. None when there are none."""

    @property
    def name(self) -> str:
        """The park's short name."""
        return self.manifest.name

    def replace(self, **changes: Any) -> Park:
        """Return a new park with some tables replaced."""
        return replace(self, **changes)

    def public_columns(self, table: str, *, include_private: bool = False) -> list[str]:
        """Columns of ``table`` that may be shown to readers of maps and briefings."""
        frame = getattr(self, table)
        private = set() if include_private else set(self.manifest.private_fields)
        return [c for c in frame.columns if c not in private and c != "geometry"]


def empty_table(table: str) -> pd.DataFrame:
    """An empty table with the canonical columns of ``table``.

    Examples
    --------
    >>> list(empty_table("targets").columns)[:3]
    ['metric', 'target', 'actual']
    """
    return pd.DataFrame({name: pd.Series(dtype=object) for name in TABLES[table].names})


EVENT_COLUMNS = (
    "seq",
    "entity",
    "entity_id",
    "field",
    "from",
    "to",
    "date",
    "recorded_at",
    "by",
    "note",
    "evidence",
    "forced",
)
"""Columns of a park's event log: ``seq`` (int, order of recording), ``forced``
(bool), the others text or None; ``date`` is the effective ``YYYY-MM-DD``."""


VERSION_COLUMNS = ("parcel_id", "version", "valid_from", "valid_to", "seq")
"""Columns of a park's ``parcel_versions`` (besides the geometry): the parcel, the
version number (1 for its first geometry), the dates it was valid (``valid_to``
is the date of the ``geometry`` event, number ``seq``, that replaced it)."""


def empty_events() -> pd.DataFrame:
    """An empty event log with the columns of :data:`EVENT_COLUMNS`.

    Examples
    --------
    >>> empty_events().dtypes["seq"], empty_events().dtypes["forced"]
    (dtype('int64'), dtype('bool'))
    """
    columns = {name: pd.Series(dtype=object) for name in EVENT_COLUMNS}
    columns["seq"] = pd.Series(dtype="int64")
    columns["forced"] = pd.Series(dtype=bool)
    return pd.DataFrame(columns)


def empty_layer(crs: str = "EPSG:4490") -> gpd.GeoDataFrame:
    """An empty constraints layer in ``crs``."""
    columns = {name: pd.Series(dtype=object) for name in TABLES["constraints"].names}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=crs))
