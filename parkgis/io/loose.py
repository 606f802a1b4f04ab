"""Loose files as a surveyor hands them over, read into a :class:`Park`.

A parcel file (Shapefile, GeoJSON, GeoPackage, FlatGeobuf, GeoParquet) or a
project ledger (CSV, XLSX) is read, its columns mapped to canonical fields
(every decision recorded) and its values normalised.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from parkgis.errors import DataError, InputError
from parkgis.io.store import is_park, read_park
from parkgis.io.vector import BrokenFeature, FeatureWarning
from parkgis.model.park import Manifest, Park
from parkgis.model.schema import TABLES, ValueIssue

__all__ = [
    "Loaded",
    "load_park",
    "read_complete_layer",
    "read_parcel_file",
    "read_patches",
    "read_split_parts",
    "read_table_file",
    "split_layer",
]


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
    layer: str | None = None,
    override_crs: bool = False,
    swap_axes: bool = False,
    private: bool = False,
) -> Loaded:
    """Read a park (GeoPackage or folder), a PostGIS store, a parcel file, or the bundled park.

    Parameters
    ----------
    path
        A park GeoPackage (a ``.gpkg`` with a ``park`` table; any other
        GeoPackage is a parcel file), an older park folder, a store URL
        (``postgresql://…?park=NAME``), a parcel
        file (``PATH:LAYER`` for a layer of a multi-layer file, see
        :func:`split_layer`), or None for the bundled Yuanba park.
    crs, encoding, id_field, fields, override_crs, swap_axes
        For a parcel file: see :func:`read_parcel_file`.
    layer
        The layer of a multi-layer parcel file (``--layer``); the same as
        ``PATH:LAYER``.
    projects
        A project ledger (CSV/XLSX) that replaces the park's projects.
    as_of
        The park as it was on this date, by its event log
        (:func:`parkgis.model.history.park_as_of`); a loose file has no log.
    store
        A store URL, in place of ``path``.
    private
        Join the parcels' private fields, which a park GeoPackage keeps in
        their own table (``parkgis copy`` and ``--private`` outputs).

    Raises
    ------
    InputError
        When both ``path`` and ``store`` are given, when ``layer`` and
        ``PATH:LAYER`` name different layers or a layer is given for a park
        folder or store, or the park cannot be read.
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

        _no_layer(layer, safe_url(str(path)))
        url = str(path)
        loaded = Loaded(read_store(url, as_of=as_of), [f"store {safe_url(url)}"])
    elif path is None or is_park(Path(path)):
        _no_layer(layer, path or "the bundled park")
        park = read_park(path, as_of=as_of, private=private)
        kind = "park folder" if path is not None and Path(path).is_dir() else "park"
        loaded = Loaded(park, [f"{kind} {path or 'bundled yuanba'}"])
    else:
        path, named = split_layer(path)
        if named is not None and layer is not None and named != layer:
            msg = f"{path}: layer {named!r} after the colon and --layer {layer!r}; give one"
            raise InputError(
                msg, zh=f"{path}：冒号后的图层 {named!r} 与 --layer {layer!r} 不同；只给一个"
            )
        parcels, decisions, issues = read_parcel_file(
            path,
            layer=named or layer,
            crs=crs,
            encoding=encoding,
            id_field=id_field,
            fields=fields,
            override_crs=override_crs,
            swap_axes=swap_axes,
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


def split_layer(spec: str | Path) -> tuple[Path, str | None]:
    """Split ``PATH:LAYER`` into the file and the layer.

    A path that exists as written has no layer (so ``C:\\parks\\a.gpkg`` on
    Windows, or a file whose name holds a colon, is read whole); otherwise
    the text after the last colon is the layer when the text before it is an
    existing file and the layer holds no path separator.

    Raises
    ------
    InputError
        When neither the path nor ``PATH`` before the colon exists.

    Examples
    --------
    >>> split_layer(".")  # an existing path: no layer
    (PosixPath('.'), None)
    """
    path = Path(spec)
    if path.exists():
        return path, None
    head, sep, tail = str(spec).rpartition(":")
    container = Path(head).is_file() or (Path(head).is_dir() and head.lower().endswith(".gdb"))
    if sep and head and tail and "/" not in tail and "\\" not in tail and container:
        return Path(head), tail
    msg = f"{spec}: no such file or folder (a layer of a file is written PATH:LAYER)"
    raise InputError(msg, zh=f"{spec}：文件或文件夹不存在（文件中的图层写作 路径:图层名）")


def _no_layer(layer: str | None, where: object) -> None:
    if layer is not None:
        msg = f"--layer {layer}: {where} is a park, not a parcel file; drop --layer"
        raise InputError(msg, zh=f"--layer {layer}：{where} 是园区，不是地块文件；请去掉 --layer")


def read_parcel_file(
    path: Path,
    *,
    layer: str | None = None,
    table: str = "parcels",
    crs: str | None = None,
    encoding: str | None = None,
    id_field: str | None = None,
    fields: dict[str, str] | None = None,
    override_crs: bool = False,
    swap_axes: bool = False,
    number_ids: bool = True,
) -> tuple[gpd.GeoDataFrame, list[str], list[ValueIssue]]:
    """Read a parcel (or constraint) layer and map it to canonical fields.

    Without a parcel id column (recognised by name, or ``id_field``), parcels
    are numbered 1, 2, ... in file order, and the decision says so (unless
    ``number_ids`` is False: the frame then has no ``parcel_id``). Features
    whose geometry cannot be read right are kept without a geometry and
    reported as errors (``broken_geometry``); features read with a doubt (a
    ring closed, a curve linearised) as warnings. See
    :func:`parkgis.io.vector.read_layer` for the options.
    """
    from parkgis.io.vector import read_layer

    read = read_layer(
        path,
        layer=layer,
        crs=crs,
        encoding=encoding,
        id_field=id_field,
        override_crs=override_crs,
        swap_axes=swap_axes,
    )
    frame, decisions = read.frame, list(read.decisions)
    schema = TABLES[table]
    key = schema.key
    overrides = dict(fields or {})
    if id_field:
        overrides[key] = id_field
    mapping, mapped = schema.match_columns(list(frame.columns), overrides=overrides)
    decisions += mapped
    frame = frame.rename(columns=mapping)
    if key not in frame.columns and table == "parcels" and number_ids:
        # The frame's index is the feature's position in the file.
        frame.insert(0, key, [str(i + 1) for i in frame.index])
        decisions.append(
            f"no {key} column: parcels take their feature number (1, 2, ...) as id "
            "(--id-field names a column instead)"
        )
    frame, issues = schema.normalise(frame)
    for note in [*read.broken, *read.warned]:
        issues.append(_geometry_issue(note, table, key, read.source))
    return frame, decisions, issues


def read_split_parts(
    spec: str | Path,
    *,
    crs: str | None = None,
    layer: str | None = None,
    id_field: str | None = None,
) -> gpd.GeoDataFrame:
    """The parts of a split (分宗) from a survey file, read as ``parkgis import`` reads parcels.

    The file is any parcel file :func:`read_parcel_file` reads (GeoJSON,
    GeoPackage, zipped shapefile, KML, a 界址点 TXT ...); each feature is a
    part, with its new id (宗地号), optionally its name and declared area
    (:func:`parkgis.model.reshape.split_parcel` checks the parts).

    Parameters
    ----------
    spec
        The file, or ``FILE:LAYER`` (:func:`split_layer`).
    crs
        The CRS of a file that has none, e.g. ``EPSG:4544``.
    layer
        The layer of a multi-layer file (the same as ``FILE:LAYER``).
    id_field
        The column holding the new ids, when it is not recognised by name.

    Raises
    ------
    InputError
        When the file cannot be read, or has no CRS and ``crs`` is not given.
    DataError
        For a feature or a value that cannot be read (a part missed would be
        land missed), or a file without a column of parcel ids.
    """
    path, named = split_layer(spec)
    if named is not None and layer is not None and named != layer:
        msg = f"{path}: layer {named!r} after the colon and layer {layer!r}; give one"
        raise InputError(msg, zh=f"{path}：冒号后的图层 {named!r} 与图层 {layer!r} 不同；只给一个")
    parts, _, issues = read_parcel_file(
        path, layer=named or layer, crs=crs, id_field=id_field, number_ids=False
    )
    broken = [i for i in issues if i.severity == "error"]
    if broken:
        listed = "; ".join(i.message for i in broken[:5])
        listed_zh = "；".join(i.message_zh or i.message for i in broken[:5])
        msg = f"{len(broken)} part(s) of the survey file cannot be read: {listed}"
        raise DataError(msg, zh=f"分宗文件中有 {len(broken)} 宗无法读取：{listed_zh}")
    if "parcel_id" not in parts.columns:
        msg = (
            f"{path.name}: no column of parcel ids for the parts; add one with each part's new "
            f"id (headed 地块编号 or 宗地号), or name the column holding them (--id-field on the "
            f"command line)"
        )
        zh = (
            f"{path.name}：没有各宗的地块编号列；请添加一列写明每宗的新编号（列名为地块编号或"
            f"宗地号），或指明编号所在的列（命令行用 --id-field）"
        )
        raise DataError(msg, zh=zh)
    return parts


def _geometry_issue(
    note: BrokenFeature | FeatureWarning, table: str, key: str, source: str
) -> ValueIssue:
    """A broken feature (an error) or one read with a doubt (a warning), as a ValueIssue."""
    named = f" ({key}={note.id})" if note.id else ""
    warning = isinstance(note, FeatureWarning)
    return ValueIssue(
        table,
        "geometry",
        note.feature,
        note.id,
        None,
        f"feature {note.feature}{named} of {source}: {note.reason}",
        severity="warning" if warning else "error",
        code=note.code if warning else "broken_geometry",
        message_zh=f"{source} 的第 {note.feature} 个要素{named}：{note.reason_zh or note.reason}",
    )


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


def read_complete_layer(
    path: Path,
    *,
    layer: str | None = None,
    crs: str | None = None,
    what: str = "feature(s)",
    what_zh: str = "要素",
    missed: str = "",
    missed_zh: str = "",
) -> Any:
    """Read a layer in which a feature that cannot be read would be land missed.

    Satellite patches and 三调 land-use patches are not parcels kept without
    a geometry: a patch that cannot be read would leave its land out of a
    figure, so any broken feature refuses the whole layer.

    Parameters
    ----------
    path, layer, crs
        As :func:`parkgis.io.vector.read_layer` takes them.
    what, what_zh
        What the features are (``patch(es)``, ``图斑``), for the message.
    missed, missed_zh
        What would be missed, said after the count (``, and the land under
        them would be missed``).

    Returns
    -------
    parkgis.io.vector.LayerRead

    Raises
    ------
    DataError
        Naming the file and each feature that cannot be read (up to ten).
    """
    from parkgis.errors import DataError
    from parkgis.io.vector import read_layer

    read = read_layer(path, layer=layer, crs=crs)
    if read.broken:
        shown = read.broken[:10]
        listed = "; ".join(f"feature {b.feature}: {b.reason}" for b in shown)
        listed_zh = "；".join(f"第 {b.feature} 个要素：{b.reason_zh or b.reason}" for b in shown)
        n = len(read.broken)
        msg = f"{read.source}: {n} {what} cannot be read{missed}: {listed}"
        zh = f"{read.source}：有 {n} 个{what_zh}无法读取{missed_zh}：{listed_zh}"
        raise DataError(msg, zh=zh)
    return read


def read_patches(spec: str | Path, *, crs: str | None = None) -> gpd.GeoDataFrame:
    """Read a layer of satellite change patches (卫片图斑), ``PATH[:LAYER]``.

    Patches go into the enforcement pre-check, where one that cannot be read
    would be a finding missed: any broken patch refuses the layer
    (:func:`read_complete_layer`).
    """
    path, layer = split_layer(spec)
    return read_complete_layer(
        path, layer=layer, crs=crs, what="patch(es)", what_zh="图斑",
        missed=", and a finding on it would be missed", missed_zh="，其上的问题会被漏查",
    ).frame  # fmt: skip
