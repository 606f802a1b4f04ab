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
- a feature whose geometry cannot be read right does not lose the file: the
  rest load, and the broken one is kept without a geometry (so that nothing
  measures it) and reported by number and id (:class:`BrokenFeature`, which
  validate lists as ``broken_geometry``). Broken are: geometries that cannot
  be decoded; coordinates that are NaN or infinite; a polygon with fewer than
  3 distinct corners, or all of them on one line (it encloses no area); a
  ring that is not closed and whose last point is more than
  :data:`UNCLOSED_MAX_M` (1 m) from its first (closing it by a straight line
  could cut off part of the parcel: a truncated ring, or corners listed
  without the closing one, cannot be told apart); a feature whose
  coordinates cannot be right for the CRS while the rest of the layer's are
  (a longitude jumping across the antimeridian, a vertex at 0, 0);
- a ring whose last point is within 1 m of its first is closed by repeating
  its first point and flagged (:class:`FeatureWarning`, ``unclosed_ring``,
  with the gap in metres);
- curves (CurvePolygon, CompoundCurve, MultiSurface, as CAD and FME write
  GeoPackages and FileGDBs) are linearised by GDAL, an arc cut every
  :data:`ARC_STEP_DEG` degrees, and flagged per feature
  (``curved_geometry``) with the estimated difference from the true curve's
  area; geometries that decode but are invalid are kept for validation to
  report;
