"""Loose files as a surveyor hands them over, read into a :class:`Park`.

A parcel file (Shapefile, GeoJSON, GeoPackage, FlatGeobuf, GeoParquet) or a
project ledger (CSV, XLSX) is read, its columns mapped to canonical fields
(every decision recorded) and its values normalised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from parkgis.errors import InputError
from parkgis.io.store import is_park_folder, read_park
from parkgis.model.park import Manifest, Park
from parkgis.model.schema import TABLES, ValueIssue

__all__ = ["Loaded", "load_park", "read_parcel_file", "read_table_file"]


@dataclass
class Loaded:
    """A park read from a folder or loose files, with what was decided on the way."""

    park: Park
    decisions: list[str] = field(default_factory=list)


def load_park(
    path: Path | str | None = None,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    id_field: str | None = None,
    fields: dict[str, str] | None = None,
    projects: Path | None = None,
    as_of: dt.date | None = None,
    store: str | None = None,
) -> Loaded:
    """Read a park folder, a PostGIS store, a single parcel file, or the bundled park.

    Parameters
    ----------
    path
        A park folder, a store URL (``postgresql://…?park=NAME``), a parcel
        file, or None for the bundled Yuanba park.
    crs, encoding, id_field, fields
        For a parcel file: see :func:`read_parcel_file`.
    projects
        A project ledger (CSV/XLSX) that replaces the park's projects.
    as_of
        The park as it was on this date, by its event log
        (:func:`parkgis.model.history.park_as_of`); a loose file has no log.
    store
        A store URL, in place of ``path``.

    Raises
    ------
    InputError
        When both ``path`` and ``store`` are given, or the park cannot be read.
    """
    from parkgis.io.postgis import is_store_url, safe_url
    from parkgis.model.history import park_as_of

    if store is not None:
        if path is not None:
            msg = f"give a park ({path}) or a store ({safe_url(store)}), not both"
            raise InputError(msg)
        path = store
    if is_store_url(path):
        from parkgis.io.postgis import read_park as read_store

        url = str(path)
        loaded = Loaded(read_store(url, as_of=as_of), [f"store {safe_url(url)}"])
    elif path is None or is_park_folder(Path(path)):
        park = read_park(path, as_of=as_of)
        loaded = Loaded(park, [f"park folder {path or 'bundled yuanba'}"])
    else:
        parcels, decisions, issues = read_parcel_file(
            Path(path), crs=crs, encoding=encoding, id_field=id_field, fields=fields
        )
        park = Park(
            manifest=Manifest(name=Path(path).stem), parcels=parcels, value_issues=tuple(issues)
        )
        loaded = Loaded(park_as_of(park, as_of) if as_of else park, decisions)
    if projects is not None:
        frame, decisions, issues = read_table_file(Path(projects), "projects")
        loaded.park = loaded.park.replace(
            projects=frame,
            value_issues=(*[i for i in loaded.park.value_issues if i.table != "projects"], *issues),
        )
        loaded.decisions += decisions
    return loaded


def read_parcel_file(
    path: Path,
    *,
    layer: str | None = None,
    table: str = "parcels",
    crs: str | None = None,
    encoding: str | None = None,
    id_field: str | None = None,
    fields: dict[str, str] | None = None,
) -> tuple[gpd.GeoDataFrame, list[str], list[ValueIssue]]:
    """Read a parcel (or constraint) layer and map it to canonical fields.

    Without a parcel id column (recognised by name, or ``id_field``), parcels
    are numbered 1, 2, ... in file order, and the decision says so. Features
    whose geometry cannot be decoded are reported as issues and kept out.
    """
    from parkgis.io.vector import read_layer

    read = read_layer(path, layer=layer, crs=crs, encoding=encoding, id_field=id_field)
    frame, decisions = read.frame, list(read.decisions)
    schema = TABLES[table]
    key = schema.key
    overrides = dict(fields or {})
    if id_field:
        overrides[key] = id_field
    mapping, mapped = schema.match_columns(list(frame.columns), overrides=overrides)
    decisions += mapped
    frame = frame.rename(columns=mapping)
    if key not in frame.columns and table == "parcels":
        # The frame's index is the feature's position in the file, broken ones left out.
        frame.insert(0, key, [str(i + 1) for i in frame.index])
        decisions.append(
            f"no {key} column: parcels take their feature number (1, 2, ...) as id "
            "(--id-field names a column instead)"
        )
    frame, issues = schema.normalise(frame)
    for broken in read.broken:
        issues.append(
            ValueIssue(
                table,
                "geometry",
                broken.feature,
                broken.id,
                None,
                f"feature {broken.feature}"
                f"{f' ({key}={broken.id})' if broken.id else ''} of {path}: {broken.reason}",
            )
        )
    return frame, decisions, issues


def read_table_file(path: Path, table: str) -> tuple[pd.DataFrame, list[str], list[ValueIssue]]:
    """Read a CSV/XLSX ledger as ``table`` (projects, targets, allocations)."""
    from parkgis.io.ledger import read_ledger

    read = read_ledger(path)
    decisions = list(read.decisions)
    decisions += [f"{path} row {row} skipped: {why}" for row, why in read.skipped_rows]
    schema = TABLES[table]
    mapping, mapped = schema.match_columns(list(read.frame.columns))
    decisions += mapped
    frame, issues = schema.normalise(read.frame.rename(columns=mapping))
    return frame, decisions, issues
