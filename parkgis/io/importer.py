"""``parkgis import``: build a park (one GeoPackage file) from loose files.

Vector layers become parcels or constraints, CSV/XLSX tables become projects,
targets or allocations; every decision is reported, nothing is guessed
silently.

With ``update``, a newer ledger is imported over an existing park: the
differences of status, step, title, stage and funding become events of the
park's log (:func:`parkgis.model.history.diff_events`) instead of overwriting its
history; the tables the sources do not give are kept. Every other
difference of a parcel is an event too (:func:`parkgis.model.history.diff_events`):
its other fields, its boundary (the old one kept in ``parcel_versions``), a
parcel missing from the new ledger (retired, kept in ``retired_parcels``), a
new one (added), and splits and merges named by a ``derived_from`` column.
The update is one SQLite transaction (:func:`parkgis.io.store.rewrite_park`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from parkgis.errors import InputError
from parkgis.io.loose import read_parcel_file, read_table_file, split_layer
from parkgis.io.store import (
    check_writable,
    create_park,
    folder_write_error,
    is_park,
    is_park_folder,
    rewrite_park,
)
from parkgis.model.history import diff_events, events_frame, events_of
from parkgis.model.park import Manifest, Park, empty_layer, empty_table
from parkgis.model.schema import TABLES, ValueIssue
from parkgis.model.values import is_blank
from parkgis.model.vocab import ACQUISITION, CONSTRAINT_KIND

__all__ = ["ImportReport", "import_sources"]

_TABLE_SUFFIXES = {".csv", ".xlsx", ".xlsm", ".xls"}
_LINE_TYPES = {"LineString", "MultiLineString"}


@dataclass
class ImportReport:
    """What ``import_sources`` read, decided and wrote, line by line."""

    park: Park
    lines: list[str] = field(default_factory=list)


def import_sources(
    sources: list[Path | str],
    output: Path,
    *,
    name: str | None = None,
    title: str = "",
    private_fields: tuple[str, ...] = (),
    overwrite: bool = False,
    crs: str | None = None,
    encoding: str | None = None,
    id_field: str | None = None,
    fields: dict[str, str] | None = None,
    layer: str | None = None,
    override_crs: bool = False,
    swap_axes: bool = False,
    update: bool = False,
    date: dt.date | None = None,
    by: str | None = None,
    note: str | None = None,
    recorded_at: str | None = None,
    status: str | None = None,
) -> ImportReport:
    """Read loose files and write them as a park GeoPackage (``output``, NAME.gpkg).

    Parameters
    ----------
    sources
        Parcel and constraint layers (Shapefile, GeoJSON, GeoPackage,
        FlatGeobuf, GeoParquet) and CSV/XLSX ledgers, in any order. Every
        layer of a GeoPackage is read, unless one is named as ``FILE:LAYER``.
    output
        The park GeoPackage to write (a name ending in ``.gpkg``).
    crs, encoding, id_field, fields, override_crs, swap_axes
        Passed to every vector layer read (see
        :func:`parkgis.io.vector.read_layer`).
    layer
        The layer to read from each multi-layer source (``--layer``), where
        ``FILE:LAYER`` names none.
    update, date, by, note, recorded_at
        Import over the existing park ``output``: status differences become
        events effective on ``date``, recorded by ``by`` at ``recorded_at``
        (the shell reads the clock), with ``note``. Projects, targets,
        allocations and constraints the sources do not give are kept, and
        so are the park's name, title and settings.
    status
        The acquisition status (a code, label or alias) of the parcels whose
        source gives none — a 界址点 TXT, a CASS DXF or a KML from a survey
        company carries no status. Parcels whose source gives one keep it;
        how many took this one is reported. Not with ``update`` (statuses
        then change by events).

    Raises
    ------
    InputError
        When ``output`` is already a park and neither ``overwrite`` nor
        ``update`` is given, when ``update`` finds no park there, when no
        parcel layer is among the sources, or a source cannot be read.
    DataError
        With ``update``: a new status value that is not a known term, or a
        ``date`` before a logged change of a field that changed.
    """
    output = Path(output)
    if status is not None:
        if update:
            msg = (
                "--status gives a new park's parcels a status; with --update statuses change "
                "by events: record them with 'parkgis status set'"
            )
            zh = (
                "--status 为新园区的地块设定征收状态；--update 时状态以事件变更："
                "请用 'parkgis status set' 记录"
            )
            raise InputError(msg, zh=zh)
        status = ACQUISITION.code(status, where="--status", where_zh="--status")
    if update:
        if overwrite:
            raise InputError("give --update or --overwrite, not both")
        if is_park_folder(output):
            raise folder_write_error(output)
        if not is_park(output):
            msg = f"{output} is not a park yet; import without --update to create it"
            raise InputError(msg, zh=f"{output} 还不是园区；请先不带 --update 导入以创建它")
        if date is None or not by or recorded_at is None:
            raise InputError("--update records events: give --date DATE and --by NAME")
        check_writable(output)
    elif output.suffix.lower() != ".gpkg":
        msg = f"{output}: a park is one GeoPackage file; give -o {output.name}.gpkg"
        zh = f"{output}：园区是一个 GeoPackage 文件；请用 -o {output.name}.gpkg"
        raise InputError(msg, zh=zh)
    elif is_park(output) and not overwrite:
        msg = f"{output} is already a park; pass --overwrite to replace it (or --update to "
        msg += "record the differences as events)"
        raise InputError(msg)
    else:
        check_writable(output)
    lines: list[str] = []
    issues: list[ValueIssue] = []
    parcels: list[gpd.GeoDataFrame] = []
    constraints: list[gpd.GeoDataFrame] = []
    tables: dict[str, list[pd.DataFrame]] = {"projects": [], "targets": [], "allocations": []}
    for spec in sources:
        source, named = split_layer(spec)
        if source.suffix.lower() in _TABLE_SUFFIXES:
            table = _table_kind(source)
            frame, decisions, found = read_table_file(source, table)
            tables[table].append(frame)
            lines.append(f"read {source}: {len(frame)} row(s) as {table}")
            lines += [f"  {d}" for d in decisions]
            issues += found
            continue
        for chosen in [named] if named else _chosen_layers(source, layer):
            kind = _layer_kind(source, chosen)
            is_parcels = kind == "parcels"
            frame, decisions, found = read_parcel_file(
                source,
                layer=chosen,
                table=kind,
                crs=crs,
                encoding=encoding,
                id_field=id_field if is_parcels else None,
                fields=fields if is_parcels else None,
                override_crs=override_crs,
                swap_axes=swap_axes,
            )
            if not is_parcels:
                frame, more = _constraint_kinds(frame, source, chosen)
                decisions += more
            elif status is not None:
                frame, more = _given_status(frame, status)
                decisions += more
            (parcels if is_parcels else constraints).append(frame)
            where = f"{source}" + (f" layer {chosen!r}" if chosen else "")
            lines.append(f"read {where}: {len(frame)} feature(s) as {kind}")
            lines += [f"  {d}" for d in decisions]
            issues += found
    if not parcels:
        msg = "no parcel layer among the sources; give a polygon layer of parcels"
        raise InputError(msg)
    parcel_layer = _concat(parcels, "parcels", lines)
    constraint_layer = (
        _concat([c.to_crs(parcel_layer.crs) for c in constraints], "constraints", lines)
        if constraints
        else empty_layer(parcel_layer.crs)
    )
    park = Park(
        manifest=Manifest(
            name=name or output.name,
            title=title,
            private_fields=private_fields,
            settings={"crs": parcel_layer.crs.to_string()},
        ),
        parcels=parcel_layer,
        constraints=constraint_layer,
        value_issues=tuple(issues),
        **{t: pd.concat(f, ignore_index=True) if f else empty_table(t) for t, f in tables.items()},
    )
    if update:
        assert date is not None and by is not None and recorded_at is not None
        given = {t for t, f in tables.items() if f} | ({"constraints"} if constraints else set())
        park, recorded = _update(output, park, given, date, by, recorded_at, note, title)
        lines.append(f"recorded {len(recorded)} change(s) as events of {output}:")
        lines += [
            f"  {e.entity} {e.entity_id} {e.field}: {e.from_ or '(blank)'} → {e.to or '(blank)'}"
            + (" (forced)" if e.forced else "")
            for e in recorded
        ]
    else:
        create_park(park, output)  # a new file appears only complete: none if interrupted
    lines.append(
        f"wrote park {park.name!r} to {output}: {len(parcel_layer)} parcel(s), "
        f"{len(constraint_layer)} constraint(s), "
        + ", ".join(f"{len(getattr(park, t))} {t}" for t in tables)
    )
    if issues:
        lines.append(
            f"{len(issues)} value(s) not understood were kept as written; "
            f"run 'parkgis validate {output}' to list them"
        )
    return ImportReport(park, lines)


def _given_status(frame: gpd.GeoDataFrame, status: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """``status`` for the parcels of ``frame`` that have no acquisition status, and the line
    that says how many took it (a value written but not understood is kept, not replaced)."""
    column = "acquisition_status"
    if column in frame.columns:
        blank = frame[column].isna().to_numpy() | frame[column].map(is_blank).to_numpy(bool)
    else:
        blank = np.ones(len(frame), dtype=bool)
    if not blank.any():
        return frame, [f"{column}: every feature gives one; --status {status} not used"]
    out = frame.copy()
    values = np.full(len(out), None, dtype=object)
    if column in out.columns:
        values[:] = out[column].to_numpy(dtype=object)
    values[blank] = status
    out[column] = values
    label = ACQUISITION.label(status, lang="zh")
    return out, [
        f"{column}: {status} ({label}, from --status) for {int(blank.sum())} of {len(out)} "
        f"feature(s) that give none"
    ]


def _chosen_layers(source: Path, layer: str | None) -> list[str | None]:
    """``--layer`` for a source of several layers (a GeoPackage, a folder, a zip), else all."""
    layered = {".gpkg", ".zip", ".dxf", ".kml", ".kmz"}  # a DXF's CAD layer, a KML's folder
    if layer is not None and (source.is_dir() or source.suffix.lower() in layered):
        return [layer]
    return _layers(source)


def _layers(source: Path) -> list[str | None]:
    if source.suffix.lower() != ".gpkg":
        return [None]
    try:
        return [name for name, _ in pyogrio.list_layers(source)]
    except Exception as exc:
        msg = f"{source}: cannot be read as a GeoPackage ({exc})"
        raise InputError(msg, zh=f"{source}：无法作为 GeoPackage 读取（{exc}）") from None


def _layer_kind(source: Path, layer: str | None) -> str:
    """Parcels, unless the layer is made of lines or named like a constraint."""
    label = layer or source.stem
    if label in CONSTRAINT_KIND:
        return "constraints"
    if source.suffix.lower() in {".dxf", ".kml", ".kmz"}:
        return "parcels"  # their readers take polygons only (parkgis.io.formats)
    try:
        info = pyogrio.read_info(source, layer=layer)
    except pyogrio.errors.DataSourceError:
        return "parcels"  # not a layer: read_parcel_file refuses it, naming what it holds
    except UnicodeDecodeError:
        # Field names GDAL cannot decode (a .cpg that lies, a name cut inside a
        # character): only the geometry type is wanted here, and Latin-1 decodes
        # any bytes; read_parcel_file decides the encoding and says why.
        info = pyogrio.read_info(source, layer=layer, encoding="ISO-8859-1")
    geometry_type = str(info.get("geometry_type") or "")
    return "constraints" if geometry_type.replace(" Z", "") in _LINE_TYPES else "parcels"


def _constraint_kinds(
    frame: gpd.GeoDataFrame, source: Path, layer: str | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    label = layer or source.stem
    if "kind" in frame.columns and frame["kind"].notna().all():
        return frame, []
    if label in CONSTRAINT_KIND:
        kind = CONSTRAINT_KIND.code(label)
        out = frame.assign(kind=frame["kind"].fillna(kind) if "kind" in frame.columns else kind)
        return out, [f"constraint kind {kind!r} taken from the layer name {label!r}"]
    msg = (
        f"{source}{f' layer {layer!r}' if layer else ''}: cannot tell what kind of constraint it "
        f"holds; add a 'kind' field or name the layer after one of: "
        + ", ".join(f"{t.code}/{t.zh}" for t in CONSTRAINT_KIND)
    )
    raise InputError(msg)


def _update(
    output: Path,
    new: Park,
    given: set[str],
    date: dt.date,
    by: str,
    recorded_at: str,
    note: str | None,
    title: str,
) -> tuple[Park, tuple]:
    """Write ``new`` over the park at ``output``, its status differences as events."""
    recorded: list[tuple] = []

    def build(old: Park) -> Park:
        kept = {t: getattr(old, t) for t in ("projects", "targets", "allocations", "constraints")}
        merged = new.replace(
            manifest=replace(old.manifest, title=title or old.manifest.title),
            **{t: frame for t, frame in kept.items() if t not in given},
        )
        events = diff_events(old, merged, date=date, by=by, recorded_at=recorded_at, note=note)
        recorded.extend(events)
        return merged.replace(events=events_frame([*events_of(old.events), *events]))

    park = rewrite_park(output, build)
    return park, tuple(recorded)


def _table_kind(source: Path) -> str:
    """Which park table a ledger is: the one whose fields its header matches best."""
    from parkgis.io.ledger import read_ledger

    columns = list(read_ledger(source).frame.columns)
    scores = {}
    for table in ("projects", "targets", "allocations"):
        mapping, _ = TABLES[table].match_columns(columns)
        matched = set(mapping.values())
        if TABLES[table].key in matched:
            scores[table] = len(matched)
    if not scores:
        msg = (
            f"{source}: its header matches no park table (projects need 项目编号/project_id, "
            f"targets 指标/metric); columns: {', '.join(map(str, columns))}"
        )
        raise InputError(msg)
    return max(scores, key=lambda t: scores[t])


def _concat(frames: list[gpd.GeoDataFrame], what: str, lines: list[str]) -> gpd.GeoDataFrame:
    crs = frames[0].crs
    for frame in frames[1:]:
        if frame.crs != crs:
            lines.append(
                f"  {what}: a layer in {frame.crs.to_string()} reprojected to {crs.to_string()}"
            )
    out = pd.concat([f.to_crs(crs) for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)