- a ``--crs`` that disagrees with the CRS the file declares is refused
  unless ``override_crs`` says it replaces it; ``swap_axes`` swaps x and y
  (latitude/longitude files, surveyors' X/Y) before anything is checked;
- a file parkgis cannot read as a layer (a ``.txt``, a ``.docx``, a ``.zip``
  holding no shapefile, a CSV ledger) is refused naming what it holds and
  what parkgis reads.

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
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from parkgis.errors import CRSMissingError, EncodingError, InputError
from parkgis.io.encoding import EncodingChoice, detect_shapefile_encoding, detect_text_encoding
from parkgis.io.formats import read_special
from parkgis.measure.crs import check_coordinates, diagnose_coordinates, suggest_crs
from parkgis.model.schema import TABLES
from parkgis.model.values import id_text

__all__ = [
    "ARC_STEP_DEG",
    "READABLE",
    "UNCLOSED_MAX_M",
    "BrokenFeature",
    "FeatureWarning",
    "LayerRead",
    "read_layer",
]

UNCLOSED_MAX_M = 1.0
"""An unclosed ring whose last point is farther than this from its first is broken."""
ARC_STEP_DEG = 0.5
"""Curves are linearised with a point every this many degrees of arc (GDAL's default is 4)."""
READABLE = (
    "a Shapefile (.shp with its .dbf, .shx and .prj, or a .zip of them), a GeoPackage "
    "(.gpkg), GeoJSON (.geojson), FlatGeobuf (.fgb), GeoParquet (.parquet), an Esri FileGDB "
    "folder (.gdb, a layer as PATH:LAYER), a CAD drawing (.dxf, with --crs) or KML/KMZ"
)
"""What parkgis reads as a layer, for messages."""
_READABLE_ZH = (
    "Shapefile（.shp 及同名 .dbf、.shx、.prj，或它们的 .zip 压缩包）、GeoPackage（.gpkg）、"
    "GeoJSON（.geojson）、FlatGeobuf（.fgb）、GeoParquet（.parquet）、Esri FileGDB 文件夹"
    "（.gdb，图层写作 路径:图层名）、CAD 图（.dxf，须给 --crs）或 KML/KMZ"
)
_LEDGERS = {".csv", ".xlsx", ".xlsm", ".xls"}
_COARSE_STEP_DEG = 4.0  # GDAL's default arc step, read again to estimate the linearisation error
_LINEAR_TYPES = {
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
}
_GEOJSON = {".geojson", ".json"}
_PARQUET = {".parquet", ".geoparquet"}
_UNCLOSED = "Non closed ring detected"
# Read as Latin-1, every byte is one character: nothing fails to decode.
_LATIN1 = "ISO-8859-1"
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
    reason_zh: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FeatureWarning:
    """A feature read with a doubt: its geometry was repaired or approximated.

    Attributes
    ----------
    feature
        Its number in the file, from 1.
    id
        Its id, if the layer has an id field.
    code
        The problem code validate reports it under (``unclosed_ring``,
        ``curved_geometry``).
    reason, reason_zh
        What was done and how much it matters, in English and Chinese.
    """

    feature: int
    id: str | None
    code: str
    reason: str
    reason_zh: str | None = field(default=None, compare=False)


@dataclass
class LayerRead:
    """A layer as read, with every decision taken on the way.

    Attributes
    ----------
    frame
        The features, with the file's column names (mapping them to canonical
        fields is the caller's job) and a CRS. Its index is each feature's
        position in the file (feature number - 1); broken features are kept,
        with no geometry.
    source
        The file (and layer) read, for messages.
    decisions
        One sentence per decision: encoding, CRS, layer, id field, repairs.
    broken
        Features whose geometry could not be read right (kept without one).
    warned
        Features read with a doubt (a ring closed, a curve linearised).
    id_field
        The column that identifies features (given, or found by name), if any.
    """

    frame: gpd.GeoDataFrame
    source: str
    decisions: list[str] = field(default_factory=list)
    broken: list[BrokenFeature] = field(default_factory=list)
    id_field: str | None = None
    warned: list[FeatureWarning] = field(default_factory=list)


_Ends = tuple[tuple[float, float], tuple[float, float]]


@dataclass
class _Raw:
    """A layer before CRS and id decisions: geometries may be None."""

    frame: gpd.GeoDataFrame
    crs_origin: str
    broken: list[tuple[int, str, str]]  # position, reason, reason in Chinese
    # Positions of geometries whose rings were closed: the (first, last) points of each.
    unclosed: dict[int, list[_Ends]] = field(default_factory=dict)
    # Positions of curved geometries: (OGR type, the same linearised at GDAL's default step).
    curved: dict[int, tuple[str, shapely.Geometry]] = field(default_factory=dict)
    # The encoding decided for the text, when parkgis decided one.
    encoding: EncodingChoice | None = None
    # Features read with a doubt by a format reader of its own (parkgis.io.formats).
    warned: dict[int, tuple[str, str, str]] = field(default_factory=dict)


def read_layer(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | int | CRS | None = None,
    encoding: str | None = None,
    id_field: str | None = None,
    override_crs: bool = False,
    swap_axes: bool = False,
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
        Required when the file declares none. When the file declares the
        same one, the decision says so; when it declares another, the file
        is refused unless ``override_crs``.
    encoding
        The text encoding (``--encoding``) of a shapefile or GeoJSON; it wins
        over anything the file says. Other formats are UTF-8 by definition.
    id_field
        The column that identifies features (``--id-field``). Without it, a
        column whose name matches ``parcel_id`` is used to name broken
        features, if there is one.
    override_crs
        Take ``crs`` instead of the CRS the file declares (``--override-crs``):
        the coordinates are taken as they are, not reprojected.
    swap_axes
        Swap x and y of every coordinate (``--swap-axes``): files written
        latitude first, or with the surveyors' X (northing) first.

    Returns
    -------
    LayerRead

    Raises
    ------
    InputError
        When the file cannot be opened, when it has several layers and none
        is given, when ``layer`` or ``id_field`` does not exist, or when
        ``crs`` disagrees with the file's CRS without ``override_crs``.
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
        raise InputError(msg, zh=f"{path}：文件或文件夹不存在")
    decisions: list[str] = []
    suffix = path.suffix.lower()
    source = str(path)
    special = read_special(path, layer=layer, crs=crs, encoding=encoding)
    if special is not None:  # DXF, KML/KMZ ...: parkgis.io.formats, then the common checks
        decisions += special.decisions
        source = special.source
        raw = _Raw(special.frame, special.crs_origin, special.broken, warned=special.warned)
    elif suffix in _PARQUET:
        if encoding is not None:
            decisions.append(f"--encoding {encoding} ignored: GeoParquet text is always UTF-8")
        raw = _read_parquet(path, decisions)
    else:
        _refuse_non_layer(path)
        opened = _zip_folder(path) if suffix == ".zip" else str(path)
        chosen = _choose_layer(path, opened, layer, decisions)
        if chosen is not None:
            source = f"{path} layer {chosen!r}"
        raw = _read_gdal(path, opened, layer=chosen, encoding=encoding, decisions=decisions)
    frame = raw.frame
    if frame.geometry.name != "geometry":
        decisions.append(f"geometry column {frame.geometry.name!r} renamed 'geometry'")
        frame = frame.rename_geometry("geometry")
    id_col = _id_column(frame, id_field, source, decisions)
    ids = [id_text(v) for v in frame[id_col]] if id_col else [None] * len(frame)
    frame = _settle_crs(frame, crs, raw.crs_origin, path, decisions, override=override_crs)
    geoms = np.asarray(frame.geometry.array, dtype=object).copy()
    unclosed = raw.unclosed
    if swap_axes:
        geoms = _swapped(geoms)
        unclosed = {p: [(a[::-1], b[::-1]) for a, b in ends] for p, ends in unclosed.items()}
        decisions.append("x and y of every coordinate swapped (--swap-axes)")
    broken = {pos: (why, zh) for pos, why, zh in raw.broken}
    warned: dict[int, tuple[str, str, str]] = dict(raw.warned)
    broken.update({p: w for p, w in _unreadable_coordinates(geoms).items() if p not in broken})
    geoms[list(broken)] = None
    broken.update(_unshaped(geoms))
    _judge_unclosed(unclosed, frame.crs, broken, warned)
    geoms[list(broken)] = None
    declared = frame.crs is not None and not (crs is not None and override_crs)
    broken.update(_stray_features(geoms, frame.crs, where=source, declared=declared))
    geoms[list(broken)] = None
    _judge_curves(raw.curved, geoms, frame.crs, broken, warned, decisions)
    _doubted_text(raw.encoding, len(geoms), warned)
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    read = LayerRead(
        frame,
        source,
        decisions,
        [BrokenFeature(p + 1, ids[p], *broken[p]) for p in sorted(broken)],
        id_col,
        [FeatureWarning(p + 1, ids[p], *warned[p]) for p in sorted(warned)],
    )
    _decide(read, ids, set(broken))
    return read


def _decide(read: LayerRead, ids: list[str | None], broken: set[int]) -> None:
    """Say in the decisions which features were flagged, kept without geometry, or have none."""
    for code, what in (
        ("unclosed_ring", "had a ring that was not closed; closed it by repeating its first point"),
        ("curved_geometry", "had curves (arcs); linearised them"),
    ):
        named = [_name(w.feature, w.id) for w in read.warned if w.code == code]
        if named:
            read.decisions.append(f"{len(named)} feature(s) {what}: {_listing(named)}")
    if read.broken:
        read.decisions.append(
            f"{len(read.broken)} feature(s) kept without a geometry, theirs cannot be read right: "
            + _listing([_name(b.feature, b.id) for b in read.broken])
        )
    frame = read.frame
    missing = [p for p in np.flatnonzero(frame.geometry.isna().to_numpy()) if p not in broken]
    if missing:
        read.decisions.append(
            f"{len(missing)} feature(s) have no geometry in the file, kept without one for "
            "validation to report: " + _listing([_name(p + 1, ids[p]) for p in missing])
        )
    present = frame.geometry.dropna()
    if not len(present[~present.is_empty]):
        read.decisions.append("no geometries: coordinates not checked against the CRS")


def _choose_layer(path: Path, opened: str, layer: str | None, decisions: list[str]) -> str | None:
    import pyogrio

    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            listed = pyogrio.list_layers(opened)
    except Exception as exc:
        raise _not_a_layer(path, *_what_it_is(path, exc)) from None
    names = [str(name) for name, _ in listed]
    spatial = [str(name) for name, kind in listed if kind is not None]
    if layer is not None:
        if layer not in names:
            msg = (
                f"{path}: no layer {layer!r}; its layers are {', '.join(names)}; "
                f"choose one as {path}:LAYER or with --layer LAYER"
            )
            zh = (
                f"{path}：没有图层 {layer!r}；它的图层有 {', '.join(names)}；"
                f"请写成 {path}:图层名，或用 --layer 图层名 选择"
            )
            raise InputError(msg, zh=zh)
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
        f"{path} holds {len(spatial)} layers with geometry: {listing}; choose one as "
        f"{path}:{spatial[0]} or with --layer {spatial[0]}"
    )
    zh = (
        f"{path} 有 {len(spatial)} 个含几何的图层：{listing}；请选择一个，写成 "
        f"{path}:{spatial[0]}，或用 --layer {spatial[0]}"
    )
    raise InputError(msg, zh=zh)


def _read_gdal(
    path: Path, opened: str, *, layer: str | None, encoding: str | None, decisions: list[str]
) -> _Raw:
    import pyogrio

    suffix = path.suffix.lower()
    source: str | bytes = opened
    text: str | None = None
    shapefile = path if suffix == ".shp" else _folder_shapefile(path, layer)
    choice: EncodingChoice | None = None
    if shapefile is not None:
        if _sibling(shapefile, ".dbf") is None:
            decisions.append(f"{shapefile.name} has no .dbf beside it: no attributes")
        else:
            choice = detect_shapefile_encoding(shapefile, override=encoding)
            decisions.append(f"encoding {choice.encoding}: {choice.reason}")
            encoding = _LATIN1 if choice.cut_names else choice.encoding
    elif suffix == ".zip":
        choice = _zipped_shapefile_encoding(path, layer, encoding, decisions)
        if choice is not None:
            encoding = _LATIN1 if choice.cut_names else choice.encoding
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

    nonlinear = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pyogrio.read_dataframe(
                source, layer=layer, encoding=encoding, use_arrow=True, fid_as_index=True
            )
        except shapely.errors.GEOSException:
            frame = None  # one geometry spoiled the whole decode: go feature by feature
        except NotImplementedError:
            frame, nonlinear = None, True  # curves: GDAL linearises them below
        except Exception as exc:
            msg = f"{path}: cannot be read ({exc})"
            raise InputError(msg, zh=f"{path}：无法读取（{exc}）") from None
        curved: dict[int, tuple[str, shapely.Geometry]] = {}
        if frame is None:
            frame = pyogrio.read_dataframe(
                source,
                layer=layer,
                encoding=encoding,
                read_geometry=False,
                use_arrow=True,
                fid_as_index=True,
            )
            with _arc_step(ARC_STEP_DEG):  # the non-Arrow read linearises curves
                meta, _, wkb, _ = pyogrio.raw.read(source, layer=layer, columns=[])
            crs = meta["crs"]
            geoms, broken, unclosed = _decode_wkb(np.asarray(wkb, dtype=object))
            if nonlinear:
                curved = _curved_features(source, layer or _only_layer_name(source), geoms)
        elif not isinstance(frame, gpd.GeoDataFrame):
            raise _table_not_layer(path)
        else:
            crs = frame.crs
            geoms = np.asarray(frame.geometry.array, dtype=object)
            broken, unclosed = [], {}
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if choice is not None and choice.cut_names:
        frame = _recoded(frame, choice)
    fids = frame.index.to_numpy()
    nulls = [int(i) for i in np.flatnonzero(shapely.is_missing(geoms))]
    failed = {pos for pos, *_ in broken}
    nulls = [i for i in nulls if i not in failed]
    if nulls:
        lost = _unread_geometries(path, layer, text, nulls, fids)
        broken = sorted(
            [
                *broken,
                *((p, why, f"其几何数据已损坏，无法解码（{why}）") for p, why in lost.items()),
            ]
        )
    # The same warning comes once per read: report each once.
    for note in dict.fromkeys(str(w.message) for w in caught):
        if not (unclosed and note.startswith(_UNCLOSED)):  # else reported feature by feature
            decisions.append(f"GDAL warned: {note}")
    attrs = frame.reset_index(drop=True)
    out = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index), crs=crs)
    return _Raw(out, _crs_origin(shapefile is not None, text), broken, unclosed, curved, choice)


