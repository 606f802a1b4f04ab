"""Read one vector layer as a survey office hands it over, saying what was decided.

Shapefile (also a folder of them, or a zip archive), GeoJSON, GeoPackage,
FlatGeobuf (all through pyogrio, with Arrow) and GeoParquet (through geopandas
and pyarrow). On the way:

- the text encoding of a shapefile is decided from its bytes
  (:mod:`parkgis.io.encoding`), and a GeoJSON that is not UTF-8 is decoded
  the same way, never read as mojibake;
- the CRS is never guessed: a layer without one raises
  :class:`~parkgis.errors.CRSMissingError`; coordinates that cannot be right
  for their CRS raise :class:`~parkgis.errors.SuspectCoordinatesError`;
- a feature whose geometry cannot be decoded does not lose the file: the rest
  load and the broken one is reported by number and id. A ring that is merely
  not closed is closed (and the decision reported); geometries that decode but
  are invalid are kept for validation to report.

What GDAL does with broken geometries (GDAL 3.12, pyogrio 0.13, checked by
the tests): it passes unclosed rings through, from shapefiles and GeoJSON
alike, with a "Non closed ring detected" warning, and shapely then refuses
the whole layer; it turns a GeoPackage blob or a shapefile record it cannot
parse into a null geometry without a word; it turns a GeoJSON geometry it
cannot parse into a null geometry with a warning that names no feature. So
geometries are decoded here feature by feature when needed, and a null
geometry is checked against the file itself (the GeoPackage's SQLite table,
the shapefile's record type, the GeoJSON text) to tell "the file has none"
from "GDAL could not read it". pyogrio handles everything else; fiona is not
needed.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from parkgis.errors import CRSMissingError, InputError
from parkgis.io.encoding import detect_shapefile_encoding, detect_text_encoding
from parkgis.measure.crs import check_coordinates, suggest_crs
from parkgis.model.schema import TABLES
from parkgis.model.values import id_text

__all__ = ["BrokenFeature", "LayerRead", "read_layer"]

_GEOJSON = {".geojson", ".json"}
_PARQUET = {".parquet", ".geoparquet"}
_UNCLOSED = "Non closed ring detected"
# How many feature numbers a decision lists before "and N more".
_LISTED = 10


@dataclass(frozen=True)
class BrokenFeature:
    """A feature whose geometry could not be decoded, kept out of the frame.

    Attributes
    ----------
    feature
        Its number in the file, from 1.
    id
        Its id (the value of the id field), if the layer has one.
    reason
        What is wrong with it, for the import report.
    """

    feature: int
    id: str | None
    reason: str


@dataclass
class LayerRead:
    """A layer as read, with every decision taken on the way.

    Attributes
    ----------
    frame
        The features, with the file's column names (mapping them to canonical
        fields is the caller's job) and a CRS. Its index is each feature's
        position in the file (feature number - 1), so it has gaps where broken
        features were kept out.
    source
        The file (and layer) read, for messages.
    decisions
        One sentence per decision: encoding, CRS, layer, id field, repairs.
    broken
        Features whose geometry could not be decoded.
    id_field
        The column that identifies features (given, or found by name), if any.
    """

    frame: gpd.GeoDataFrame
    source: str
    decisions: list[str] = field(default_factory=list)
    broken: list[BrokenFeature] = field(default_factory=list)
    id_field: str | None = None


@dataclass
class _Raw:
    """A layer before CRS and id decisions: geometries may be None."""

    frame: gpd.GeoDataFrame
    crs_origin: str
    broken: list[tuple[int, str]]  # position, reason
    repaired: list[int] = field(default_factory=list)  # positions of rings closed


def read_layer(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | int | CRS | None = None,
    encoding: str | None = None,
    id_field: str | None = None,
) -> LayerRead:
    """Read a vector layer: Shapefile, GeoJSON, GeoPackage, FlatGeobuf or GeoParquet.

    Parameters
    ----------
    path
        The file (``.shp``, ``.geojson``/``.json``, ``.gpkg``, ``.fgb``,
        ``.parquet``, a ``.zip`` of a shapefile, a folder of shapefiles;
        anything else GDAL can open is tried too).
    layer
        The layer of a multi-layer file (GeoPackage). Needed when the file
        has more than one layer with geometry.
    crs
        The CRS the coordinates are in (``"EPSG:4544"``), from ``--crs``.
        Required when the file declares none; when it declares one, this one
        is used instead (not reprojected to) and the decision says so.
    encoding
        The text encoding (``--encoding``) of a shapefile or GeoJSON; it wins
        over anything the file says. Other formats are UTF-8 by definition.
    id_field
        The column that identifies features (``--id-field``). Without it, a
        column whose name matches ``parcel_id`` is used to name broken
        features, if there is one.

    Returns
    -------
    LayerRead

    Raises
    ------
    InputError
        When the file cannot be opened, when it has several layers and none
        is given, or ``layer`` or ``id_field`` does not exist.
    EncodingError
        When the text cannot be decoded without guessing.
    CRSMissingError
        When neither the file nor ``crs`` gives a CRS.
    SuspectCoordinatesError
        When the coordinates cannot be right for the CRS (axes swapped, zone
        prefix, metres under degrees, outside China).
    """
    path = Path(path)
    if not path.exists():
        msg = f"{path}: no such file or folder"
        raise InputError(msg)
    decisions: list[str] = []
    suffix = path.suffix.lower()
    source = str(path)
    if suffix in _PARQUET:
        if encoding is not None:
            decisions.append(f"--encoding {encoding} ignored: GeoParquet text is always UTF-8")
        raw = _read_parquet(path, decisions)
    else:
        opened = _zip_folder(path) if suffix == ".zip" else str(path)
        chosen = _choose_layer(path, opened, layer, decisions)
        if chosen is not None:
            source = f"{path} layer {chosen!r}"
        raw = _read_gdal(path, opened, layer=chosen, encoding=encoding, decisions=decisions)
    frame = raw.frame
    if frame.geometry.name != "geometry":
        decisions.append(f"geometry column {frame.geometry.name!r} renamed 'geometry'")
        frame = frame.rename_geometry("geometry")
    ids = _id_column(frame, id_field, source, decisions)
    broken = [
        BrokenFeature(pos + 1, id_text(frame[ids].iloc[pos]) if ids else None, reason)
        for pos, reason in raw.broken
    ]
    if raw.repaired:
        closed = [_name(p + 1, id_text(frame[ids].iloc[p]) if ids else None) for p in raw.repaired]
        decisions.append(
            f"{len(closed)} feature(s) had a ring that was not closed; closed it by repeating "
            f"its first point: {_listing(closed)}"
        )
    if broken:
        frame = frame.drop(index=frame.index[[pos for pos, _ in raw.broken]])
        decisions.append(
            f"{len(broken)} feature(s) kept out, their geometry cannot be decoded: "
            + _listing([_name(b.feature, b.id) for b in broken])
        )
    missing = frame.index[frame.geometry.isna()]
    if len(missing):
        decisions.append(
            f"{len(missing)} feature(s) have no geometry in the file, kept without one for "
            "validation to report: "
            + _listing([_name(i + 1, id_text(frame.at[i, ids]) if ids else None) for i in missing])
        )
    frame = _settle_crs(frame, crs, raw.crs_origin, path, decisions)
    present = frame.geometry.dropna()
    present = present[~present.is_empty]
    if len(present):
        check_coordinates(tuple(present.total_bounds), frame.crs, where=source)
    else:
        decisions.append("no geometries: coordinates not checked against the CRS")
    return LayerRead(frame, source, decisions, broken, ids)


def _choose_layer(path: Path, opened: str, layer: str | None, decisions: list[str]) -> str | None:
    import pyogrio

    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            listed = pyogrio.list_layers(opened)
    except Exception as exc:
        msg = f"{path}: cannot be opened as a vector file ({exc})"
        raise InputError(msg) from None
    names = [str(name) for name, _ in listed]
    spatial = [str(name) for name, kind in listed if kind is not None]
    if layer is not None:
        if layer not in names:
            msg = (
                f"{path}: no layer {layer!r}; its layers are {', '.join(names)}; "
                "pass one with --layer"
            )
            raise InputError(msg)
        return layer if len(names) > 1 else None
    if len(names) <= 1:
        return None
    if len(spatial) == 1:
        tables = [n for n in names if n not in spatial]
        decisions.append(
            f"layer {spatial[0]!r}: the only one with geometry "
            f"(tables without: {', '.join(tables)})"
        )
        return spatial[0]
    kinds = {str(name): str(kind) for name, kind in listed}
    listing = "; ".join(f"{name} ({kinds[name]})" for name in spatial)
    msg = (
        f"{path} holds {len(spatial)} layers with geometry: {listing}; choose one with --layer NAME"
    )
    raise InputError(msg)


def _read_gdal(
    path: Path, opened: str, *, layer: str | None, encoding: str | None, decisions: list[str]
) -> _Raw:
    import pyogrio

    suffix = path.suffix.lower()
    source: str | bytes = opened
    text: str | None = None
    shapefile = path if suffix == ".shp" else _folder_shapefile(path, layer)
    if shapefile is not None:
        if _sibling(shapefile, ".dbf") is None:
            decisions.append(f"{shapefile.name} has no .dbf beside it: no attributes")
        else:
            choice = detect_shapefile_encoding(shapefile, override=encoding)
            decisions.append(f"encoding {choice.encoding}: {choice.reason}")
            encoding = choice.encoding
    elif suffix == ".zip":
        encoding = _zipped_shapefile_encoding(path, layer, encoding, decisions)
    elif suffix in _GEOJSON:
        data = path.read_bytes()
        choice = detect_text_encoding(data, where=str(path), override=encoding)
        text = data.decode(choice.encoding)
        if choice.encoding.lower().replace("-", "") not in {"utf8", "utf8sig"}:
            decisions.append(f"encoding {choice.encoding}, decoded before reading: {choice.reason}")
            source = text.encode("utf-8")
        elif choice.source == "override":
            decisions.append(f"encoding {choice.encoding}: {choice.reason}")
        encoding = None
    elif encoding is not None:
        decisions.append(f"--encoding {encoding} ignored: the text of {suffix} files is UTF-8")
        encoding = None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pyogrio.read_dataframe(
                source, layer=layer, encoding=encoding, use_arrow=True, fid_as_index=True
            )
        except shapely.errors.GEOSException:
            frame = None  # one geometry spoiled the whole decode: go feature by feature
        except Exception as exc:
            msg = f"{path}: cannot be read ({exc})"
            raise InputError(msg) from None
        if frame is None:
            frame = pyogrio.read_dataframe(
                source,
                layer=layer,
                encoding=encoding,
                read_geometry=False,
                use_arrow=True,
                fid_as_index=True,
            )
            meta, _, wkb, _ = pyogrio.raw.read(source, layer=layer, columns=[], return_fids=True)
            crs = meta["crs"]
            geoms, broken, repaired = _decode_wkb(np.asarray(wkb, dtype=object))
        elif not isinstance(frame, gpd.GeoDataFrame):
            msg = f"{path}: has no geometry (a table, not a layer); read it as a ledger instead"
            raise InputError(msg)
        else:
            crs = frame.crs
            geoms = np.asarray(frame.geometry.array, dtype=object)
            broken, repaired = [], []
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    fids = frame.index.to_numpy()
    nulls = [int(i) for i in np.flatnonzero(shapely.is_missing(geoms))]
    failed = {pos for pos, _ in broken}
    nulls = [i for i in nulls if i not in failed]
    if nulls:
        lost = _unread_geometries(path, layer, text, nulls, fids)
        broken = sorted([*broken, *lost.items()])
    # The same warning comes once per read: report each once.
    for note in dict.fromkeys(str(w.message) for w in caught):
        if not (repaired and note.startswith(_UNCLOSED)):  # else reported feature by feature
            decisions.append(f"GDAL warned: {note}")
    attrs = frame.reset_index(drop=True)
    out = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index), crs=crs)
    return _Raw(out, _crs_origin(shapefile is not None, text), broken, repaired)


def _zip_folder(path: Path) -> str:
    """What GDAL opens for a zip archive: its root, or the one folder holding shapefiles.

    GDAL looks for layers at the root of an archive only; offices often zip
    the folder of results (``成果/parcels.shp``).
    """
    with zipfile.ZipFile(path) as archive:
        folders = {
            PurePosixPath(n).parent for n in archive.namelist() if n.lower().endswith(".shp")
        }
    if len(folders) == 1 and str(next(iter(folders))) != ".":
        return f"/vsizip/{path}/{next(iter(folders))}"
    return f"/vsizip/{path}"


def _zipped_shapefile_encoding(
    path: Path, layer: str | None, encoding: str | None, decisions: list[str]
) -> str | None:
    """The encoding of the shapefile GDAL reads from a zip archive, decided as for a file."""
    with zipfile.ZipFile(path) as archive:
        members = {PurePosixPath(n): n for n in archive.namelist()}
        dbfs = [m for m in members if m.suffix.lower() == ".dbf"]
        if layer is not None:
            dbfs = [m for m in dbfs if m.stem == layer]
        if len(dbfs) != 1:
            return encoding
        with tempfile.TemporaryDirectory() as folder:
            for member in members:
                beside = member.parent == dbfs[0].parent and member.stem == dbfs[0].stem
                if beside and member.suffix.lower() in {".dbf", ".cpg"}:
                    target = Path(folder) / f"layer{member.suffix.lower()}"
                    target.write_bytes(archive.read(members[member]))
            choice = detect_shapefile_encoding(Path(folder) / "layer.shp", override=encoding)
    reason = choice.reason.replace(str(Path(folder) / "layer.dbf"), f"{path}!{dbfs[0]}")
    decisions.append(f"encoding {choice.encoding}: {reason}")
    return choice.encoding


def _folder_shapefile(path: Path, layer: str | None) -> Path | None:
    """The shapefile GDAL reads from a folder of shapefiles, if ``path`` is one."""
    if not path.is_dir():
        return None
    found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".shp")
    if layer is not None:
        found = [p for p in found if p.stem == layer]
    return found[0] if len(found) == 1 else None


def _decode_wkb(wkb: np.ndarray) -> tuple[np.ndarray, list[tuple[int, str]], list[int]]:
    """Geometries decoded one by one: closing unclosed rings, reporting the undecodable."""
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    broken: list[tuple[int, str]] = []
    repaired: list[int] = []
    for pos in np.flatnonzero(shapely.is_missing(geoms) & (wkb != None)):  # noqa: E711
        blob = wkb[pos]
        try:
            shapely.from_wkb(blob)
        except shapely.errors.GEOSException as exc:
            error = str(exc)
        else:  # pragma: no cover - decodes alone but not in the batch
            error = "shapely could not decode it"
        fixed = shapely.from_wkb(blob, on_invalid="fix")
        short = _short_ring(fixed) if fixed is not None else None
        if fixed is not None and short is None:
            geoms[pos] = fixed
            repaired.append(int(pos))
        elif short is not None:
            broken.append(
                (int(pos), f"a ring has only {short} position(s); a ring needs 4 or more")
            )
        else:
            broken.append(
                (int(pos), f"its geometry ({len(blob)} bytes of WKB) is corrupt: {error}")
            )
    return geoms, broken, repaired


def _short_ring(geom: shapely.Geometry) -> int | None:
    """Positions of the first ring too short to bound an area, before closing, if any."""
    polygons = shapely.get_parts(geom) if geom.geom_type.startswith("Multi") else [geom]
    for polygon in polygons:
        if polygon.geom_type != "Polygon":
            continue
        for ring in shapely.get_rings(polygon):
            n = shapely.get_num_coordinates(ring)
            if n < 4:
                return int(n) - 1  # "fix" added the closing position
    return None


def _unread_geometries(
    path: Path, layer: str | None, text: str | None, nulls: list[int], fids: np.ndarray
) -> dict[int, str]:
    """Which null geometries the file does hold, with why: GDAL could not read them."""
    suffix = path.suffix.lower()
    shapefile = path if suffix == ".shp" else _folder_shapefile(path, layer)
    held: Callable[[int], str | None]
    if suffix == ".gpkg":
        held = _gpkg_blobs(path, layer, fids)
    elif shapefile is not None:
        held = _shp_records(shapefile, fids)
    elif text is not None:
        held = _geojson_geometries(text, len(fids))
    else:
        return {}
    out = {}
    for pos in nulls:
        why = held(pos)
        if why is not None:
            out[pos] = why
    return out


def _gpkg_blobs(path: Path, layer: str | None, fids: np.ndarray) -> Callable[[int], str | None]:
    import pyogrio

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        info = pyogrio.read_info(path, layer=layer)
        table = layer or str(pyogrio.list_layers(path)[0][0])
    fid_column = info.get("fid_column") or "fid"
    geometry = info.get("geometry_name") or "geom"
    query = (
        f'SELECT "{fid_column}", length("{geometry}") FROM "{table}" WHERE "{geometry}" IS NOT NULL'
    )
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        sizes = dict(con.execute(query).fetchall())

    def held(pos: int) -> str | None:
        size = sizes.get(int(fids[pos]))
        if size is None:
            return None
        return f"its geometry blob ({size} bytes, fid {int(fids[pos])}) could not be decoded"

    return held


def _shp_records(path: Path, fids: np.ndarray) -> Callable[[int], str | None]:
    """Shape type of each record of a .shp, from the offsets in its .shx (0 = null shape)."""
    shx = _sibling(path, ".shx")
    types: dict[int, int] = {}
    if shx is not None:
        index = shx.read_bytes()[100:]
        with path.open("rb") as shp:
            for record in range(len(index) // 8):
                (offset,) = struct.unpack(">i", index[8 * record : 8 * record + 4])
                shp.seek(2 * offset + 8)
                head = shp.read(4)
                types[record] = struct.unpack("<i", head)[0] if len(head) == 4 else -1

    def held(pos: int) -> str | None:
        kind = types.get(int(fids[pos]))
        if kind == 0 or kind is None:
            return None
        return f"its shape record (type {kind}) is corrupt and could not be decoded"

    return held


def _geojson_geometries(text: str, count: int) -> Callable[[int], str | None]:
    try:
        features = json.loads(text).get("features", [])
    except (ValueError, AttributeError):
        features = []
    if len(features) != count:
        features = []

    def held(pos: int) -> str | None:
        if not features or not isinstance(features[pos], dict):
            return None
        geometry = features[pos].get("geometry")
        if geometry is None:
            return None
        shown = json.dumps(geometry, ensure_ascii=False)
        shown = shown if len(shown) <= 80 else shown[:80] + "…"
        return f"its geometry {shown} could not be read"

    return held


def _read_parquet(path: Path, decisions: list[str]) -> _Raw:
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_schema(path).metadata or {}
    except Exception as exc:
        msg = f"{path}: cannot be read as Parquet ({exc})"
        raise InputError(msg) from None
    if b"geo" not in metadata:
        msg = (
            f"{path}: a Parquet file without GeoParquet metadata; "
            "write it with geopandas.to_parquet"
        )
        raise InputError(msg)
    geo = json.loads(metadata[b"geo"])
    column = geo["primary_column"]
    column_meta = geo["columns"][column]
    if "crs" not in column_meta:
        origin = (
            "the GeoParquet default (OGC:CRS84, longitude and latitude): the metadata names none"
        )
    else:
        origin = "from the GeoParquet metadata"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = gpd.read_parquet(path)
            broken: list[tuple[int, str]] = []
            repaired: list[int] = []
        except shapely.errors.GEOSException:
            frame, broken, repaired = _parquet_by_feature(path, column, column_meta)
    for note in dict.fromkeys(str(w.message) for w in caught):
        decisions.append(f"reading GeoParquet warned: {note}")
    if not isinstance(frame.index, pd.RangeIndex):
        decisions.append(f"the stored index {frame.index.name or ''!s} became a column")
        frame = frame.reset_index()
    return _Raw(frame.reset_index(drop=True), origin, broken, repaired)


def _parquet_by_feature(
    path: Path, column: str, column_meta: dict
) -> tuple[gpd.GeoDataFrame, list[tuple[int, str]], list[int]]:
    import pyarrow.parquet as pq

    if str(column_meta.get("encoding", "WKB")).upper() != "WKB":
        msg = (
            f"{path}: geometry encoding {column_meta['encoding']!r} cannot be decoded "
            "feature by feature"
        )
        raise InputError(msg)
    table = pq.read_table(path)
    wkb = np.array(table.column(column).to_pylist(), dtype=object)
    geoms, broken, repaired = _decode_wkb(wkb)
    attrs = table.drop_columns([column]).to_pandas()
    crs_meta = column_meta.get("crs", "OGC:CRS84")
    crs = None if crs_meta is None else CRS.from_user_input(crs_meta)
    frame = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index), crs=crs)
    return frame, broken, repaired


def _settle_crs(
    frame: gpd.GeoDataFrame,
    crs: str | int | CRS | None,
    origin: str,
    path: Path,
    decisions: list[str],
) -> gpd.GeoDataFrame:
    declared = frame.crs
    if crs is not None:
        try:
            given = CRS.from_user_input(crs)
        except CRSError as exc:
            msg = (
                f"--crs {crs!r} is not a CRS pyproj knows ({exc}); "
                "give it as EPSG:NNNN, e.g. EPSG:4544"
            )
            raise InputError(msg) from None
        if declared is None:
            decisions.append(f"CRS {_crs_name(given)}: given with --crs; the file declares none")
        elif declared == given:
            decisions.append(f"CRS {_crs_name(given)}: given with --crs, as the file declares")
        else:
            decisions.append(
                f"CRS {_crs_name(given)}: given with --crs, instead of the file's "
                f"{_crs_name(declared)}; coordinates taken as they are, not reprojected"
            )
        return frame.set_crs(given, allow_override=True)
    if declared is None:
        what = " (no .prj beside it)" if path.suffix.lower() == ".shp" else ""
        present = frame.geometry.dropna()
        hint = ""
        if len(present):
            guess = suggest_crs(tuple(present.total_bounds))
            if guess is not None:
                hint = f" The coordinates would fit --crs EPSG:{guess.to_epsg()} ({guess.name})."
        msg = (
            f"{path}: the layer declares no coordinate reference system{what}, and parkgis never "
            "guesses one. Give the CRS the survey office used, e.g. --crs EPSG:4544 "
            f"(CGCS2000 / 3-degree Gauss-Kruger CM 105E) or --crs EPSG:4490 (CGCS2000 "
            f"longitude, latitude).{hint}"
        )
        raise CRSMissingError(msg)
    decisions.append(f"CRS {_crs_name(declared)}: {origin}")
    return frame


def _crs_origin(shapefile: bool, text: str | None) -> str:
    if shapefile:
        return "from the .prj"
    if text is not None and '"crs"' not in text[:65536]:
        return "the GeoJSON default (RFC 7946: WGS 84 longitude, latitude); the file declares none"
    return "declared in the file"


def _id_column(
    frame: gpd.GeoDataFrame, id_field: str | None, source: str, decisions: list[str]
) -> str | None:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if id_field is not None:
        if id_field not in columns:
            msg = (
                f"{source}: no field {id_field!r} for --id-field; "
                f"its fields: {', '.join(map(str, columns))}"
            )
            raise InputError(msg)
        decisions.append(f"id field {id_field!r}: given with --id-field")
        return id_field
    mapping, _ = TABLES["parcels"].match_columns(list(map(str, columns)))
    hit = next((c for c, name in mapping.items() if name == "parcel_id"), None)
    if hit is not None:
        decisions.append(f"id field {hit!r}: its name matches parcel_id")
    else:
        decisions.append("no id field found (none given, none named like a parcel id)")
    return hit




def _name(feature: int, ident: str | None) -> str:
    return f"feature {feature}" + (f" (id {ident})" if ident else "")


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:_LISTED])
    return shown + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def _sibling(path: Path, suffix: str) -> Path | None:
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    return None