def _recoded(frame: pd.DataFrame, choice: EncodingChoice) -> pd.DataFrame:
    """Attributes read as Latin-1 (each byte one character), decoded as ``choice`` says.

    A shapefile is read so when a field name was cut inside a character: GDAL
    cannot decode such a name, and this names the column as the decision says.
    """
    cut = dict(choice.cut_names)

    def decoded(value: object) -> object:
        return value.encode(_LATIN1).decode(choice.encoding) if isinstance(value, str) else value

    def name(column: object) -> object:
        if not isinstance(column, str):
            return column
        raw = column.encode(_LATIN1)
        return cut.get(raw) or raw.decode(choice.encoding)

    out = frame.rename(columns=name)
    for column in out.columns:
        if pd.api.types.is_object_dtype(out[column]) or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(decoded).astype(object)
    return out


def _doubted_text(
    choice: EncodingChoice | None, count: int, warned: dict[int, tuple[str, str, str]]
) -> None:
    """Flag the feature whose text the encoding's warning points at (text read as Big5)."""
    if choice is None or choice.warning is None or not count:
        return
    _, record = choice.warning_at or ("", None)
    position = min(max((record or 1) - 1, 0), count - 1)
    if position not in warned:
        warned[position] = ("doubtful_value", choice.warning, choice.warning_zh or choice.warning)


@contextmanager
def _arc_step(degrees: float) -> Iterator[None]:
    """GDAL's OGR_ARC_STEPSIZE (degrees of arc between points of a linearised curve)."""
    import pyogrio

    before = pyogrio.get_gdal_config_option("OGR_ARC_STEPSIZE")
    pyogrio.set_gdal_config_options({"OGR_ARC_STEPSIZE": str(degrees)})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_ARC_STEPSIZE": before})


def _only_layer_name(source: str | bytes) -> str:
    import pyogrio

    return str(pyogrio.list_layers(source)[0][0])


def _curved_features(
    source: str | bytes, layer: str, fine: np.ndarray
) -> dict[int, tuple[str, shapely.Geometry]]:
    """Features GDAL gives as curves: their type, and the geometry at GDAL's default step.

    Read only when the Arrow reader refused the layer for its curves: OGR SQL's
    ``OGR_GEOMETRY`` names each feature's type, and a second read at the
    coarse step lets the linearisation error be estimated.
    """
    import pyogrio

    if isinstance(source, bytes):
        return {}
    name = layer.replace('"', '""')
    kinds = pyogrio.read_dataframe(
        source,
        sql=f'SELECT OGR_GEOMETRY FROM "{name}"',
        sql_dialect="OGRSQL",
        read_geometry=False,
        use_arrow=False,
    )["OGR_GEOMETRY"].tolist()
    positions = [
        i
        for i, kind in enumerate(kinds)
        if kind and str(kind).split()[0].upper() not in _LINEAR_TYPES
    ]
    if not positions or len(kinds) != len(fine):
        return {}
    with _arc_step(_COARSE_STEP_DEG):
        _, _, wkb, _ = pyogrio.raw.read(source, layer=layer, columns=[])
    coarse = shapely.from_wkb(np.asarray(wkb, dtype=object), on_invalid="ignore")
    return {i: (str(kinds[i]), coarse[i]) for i in positions}


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
) -> EncodingChoice | None:
    """The encoding of the shapefile GDAL reads from a zip archive, decided as for a file."""
    with zipfile.ZipFile(path) as archive:
        members = {PurePosixPath(n): n for n in archive.namelist()}
        dbfs = [m for m in members if m.suffix.lower() == ".dbf"]
        if layer is not None:
            dbfs = [m for m in dbfs if m.stem == layer]
        if len(dbfs) != 1:
            return None
        with tempfile.TemporaryDirectory() as folder:
            for member in members:
                beside = member.parent == dbfs[0].parent and member.stem == dbfs[0].stem
                if beside and member.suffix.lower() in {".dbf", ".cpg"}:
                    target = Path(folder) / f"layer{member.suffix.lower()}"
                    target.write_bytes(archive.read(members[member]))
            copied, named = str(Path(folder) / "layer.dbf"), f"{path}!{dbfs[0]}"
            try:
                choice = detect_shapefile_encoding(Path(folder) / "layer.shp", override=encoding)
            except EncodingError as exc:  # name the archive's member, not the copy
                zh = exc.zh.replace(copied, named) if exc.zh else None
                raise EncodingError(str(exc).replace(copied, named), zh=zh) from None
    choice = replace(
        choice,
        reason=choice.reason.replace(copied, named),
        warning=choice.warning and choice.warning.replace(copied, named),
        warning_zh=choice.warning_zh and choice.warning_zh.replace(copied, named),
    )
    decisions.append(f"encoding {choice.encoding}: {choice.reason}")
    return choice


def _folder_shapefile(path: Path, layer: str | None) -> Path | None:
    """The shapefile GDAL reads from a folder of shapefiles, if ``path`` is one."""
    if not path.is_dir():
        return None
    found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".shp")
    if layer is not None:
        found = [p for p in found if p.stem == layer]
    return found[0] if len(found) == 1 else None


def _decode_wkb(
    wkb: np.ndarray,
) -> tuple[np.ndarray, list[tuple[int, str, str]], dict[int, list[_Ends]]]:
    """Geometries decoded one by one: closing unclosed rings, reporting the undecodable.

    Returns the geometries, the broken ones (position, reason, reason in
    Chinese) and, for each geometry whose rings were closed, the first and
    last points of each unclosed ring.
    """
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    broken: list[tuple[int, str, str]] = []
    unclosed: dict[int, list[_Ends]] = {}
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
            unclosed[int(pos)] = _open_ring_ends(blob)
        elif short is not None:
            broken.append(
                (
                    int(pos),
                    f"a ring has only {short} position(s); a ring needs 4 or more",
                    f"有一个环只有 {short} 个坐标点，一个环至少需要 4 个",
                )
            )
        else:
            broken.append(
                (
                    int(pos),
                    f"its geometry ({len(blob)} bytes of WKB) is corrupt: {error}",
                    f"其几何数据（{len(blob)} 字节 WKB）已损坏：{error}",
                )
            )
    return geoms, broken, unclosed


def _open_ring_ends(blob: bytes) -> list[_Ends]:
    """First and last points of each ring of a WKB (Multi)Polygon that is not closed.

    A minimal reader of ISO and extended WKB (Z and M flags); anything else
    gives an empty list (the ring is then flagged without a gap).
    """
    out: list[_Ends] = []

    def polygon(offset: int) -> int:
        order = "<" if blob[offset] == 1 else ">"
        (kind,) = struct.unpack_from(f"{order}I", blob, offset + 1)
        base = kind & 0x0FFFFFFF
        iso = base // 1000  # ISO WKB: 1000 Z, 2000 M, 3000 ZM; EWKB: flag bits
        dims = (
            2 + bool(kind & 0x80000000 or iso in (1, 3)) + bool(kind & 0x40000000 or iso in (2, 3))
        )
        offset += 5 + (4 if kind & 0x20000000 else 0)
        if base % 1000 == 6:
            (count,) = struct.unpack_from(f"{order}I", blob, offset)
            offset += 4
            for _ in range(count):
                offset = polygon(offset)
            return offset
        if base % 1000 != 3:
            raise ValueError("not a polygon")
        (rings,) = struct.unpack_from(f"{order}I", blob, offset)
        offset += 4
        for _ in range(rings):
            (n,) = struct.unpack_from(f"{order}I", blob, offset)
            offset += 4
            size = 8 * dims
            first = struct.unpack_from(f"{order}2d", blob, offset)
            last = struct.unpack_from(f"{order}2d", blob, offset + size * (n - 1))
            if n and first != last:
                out.append((first, last))
            offset += size * n
        return offset

    try:
        polygon(0)
    except (ValueError, struct.error, IndexError):
        return []
    return out


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
            broken: list[tuple[int, str, str]] = []
            unclosed: dict[int, list[_Ends]] = {}
        except shapely.errors.GEOSException:
            frame, broken, unclosed = _parquet_by_feature(path, column, column_meta)
    for note in dict.fromkeys(str(w.message) for w in caught):
        decisions.append(f"reading GeoParquet warned: {note}")
    if not isinstance(frame.index, pd.RangeIndex):
        decisions.append(f"the stored index {frame.index.name or ''!s} became a column")
        frame = frame.reset_index()
    return _Raw(frame.reset_index(drop=True), origin, broken, unclosed)


def _parquet_by_feature(
    path: Path, column: str, column_meta: dict
) -> tuple[gpd.GeoDataFrame, list[tuple[int, str, str]], dict[int, list[_Ends]]]:
    import pyarrow.parquet as pq

    if str(column_meta.get("encoding", "WKB")).upper() != "WKB":
        msg = (
            f"{path}: geometry encoding {column_meta['encoding']!r} cannot be decoded "
            "feature by feature"
        )
        raise InputError(msg)
    table = pq.read_table(path)
    wkb = np.array(table.column(column).to_pylist(), dtype=object)
    geoms, broken, unclosed = _decode_wkb(wkb)
    attrs = table.drop_columns([column]).to_pandas()
    crs_meta = column_meta.get("crs", "OGC:CRS84")
    crs = None if crs_meta is None else CRS.from_user_input(crs_meta)
    frame = gpd.GeoDataFrame(attrs, geometry=gpd.GeoSeries(geoms, index=attrs.index), crs=crs)
    return frame, broken, unclosed


def _settle_crs(
    frame: gpd.GeoDataFrame,
    crs: str | int | CRS | None,
    origin: str,
    path: Path,
    decisions: list[str],
    *,
    override: bool = False,
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
            raise InputError(
                msg,
                zh=f"--crs {crs!r} 不是 pyproj 认识的坐标系（{exc}）；"
                "请写成 EPSG:NNNN，例如 EPSG:4544",
            ) from None
        if declared is None:
            decisions.append(f"CRS {_crs_name(given)}: given with --crs; the file declares none")
        elif _same_crs(declared, given):
            decisions.append(f"CRS {_crs_name(given)}: given with --crs, as the file declares")
            return frame
        elif override:
            decisions.append(
                f"CRS {_crs_name(given)}: given with --crs --override-crs, instead of the file's "
                f"{_crs_name(declared)}; coordinates taken as they are, not reprojected"
            )
        else:
            raise _crs_conflict(path, declared, given)
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


def _same_crs(a: CRS, b: CRS) -> bool:
    """The same CRS, however written (a .prj's ESRI WKT against an EPSG code)."""
    if a == b or a.equals(b, ignore_axis_order=True):
        return True
    epsg = a.to_epsg(min_confidence=90)
    return epsg is not None and epsg == b.to_epsg(min_confidence=90)


def _crs_conflict(path: Path, declared: CRS, given: CRS) -> InputError:
    ours, theirs = _crs_name(given), _crs_name(declared)
    msg = (
        f"{path}: the file declares {theirs}, but --crs gives {ours}. parkgis does not "
        "replace a file's own CRS silently: drop --crs to read it as the file says, or, if the "
        f"file's CRS is wrong, add --override-crs to take {ours} instead (the coordinates are "
        "taken as they are, not reprojected)"
    )
    zh = (
        f"{path}：文件自带的坐标系是 {theirs}，但 --crs 给的是 {ours}。parkgis 不会悄悄替换"
        "文件自带的坐标系：去掉 --crs 即按文件所写读取；若文件的坐标系确实写错了，请加 "
        f"--override-crs 改用 {ours}（坐标按原值使用，不做投影转换）"
    )
    return InputError(msg, zh=zh)


def _refuse_non_layer(path: Path) -> None:
    """Refuse, naming what it holds, a file that is not a layer parkgis reads."""
    suffix = path.suffix.lower()
    if suffix in _LEDGERS:
        raise _table_not_layer(path)
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                members = [n for n in archive.namelist() if not n.endswith("/")]
        except (zipfile.BadZipFile, OSError) as exc:
            raise _not_a_layer(
                path, f"not a zip archive ({exc})", f"不是 zip 压缩包（{exc}）"
            ) from None
        layers = [m for m in members if PurePosixPath(m).suffix.lower() in {".shp", ".gpkg"}]
        if not layers:
            shown = _listing(members) if members else "nothing"
            raise _not_a_layer(
                path,
                f"the archive holds no shapefile (.shp), only: {shown}",
                f"压缩包里没有 shapefile（.shp），只有：{shown if members else '（空）'}",
            )


_KNOWN_KINDS = {
    ".txt": (
        "a text file that is not a 界址点坐标 TXT (it has no [地块坐标] section)",
        "文本文件，但不是界址点坐标交换格式 TXT（没有 [地块坐标] 节）",
    ),
    ".doc": ("a Word document", "Word 文档"),
    ".docx": ("a Word document", "Word 文档"),
    ".pdf": ("a PDF document", "PDF 文档"),
    ".dwg": (
        "a CAD drawing in DWG (GDAL reads DXF, not DWG)",
        "DWG 格式的 CAD 图（GDAL 只能读 DXF，不能读 DWG）",
    ),
}


def _what_it_is(path: Path, exc: Exception) -> tuple[str, str]:
    """What a file GDAL cannot open looks like, for the message (GDAL's own advice, such as
    a 'CSV:path' prefix, is not parkgis syntax and is left out)."""
    known = _KNOWN_KINDS.get(path.suffix.lower())
    if known is not None:
        return known
    if "not recognized as being in a supported file format" in str(exc):
        return "GDAL does not recognise its format", "GDAL 无法识别它的格式"
    return f"GDAL cannot open it ({exc})", f"GDAL 无法打开它（{exc}）"


def _not_a_layer(path: Path, found: str, found_zh: str) -> InputError:
    msg = f"{path}: not a layer parkgis can read: {found}. parkgis reads parcels from {READABLE}"
    zh = f"{path}：不是 parkgis 能读取的图层：{found_zh}。parkgis 读取的地块文件为{_READABLE_ZH}"
    return InputError(msg, zh=zh)


def _table_not_layer(path: Path) -> InputError:
    msg = (
        f"{path}: a table without geometry, not a layer of parcels. Give the parcels as "
        f"{READABLE}; a project ledger (CSV/XLSX) goes with 'parkgis validate PARK --projects "
        f"{path.name}' or into a park with 'parkgis import PARCELS {path.name} -o PARK'"
    )
    zh = (
        f"{path}：这是没有几何图形的表格，不是地块图层。地块请用{_READABLE_ZH}；项目台账"
        f"（CSV/XLSX）请用 'parkgis validate 园区 --projects {path.name}' 核对，或用 "
        f"'parkgis import 地块文件 {path.name} -o 园区' 导入"
    )
    return InputError(msg, zh=zh)


def _swapped(geoms: np.ndarray) -> np.ndarray:
    out = geoms.copy()
    present = ~shapely.is_missing(geoms)
    out[present] = shapely.transform(geoms[present], lambda xy: xy[:, ::-1])
    return out


def _unreadable_coordinates(geoms: np.ndarray) -> dict[int, tuple[str, str]]:
    """Geometries with a NaN or infinite x or y: the first such vertex of each."""
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    out: dict[int, tuple[str, str]] = {}
    if not bad.any():
        return out
    starts = np.searchsorted(index, np.arange(len(geoms)))
    for row in np.flatnonzero(bad):
        pos = int(index[row])
        if pos in out:
            continue
        vertex = int(row - starts[pos]) + 1
        x, y = (f"{float(v):.10g}" for v in coords[row])
        out[pos] = (
            f"vertex {vertex} is ({x}, {y}): a coordinate that is not a finite number; "
            "correct it in the source file",
            f"第 {vertex} 个顶点为 ({x}, {y})，坐标不是有限数值；请在源文件中修正",
        )
    return out


def _unshaped(geoms: np.ndarray) -> dict[int, tuple[str, str]]:
    """Polygons with fewer than 3 distinct corners, or all of them on one line."""
    out: dict[int, tuple[str, str]] = {}
    polygonal = np.flatnonzero(np.isin(shapely.get_type_id(geoms), (3, 6)))
    for pos in polygonal:
        for part, polygon in enumerate(shapely.get_parts(geoms[pos]), start=1):
            where = f"part {part}: " if shapely.get_num_geometries(geoms[pos]) > 1 else ""
            where_zh = f"第 {part} 部分" if where else ""
            ring = shapely.get_exterior_ring(polygon)
            xy = shapely.get_coordinates(ring)
            if not len(xy):
                continue  # an empty part: validate reports empty geometries
            corners = len(np.unique(xy, axis=0))
            if corners < 3:
                out[int(pos)] = (
                    f"{where}its ring has only {corners} distinct point(s): a polygon needs 3 or "
                    "more corners to enclose land; redraw it in the source file",
                    f"{where_zh}的环只有 {corners} 个不同的点，多边形至少要 3 个角点才能围出面积；"
                    "请在源文件中重新勾绘",
                )
                break
            span = float(np.ptp(xy, axis=0).max())
            if shapely.area(shapely.convex_hull(ring)) <= 1e-9 * span * span:
                out[int(pos)] = (
                    f"{where}all its {corners} points lie on one line: it encloses no area; "
                    "redraw it in the source file",
                    f"{where_zh}的 {corners} 个点都在一条直线上，围不出面积；请在源文件中重新勾绘",
                )
                break
    return out


def _gap_m(ends: _Ends, crs: CRS | None) -> float:
    """Distance from the last point of a ring to its first, in metres (NaN without a CRS)."""
    (x0, y0), (x1, y1) = ends
    if crs is None:
        return float("nan")
    if crs.is_geographic:
        from pyproj import Geod

        return float(Geod(ellps="GRS80").inv(x1, y1, x0, y0)[2])
    factor = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return float(np.hypot(x1 - x0, y1 - y0) * factor)


def _judge_unclosed(
    unclosed: dict[int, list[_Ends]],
    crs: CRS | None,
    broken: dict[int, tuple[str, str]],
    warned: dict[int, tuple[str, str, str]],
) -> None:
    """A ring left open by at most :data:`UNCLOSED_MAX_M` is closed and flagged; more is broken."""
    for pos, ends in unclosed.items():
        if pos in broken:
            continue
        gaps = [_gap_m(e, crs) for e in ends]
        gap = max(gaps, default=float("nan"))
        if gap > UNCLOSED_MAX_M:
            broken[pos] = (
                f"a ring is not closed: its last point is {gap:.2f} m from its first. Closing it "
                "with a straight line could cut off part of the parcel, so it is not measured; "
                "in the source file, repeat the first point at the end of the ring if the ring "
                "lists every corner, or redraw it",
                f"有一个环未闭合：末点距首点 {gap:.2f} 米。用直线闭合可能切掉地块的一部分，"
                "因此不计面积；若该环已列出所有角点，请在源文件中于环末重复首点，否则请重新勾绘",
            )
            continue
        shown = f"{gap:.3f} m" if np.isfinite(gap) else "an unknown distance"
        warned[pos] = (
            "unclosed_ring",
            f"a ring was not closed (its last point {shown} from its first); closed by "
            "repeating its first point, and measured so; close it in the source file",
            f"有一个环未闭合（末点距首点 {shown.replace(' m', ' 米')}）；已重复首点将其闭合并按此"
            "计算面积；请在源文件中闭合",
        )


def _stray_features(
    geoms: np.ndarray, crs: CRS | None, *, where: str, declared: bool
) -> dict[int, tuple[str, str]]:
    """Features whose coordinates cannot be right for the CRS while the others' are.

    When no feature is right the whole layer is refused
    (:class:`~parkgis.errors.SuspectCoordinatesError`): the CRS is wrong, not a feature.
    """
    present = np.flatnonzero(~shapely.is_missing(geoms) & ~shapely.is_empty(geoms))
    if crs is None or not len(present):
        return {}
    bounds = shapely.bounds(geoms[present])
    total = (*bounds[:, :2].min(axis=0), *bounds[:, 2:].max(axis=0))
    if diagnose_coordinates(tuple(map(float, total)), crs) is None:
        return {}
    checks = {
        int(p): diagnose_coordinates(tuple(map(float, b)), crs)
        for p, b in zip(present, bounds, strict=True)
    }
    good = [p for p, c in checks.items() if c is None]
    if not good:
        check_coordinates(tuple(map(float, total)), crs, where=where, declared=declared)
    out = {}
    for pos, check in checks.items():
        if check is None:
            continue
        x0, y0, x1, y1 = shapely.bounds(geoms[pos])
        out[pos] = (
            f"its coordinates ({x0:.6g}, {y0:.6g}) .. ({x1:.6g}, {y1:.6g}) cannot be right for "
            f"{_crs_name(crs)}, where the layer's other features lie: {check.reason}; correct "
            "the feature in the source file",
            f"其坐标 ({x0:.6g}, {y0:.6g}) .. ({x1:.6g}, {y1:.6g}) 与 {_crs_name(crs)} 不符，"
            f"而图层中其他要素都相符：{check.reason}；请在源文件中修正该要素",
        )
    rest = bounds[[i for i, p in enumerate(present) if p in good]]
    kept = (*rest[:, :2].min(axis=0), *rest[:, 2:].max(axis=0))
    check_coordinates(tuple(map(float, kept)), crs, where=where, declared=declared)
    return out


def _judge_curves(
    curved: dict[int, tuple[str, shapely.Geometry]],
    geoms: np.ndarray,
    crs: CRS | None,
    broken: dict[int, tuple[str, str]],
    warned: dict[int, tuple[str, str, str]],
    decisions: list[str],
) -> None:
    """Flag each linearised curve with the estimated difference from the true curve's area.

    The chords of an arc cut every θ degrees miss an area proportional to θ²,
    so the areas at GDAL's default step (4°) and at :data:`ARC_STEP_DEG`
    (0.5°) give the error left at 0.5° as their difference × 0.25 / (16 - 0.25)
    (Richardson's extrapolation).
    """
    from parkgis.measure.area import gross_area_mu

    for pos, (kind, coarse) in curved.items():
        if pos in broken or geoms[pos] is None:
            continue
        if coarse is not None and shapely.equals_exact(coarse, geoms[pos], tolerance=0):
            decisions.append(
                f"feature {pos + 1}: a {kind} without arcs, read as {geoms[pos].geom_type}"
            )
            continue
        estimate, estimate_zh = "", ""
        if coarse is not None and crs is not None:
            fine_mu, coarse_mu = gross_area_mu(gpd.GeoSeries([geoms[pos], coarse], crs=crs))
            ratio = ARC_STEP_DEG**2 / (_COARSE_STEP_DEG**2 - ARC_STEP_DEG**2)
            error = abs(fine_mu - coarse_mu) * ratio
            estimate = (
                f"; its area, {fine_mu:.4f} mu, differs from the curve's by about {error:.4f} mu"
            )
            estimate_zh = f"；面积 {fine_mu:.4f} 亩，与曲线的真实面积约差 {error:.4f} 亩"
        warned[pos] = (
            "curved_geometry",
            f"a {kind} (curves, as CAD and FME write them): its arcs were replaced by straight "
            f"segments every {ARC_STEP_DEG}° of arc{estimate}",
            f"为 {kind}（含圆弧的曲线几何，CAD/FME 常这样导出）：圆弧已按每 {ARC_STEP_DEG}° "
            f"一段折线化{estimate_zh}",
        )


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
