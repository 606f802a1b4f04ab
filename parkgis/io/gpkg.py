"""A park as one GeoPackage file: the embedded default store.

A park is one ``.gpkg`` file (e.g. ``data/parcels/yuanba.gpkg``), written
and changed with the standard library's :mod:`sqlite3`. GDAL, pyogrio and
QGIS open it as any GeoPackage:

=================  ==========  ================================================
table              kind        holds
=================  ==========  ================================================
parcels            features    today's parcels (public fields only)
constraints        features    what cannot be built on
parcel_versions    features    every earlier geometry of a parcel, with
                               ``valid_from``/``valid_to`` and the ``seq`` of
                               the ``geometry`` event that replaced it
retired_parcels    features    parcels retired from the park (a ``retired``
                               event), kept as they were, with ``retired_on``
projects           attributes  investment projects
allocations        attributes  project ↔ parcel allocations, in mu
targets            attributes  the year's targets and actuals
events             attributes  the history, append-only (triggers refuse
                               UPDATE and DELETE)
park               attributes  the manifest: name, title, private fields,
                               settings (JSON)
private_fields     attributes  the private fields of parcels, by parcel_id,
                               joined only when asked (``private=True``)
layer_styles       attributes  QGIS's default style of the parcels
=================  ==========  ================================================

Every change after creation is ONE SQLite transaction (``BEGIN IMMEDIATE``
in WAL mode, with a busy timeout): a crash, a power cut or SIGKILL at any
moment leaves the file as before or as after, and two writers wait for each
other instead of losing an update — on Linux and Windows alike, with no lock
file. A new park is built beside its target and renamed onto it.

``status set`` (:func:`record_park_changes`) reads no more than the rows it
changes: it UPDATEs them and INSERTs the events, in one transaction; so does
:func:`record_parcel_event` for one other change of a parcel (its project,
an attribute, its retirement).
``import --update`` (:func:`rewrite_park`) reads the park inside its
transaction, builds the new one, and writes only the differences: a changed
geometry moves the old one into ``parcel_versions``, a parcel that leaves the
park moves into ``retired_parcels`` — both only with the event that says so.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import struct
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from parkgis.errors import CRSMissingError, DataError, InputError
from parkgis.model.history import (
    ENTITIES,
    Event,
    StatusChange,
    choose_entity,
    events_frame,
    make_event,
    park_as_of,
    read_events_frame,
)
from parkgis.model.park import (
    EVENT_COLUMNS,
    VERSION_COLUMNS,
    Manifest,
    Park,
    empty_events,
    empty_layer,
    empty_table,
)
from parkgis.model.schema import TABLES, ValueIssue
from parkgis.model.values import ids_text

if TYPE_CHECKING:
    from parkgis.model.reshape import Reshape

__all__ = [
    "FORMAT",
    "create_park",
    "decode_geometries",
    "encode_geometries",
    "is_park_file",
    "read_park",
    "record_parcel_event",
    "record_park_changes",
    "record_reshape",
    "reshape_park",
    "rewrite_park",
    "write_park",
]

FORMAT = "parkgis-park-gpkg/1"
"""What the ``park`` table's ``format`` says: the layout of this module."""

_FEATURES = ("parcels", "constraints", "parcel_versions", "retired_parcels")
_ATTRIBUTES = ("projects", "allocations", "targets")
_GEOM = "geom"
_BUSY_MS = 60_000
_KEYS = {"parcels": "parcel_id", "projects": "project_id"}
_DATED = ("acquisition_status", "acquisition_step")  # status_date follows these

_CORE_DDL = (
    """CREATE TABLE gpkg_spatial_ref_sys (
        srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
        organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE gpkg_contents (
        table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
        identifier TEXT UNIQUE, description TEXT DEFAULT '',
        last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
        CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE gpkg_geometry_columns (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
        srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
        CONSTRAINT uk_gc_table_name UNIQUE (table_name),
        CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
        CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
)
_BASE_SRS = (
    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate"),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate"),
)
_APPLICATION_ID = 0x47504B47  # "GPKG"
_USER_VERSION = 10300  # GeoPackage 1.3 (what GDAL 3.6 reads without a warning)


# --------------------------------------------------------------------------- geometry blobs


def encode_geometries(geometries: Sequence[Any], srs_id: int) -> list[bytes | None]:
    """GeoPackage geometry blobs: a GP header with the xy envelope, then ISO WKB.

    Parameters
    ----------
    geometries
        Shapely geometries (None for a missing geometry, stored as NULL).
    srs_id
        The ``srs_id`` of the table's geometry column.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> [blob] = encode_geometries([box(0, 0, 2, 1)], 4544)
    >>> blob[:4], decode_geometries([blob])[0].bounds
    (b'GP\\x00\\x03', (0.0, 0.0, 2.0, 1.0))
    """
    values = np.asarray(list(geometries), dtype=object)
    missing = np.array([g is None for g in values], dtype=bool)
    out: list[bytes | None] = [None] * len(values)
    if not len(values):
        return out
    present = values[~missing]
    wkb = shapely.to_wkb(present, byte_order=1, flavor="iso", output_dimension=2)
    bounds = shapely.bounds(present)
    empty = shapely.is_empty(present)
    blobs = []
    for blob, (x0, y0, x1, y1), is_empty in zip(wkb, bounds, empty, strict=True):
        if is_empty:
            blobs.append(b"GP\x00\x11" + struct.pack("<i", srs_id) + blob)
        else:
            head = b"GP\x00\x03" + struct.pack("<i4d", srs_id, x0, x1, y0, y1)
            blobs.append(head + blob)
    for i, blob in zip(np.flatnonzero(~missing), blobs, strict=True):
        out[i] = blob
    return out


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def decode_geometries(blobs: Sequence[bytes | None]) -> np.ndarray:
    """Shapely geometries from GeoPackage geometry blobs (None for NULL).

    Raises
    ------
    DataError
        For a blob that is not a GeoPackage geometry.
    """
    wkb: list[bytes | None] = []
    for blob in blobs:
        if blob is None:
            wkb.append(None)
            continue
        blob = bytes(blob)
        if blob[:2] != b"GP" or (blob[3] >> 1) & 7 not in _ENVELOPE_BYTES:
            raise DataError("a geometry of the park is not a GeoPackage geometry blob")
        wkb.append(blob[8 + _ENVELOPE_BYTES[(blob[3] >> 1) & 7] :])
    return shapely.from_wkb(np.asarray(wkb, dtype=object))


# --------------------------------------------------------------------------- connections


def is_park_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a park GeoPackage: a ``.gpkg`` with a ``park`` table.

    A GeoPackage without one (a surveyor's parcel file) is a loose file.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return False
    try:
        con = _open(path, readonly=True)
    except sqlite3.Error:
        return False
    try:
        rows = con.execute(
            "SELECT table_name FROM gpkg_contents WHERE table_name IN ('park', 'events')"
        ).fetchall()
        return len(rows) == 2
    except sqlite3.Error:
        return False
    finally:
        con.close()


def _open(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), with a busy timeout."""
    if readonly and not os.access(path, os.W_OK):
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        con = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=_BUSY_MS / 1000)
    else:
        con = sqlite3.connect(str(path), isolation_level=None, timeout=_BUSY_MS / 1000)
    con.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
    return con


@contextmanager
def _transaction(path: Path, *, write: bool) -> Iterator[sqlite3.Connection]:
    """One transaction on the park: ``BEGIN IMMEDIATE`` for a writer, a snapshot for a reader."""
    if not path.is_file():
        msg = f"{path}: no such park file; create one with 'parkgis import ... -o {path.name}'"
        zh = f"{path}：园区文件不存在；请用 'parkgis import ... -o {path.name}' 创建"
        raise InputError(msg, zh=zh)
    try:
        con = _open(path, readonly=not write)
        if write:
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = FULL")
        con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    except sqlite3.Error as exc:
        raise _unreadable(path, exc) from None
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()


def _unreadable(path: Path, exc: Exception) -> InputError:
    msg = f"{path}: cannot be read as a park GeoPackage ({exc})"
    return InputError(msg, zh=f"{path}：无法作为园区 GeoPackage 读取（{exc}）")


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _columns(con: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """(name, declared type) of each column of ``table``."""
    return [(r[1], str(r[2]).upper()) for r in con.execute(f"PRAGMA table_info({_q(table)})")]


def _has_table(con: sqlite3.Connection, table: str) -> bool:
    found = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    return found is not None


# --------------------------------------------------------------------------- reading


def read_park(
    path: str | os.PathLike[str], *, as_of: dt.date | None = None, private: bool = False
) -> Park:
    """Read a park GeoPackage, in one read transaction (a consistent snapshot).

    Parameters
    ----------
    path
        The ``.gpkg`` file.
    as_of
        The park as it was on this date: statuses and attributes by the event
        log, boundaries from ``parcel_versions``, retired parcels back in
        (:func:`parkgis.model.history.park_as_of`).
    private
        Join the parcels' private fields (``private_fields`` table) back into
        the parcels layer; without it they are left out.

    Raises
    ------
    InputError
        When the file is not a park GeoPackage.
    DataError
        When the event log cannot be read.
    """
    path = Path(path)
    try:
        with _transaction(path, write=False) as con:
            park = _read(con, path, private=private)
    except sqlite3.Error as exc:
        raise _unreadable(path, exc) from None
    return park_as_of(park, as_of) if as_of is not None else park


def _read(con: sqlite3.Connection, path: Path, *, private: bool) -> Park:
    if not _has_table(con, "park"):
        msg = (
            f"{path}: a GeoPackage without a 'park' table is a parcel file, not a park; make "
            f"a park of it with 'parkgis import {path.name} -o PARK.gpkg'"
        )
        zh = (
            f"{path}：没有 'park' 表的 GeoPackage 是地块文件，不是园区；请用 'parkgis import "
            f"{path.name} -o 园区.gpkg' 生成园区"
        )
        raise InputError(msg, zh=zh)
    manifest = _read_manifest(con)
    issues: list[ValueIssue] = []
    parcels = _read_features(con, "parcels", manifest, path)
    if private and _has_table(con, "private_fields"):
        extra = _read_attributes(con, "private_fields")
        if len(extra.columns) > 1:
            parcels = _join_private(parcels, extra)
    parcels = _normalised(parcels, "parcels", issues)
    constraints = _read_features(con, "constraints", manifest, path)
    constraints = (
        _normalised(constraints, "constraints", issues)
        if len(constraints)
        else empty_layer(parcels.crs or "EPSG:4490")
    )
    tables = {}
    for table in _ATTRIBUTES:
        frame = _read_attributes(con, table) if _has_table(con, table) else empty_table(table)
        tables[table] = _normalised(frame, table, issues)
    events = _read_events(con, path)
    retired = versions = None
    if _has_table(con, "retired_parcels") and _count(con, "retired_parcels"):
        retired, _ = TABLES["parcels"].normalise(
            _read_features(con, "retired_parcels", manifest, path)
        )
    if _has_table(con, "parcel_versions") and _count(con, "parcel_versions"):
        versions = _read_features(con, "parcel_versions", manifest, path)
        versions["version"] = versions["version"].astype("int64")
        versions["seq"] = versions["seq"].astype("int64")
    return Park(
        manifest=manifest,
        parcels=parcels,
        constraints=constraints,
        events=events,
        value_issues=tuple(issues),
        retired=retired,
        versions=versions,
        **tables,
    )


def _count(con: sqlite3.Connection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {_q(table)}").fetchone()[0])


def _read_manifest(con: sqlite3.Connection) -> Manifest:
    row = con.execute("SELECT name, title, private_fields, settings FROM park").fetchone()
    if row is None:
        raise DataError("the park's 'park' table is empty; restore the file from a backup")
    name, title, private, settings = row
    return Manifest(
        name=str(name),
        title=str(title or ""),
        private_fields=tuple(json.loads(private or "[]")),
        settings=json.loads(settings or "{}"),
    )


def _frame(con: sqlite3.Connection, table: str) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    columns = [(n, t) for n, t in _columns(con, table) if n != "fid"]
    names = ", ".join(_q(n) for n, _ in columns)
    rows = con.execute(f"SELECT {names} FROM {_q(table)} ORDER BY rowid").fetchall()
    data = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    frame = pd.DataFrame(
        {
            n: pd.Series(list(values), dtype=object)
            for (n, _), values in zip(columns, data, strict=True)
        }
    )
    return frame, columns


def _read_features(
    con: sqlite3.Connection, table: str, manifest: Manifest, path: Path
) -> gpd.GeoDataFrame:
    found = _srs_of(con, table, manifest, path)
    if found is None:
        return empty_layer(manifest.settings.get("crs", "EPSG:4490"))
    _srs_id, crs = found
    frame, columns = _frame(con, table)
    geometry = decode_geometries(frame.pop(_GEOM).tolist()) if _GEOM in frame else []
    frame = _typed(frame, [c for c in columns if c[0] != _GEOM])
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=crs), crs=crs)


def _srs_of(
    con: sqlite3.Connection, table: str, manifest: Manifest, path: Path
) -> tuple[int, Any] | None:
    """The ``srs_id`` of a feature table and its CRS; None for a table without geometry."""
    found = con.execute(
        "SELECT g.srs_id, s.organization, s.organization_coordsys_id, s.definition "
        "FROM gpkg_geometry_columns g JOIN gpkg_spatial_ref_sys s USING (srs_id) "
        "WHERE g.table_name = ?",
        (table,),
    ).fetchone()
    if found is None:
        if table in ("parcels",):
            raise InputError(
                f"{path}: has no layer 'parcels'; build the park again with 'parkgis import'",
                zh=f"{path}：没有 'parcels' 图层；请用 'parkgis import' 重新生成园区",
            )
        return None
    srs_id, org, code, definition = found
    return int(srs_id), _crs(org, code, definition, manifest, path, table)


def _crs(org: str, code: int, definition: str, manifest: Manifest, path: Path, table: str) -> Any:
    if str(org).upper() == "EPSG" and int(code) > 0:
        return f"EPSG:{int(code)}"
    if definition and definition != "undefined":
        return definition
    override = manifest.settings.get("crs")
    if override is None:
        msg = (
            f"{path} layer {table!r} has no CRS; set it in the park's settings "
            f"('crs = \"EPSG:4490\"', or the survey's CRS, e.g. EPSG:4544)"
        )
        zh = (
            f"{path} 的图层 {table!r} 没有坐标参考系（CRS）；请在园区设置中写上 "
            f"'crs = \"EPSG:4490\"'（或测量成果的坐标系，如 EPSG:4544）"
        )
        raise CRSMissingError(msg, zh=zh)
    return override


def _typed(frame: pd.DataFrame, columns: list[tuple[str, str]]) -> pd.DataFrame:
    """Columns of a feature table with the dtypes their declared types give."""
    out = {}
    for name, kind in columns:
        values = frame[name]
        has_null = values.isna().any()
        if kind in ("REAL", "DOUBLE", "FLOAT"):
            out[name] = pd.to_numeric(values).astype("float64")
        elif kind in ("INTEGER", "MEDIUMINT", "SMALLINT", "TINYINT"):
            out[name] = values.astype("float64") if has_null else values.astype("int64")
        elif kind == "BOOLEAN":
            out[name] = (
                values.map(lambda v: None if v is None else bool(v))
                if has_null
                else values.astype(bool)
            )
        else:
            out[name] = values.astype(object)
    return pd.DataFrame(out, index=frame.index, columns=[n for n, _ in columns])


def _read_attributes(con: sqlite3.Connection, table: str) -> pd.DataFrame:
    """An attribute table as text, as a ledger is read (the schema normalises it)."""
    frame, columns = _frame(con, table)
    for name, kind in columns:
        if kind == "BOOLEAN":
            frame[name] = frame[name].map(lambda v: None if v is None else str(bool(v)))
        else:
            frame[name] = frame[name].map(lambda v: None if v is None else _as_text(v))
    return frame


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)  # 15.0 as the CSV store wrote it
    return str(value)


def _join_private(parcels: gpd.GeoDataFrame, extra: pd.DataFrame) -> gpd.GeoDataFrame:
    extra = extra.drop_duplicates("parcel_id").set_index("parcel_id")
    ids = parcels["parcel_id"].astype(object)
    out = parcels.copy()
    geometry = out.pop("geometry")
    for column in extra.columns:
        out[column] = ids.map(extra[column]).astype(object).where(ids.isin(extra.index), None)
    out["geometry"] = geometry
    return gpd.GeoDataFrame(out, geometry="geometry", crs=parcels.crs)


def _read_events(con: sqlite3.Connection, path: Path) -> pd.DataFrame:
    if not _has_table(con, "events") or not _count(con, "events"):
        return empty_events()
    frame, _ = _frame(con, "events")
    frame = frame.map(lambda v: None if v is None else str(v)) if len(frame) else frame
    return read_events_frame(frame, where=f"{path} table events")


def _normalised(frame: pd.DataFrame, table: str, issues: list[ValueIssue]) -> Any:
    out, found = TABLES[table].normalise(frame)
    issues.extend(found)
    return out


# --------------------------------------------------------------------------- creating


def create_park(
    park: Park,
    path: str | os.PathLike[str],
    *,
    journal: str = "wal",
    stamp: str | None = None,
) -> Path:
    """Write ``park`` as a new park GeoPackage, built beside ``path`` and renamed onto it.

    A write that fails or is interrupted leaves ``path`` as it was (absent,
    or the park it held). The parcels' private fields go to the
    ``private_fields`` table, not the parcels layer.

    Parameters
    ----------
    park
        The park, with its event log (and retired parcels and geometry
        versions, when it has them).
    path
        The ``.gpkg`` file to write.
    journal
        ``wal`` (for a park that will be changed) or ``delete`` (a file to
        ship read-only, such as the bundled sample).
    stamp
        The ``last_change`` written in ``gpkg_contents`` (default: now), so
        that the same park can give the same file.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    CRSMissingError
        When the parcels have no CRS.
    """
    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        msg = f"{path}: a park is one GeoPackage file; give a name ending in .gpkg"
        raise InputError(msg, zh=f"{path}：园区是一个 GeoPackage 文件；文件名须以 .gpkg 结尾")
    if park.parcels.crs is None:
        raise CRSMissingError(
            "layer 'parcels' has no CRS; set one before writing the park",
            zh="图层 'parcels' 没有坐标参考系（CRS）；请先指定，再写出园区",
        )
    made = [p for p in path.parents if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.stem}.parkgis-new-{uuid.uuid4().hex[:12]}.gpkg"
    stamp = stamp or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    done = False
    try:
        con = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            con.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {_USER_VERSION}")
            con.execute("BEGIN")
            _create_tables(con, park, stamp)
            con.execute("COMMIT")
            con.execute(f"PRAGMA journal_mode = {'WAL' if journal == 'wal' else 'DELETE'}")
        finally:
            con.close()
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        from parkgis.io.writing import fsync_dir, record_written, signals_held

        with signals_held():
            os.replace(tmp, path)
            for name in ("-wal", "-shm"):  # a replaced park's WAL must not meet the new file
                Path(f"{path}{name}").unlink(missing_ok=True)
            done = True
            record_written(path)
        fsync_dir(path.parent)
    finally:
        if not done:
            for name in ("", "-wal", "-shm", "-journal"):
                Path(f"{tmp}{name}").unlink(missing_ok=True)
            for parent in made:
                with contextlib.suppress(OSError):
                    parent.rmdir()
    return path


write_park = create_park  # a whole park written anew: the same, atomic, build-and-rename


def _create_tables(con: sqlite3.Connection, park: Park, stamp: str) -> None:
    for ddl in _CORE_DDL:
        con.execute(ddl)
    con.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", _BASE_SRS)
    srs_id = _add_srs(con, park.parcels.crs)
    private = [c for c in park.manifest.private_fields if c in park.parcels.columns]
    public = park.parcels.drop(columns=private)
    _create_features(con, "parcels", public, srs_id, stamp)
    con.execute('CREATE INDEX "parcels_parcel_id" ON parcels (parcel_id)')
    constraints = park.constraints
    if len(constraints) and constraints.crs is not None and constraints.crs != park.parcels.crs:
        constraints = constraints.to_crs(park.parcels.crs)
    _create_features(con, "constraints", constraints, srs_id, stamp)
    versions = park.versions
    if versions is None:
        columns = {c: pd.Series(dtype="int64" if c in ("version", "seq") else object)
                   for c in VERSION_COLUMNS}  # fmt: skip
        versions = gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=park.parcels.crs))
    _create_features(con, "parcel_versions", versions, srs_id, stamp,
                     types={"version": "INTEGER", "seq": "INTEGER"})  # fmt: skip
    con.execute('CREATE INDEX "parcel_versions_id" ON parcel_versions (parcel_id, version)')
    retired = park.retired
    if retired is None:
        retired = public.iloc[:0].assign(retired_on=pd.Series(dtype=object))
    else:
        retired = retired.drop(columns=[c for c in private if c in retired.columns])
    _create_features(con, "retired_parcels", retired, srs_id, stamp)
    for table in _ATTRIBUTES:
        _create_attributes(con, table, getattr(park, table), stamp)
    con.execute('CREATE INDEX "projects_project_id" ON projects (project_id)')
    _create_events(con, stamp)
    _insert_events(con, park.events)
    _create_attributes(
        con, "private_fields", park.parcels[["parcel_id", *private]].astype(object), stamp
    )
    con.execute(
        "CREATE TABLE park (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name TEXT NOT NULL, "
        "title TEXT, private_fields TEXT, settings TEXT, format TEXT)"
    )
    _register(con, "park", "attributes", None, stamp, description="the park's manifest")
    _write_manifest(con, park.manifest)
    _write_qgis(con)


def _write_manifest(con: sqlite3.Connection, manifest: Manifest) -> None:
    con.execute("DELETE FROM park")
    con.execute(
        "INSERT INTO park (name, title, private_fields, settings, format) VALUES (?, ?, ?, ?, ?)",
        (
            manifest.name,
            manifest.title,
            json.dumps(list(manifest.private_fields), ensure_ascii=False),
            json.dumps(manifest.settings, ensure_ascii=False, sort_keys=True, default=str),
            FORMAT,
        ),
    )


def _write_qgis(con: sqlite3.Connection) -> None:
    """The parcels' default QGIS style and the fields' Chinese aliases (parkgis.io.qgis_style)."""
    from parkgis.io.qgis_style import write_qgis_metadata

    write_qgis_metadata(con, tables=("parcels", "constraints", *_ATTRIBUTES), lang="zh")


def _add_srs(con: sqlite3.Connection, crs: Any) -> int:
    from pyproj import CRS

    crs = CRS.from_user_input(crs)
    epsg = crs.to_epsg()
    if epsg is not None:
        srs_id, org, code = epsg, "EPSG", epsg
    else:
        srs_id, org, code = 100000, "NONE", 100000
    exists = con.execute("SELECT 1 FROM gpkg_spatial_ref_sys WHERE srs_id = ?", (srs_id,))
    if exists.fetchone() is None:
        con.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
            (crs.name, srs_id, org, code, crs.to_wkt("WKT1_GDAL"), None),
        )
    return int(srs_id)


def _sql_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(series):
        return "INTEGER"
    if pd.api.types.is_float_dtype(series):
        return "REAL"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "DATETIME"
    return "TEXT"


def _cell(value: object) -> object:
    """A value as SQLite stores it: None for blanks, numbers as numbers, the rest as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple[object, ...]]:
    data = [[_cell(v) for v in frame[c].tolist()] for c in columns]
    return list(zip(*data, strict=True)) if data else [() for _ in range(len(frame))]


def _geometry_type(frame: gpd.GeoDataFrame) -> str:
    kinds = {t.upper() for t in frame.geometry.geom_type.dropna().unique()}
    return kinds.pop() if len(kinds) == 1 else "GEOMETRY"


def _create_features(
    con: sqlite3.Connection,
    table: str,
    frame: gpd.GeoDataFrame,
    srs_id: int,
    stamp: str,
    *,
    types: dict[str, str] | None = None,
) -> None:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    kinds = {c: (types or {}).get(c) or _sql_type(frame[c]) for c in columns}
    defs = ", ".join(f"{_q(c)} {kinds[c]}" for c in columns)
    con.execute(
        f"CREATE TABLE {_q(table)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, "
        f"{_GEOM} {_geometry_type(frame)}{', ' + defs if defs else ''})"
    )
    bounds = frame.total_bounds if len(frame) and not frame.geometry.is_empty.all() else None
    _register(con, table, "features", srs_id, stamp, bounds=bounds)
    con.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
        (table, _GEOM, _geometry_type(frame), srs_id),
    )
    _insert_features(con, table, frame, srs_id)


def _insert_features(
    con: sqlite3.Connection, table: str, frame: gpd.GeoDataFrame, srs_id: int
) -> None:
    if not len(frame):
        return
    columns = [c for c in frame.columns if c != frame.geometry.name]
    blobs = encode_geometries(frame.geometry.to_numpy(), srs_id)
    rows = [(b, *r) for b, r in zip(blobs, _rows(frame, columns), strict=True)]
    names = ", ".join([_GEOM, *map(_q, columns)])
    marks = ", ".join("?" * (len(columns) + 1))
    con.executemany(f"INSERT INTO {_q(table)} ({names}) VALUES ({marks})", rows)


def _create_attributes(
    con: sqlite3.Connection, table: str, frame: pd.DataFrame, stamp: str
) -> None:
    columns = list(frame.columns)
    defs = ", ".join(f"{_q(c)} {_sql_type(frame[c])}" for c in columns)
    con.execute(
        f"CREATE TABLE {_q(table)} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"
        f"{', ' + defs if defs else ''})"
    )
    _register(con, table, "attributes", None, stamp)
    _insert_attributes(con, table, frame)


def _insert_attributes(con: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    if not len(frame):
        return
    columns = list(frame.columns)
    names = ", ".join(map(_q, columns))
    marks = ", ".join("?" * len(columns))
    con.executemany(f"INSERT INTO {_q(table)} ({names}) VALUES ({marks})", _rows(frame, columns))


def _register(
    con: sqlite3.Connection,
    table: str,
    kind: str,
    srs_id: int | None,
    stamp: str,
    *,
    bounds: Any = None,
    description: str = "",
) -> None:
    box = [None] * 4 if bounds is None else [float(b) for b in bounds]
    con.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, "
        "min_x, min_y, max_x, max_y, srs_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (table, kind, table, description, stamp, *box, srs_id),
    )


def _create_events(con: sqlite3.Connection, stamp: str) -> None:
    con.execute(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY NOT NULL, entity TEXT NOT NULL, "
        'entity_id TEXT NOT NULL, field TEXT NOT NULL, "from" TEXT, "to" TEXT, '
        'date DATE NOT NULL, recorded_at TEXT NOT NULL, "by" TEXT NOT NULL, note TEXT, '
        "evidence TEXT, forced BOOLEAN NOT NULL DEFAULT 0)"
    )
    con.execute('CREATE INDEX "events_entity" ON events (entity, entity_id, field)')
    for action in ("UPDATE", "DELETE"):
        con.execute(
            f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
            f"BEGIN SELECT RAISE(ABORT, 'the event log is append-only: a correction is a new "
            f"event'); END"
        )
    _register(con, "events", "attributes", None, stamp,
              description="the park's history, append-only")  # fmt: skip


def _insert_events(con: sqlite3.Connection, events: pd.DataFrame) -> None:
    if not len(events):
        return
    columns = list(EVENT_COLUMNS)
    names = ", ".join(map(_q, columns))
    marks = ", ".join("?" * len(columns))
    con.executemany(f"INSERT INTO events ({names}) VALUES ({marks})", _rows(events, columns))


def _touch(con: sqlite3.Connection, tables: Sequence[str]) -> None:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    marks = ", ".join("?" * len(tables))
    con.execute(
        f"UPDATE gpkg_contents SET last_change = ? WHERE table_name IN ({marks})", (now, *tables)
    )


# --------------------------------------------------------------------------- status set


def record_park_changes(
    path: str | os.PathLike[str], changes: Sequence[StatusChange], *, recorded_at: str
) -> tuple[Event, ...]:
    """Check and record status changes in a park GeoPackage: one transaction, no rewrite.

    Inside ``BEGIN IMMEDIATE``: for each change, find its parcel or project
    by id, check it against the current value and the field's last event
    (:func:`parkgis.model.history.make_event`), UPDATE the row and INSERT the
    event. All the changes are recorded, or none; a second writer waits.

    Raises
    ------
    DataError, VocabularyError
        For a change that cannot be recorded; nothing is written then.
    """
    path = Path(path)
    recorded: list[Event] = []
    with _transaction(path, write=True) as con:
        if not _has_table(con, "park"):
            raise _read_guard(path)
        name = str(con.execute("SELECT name FROM park").fetchone()[0])
        seq = int(con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
        columns = {t: {n for n, _ in _columns(con, t)} for t in ENTITIES.values()}
        for change in changes:
            counts = {
                entity: _id_count(con, table, change.entity_id, columns[table])
                for entity, table in ENTITIES.items()
            }
            entity = choose_entity(
                change.entity_id, change.field, counts, entity=change.entity, park_name=name
            )
            table, key = ENTITIES[entity], _KEYS[ENTITIES[entity]]
            current = None
            if change.field in columns[table]:
                found = con.execute(
                    f"SELECT {_q(change.field)} FROM {_q(table)} WHERE {_q(key)} = ?",
                    (change.entity_id,),
                ).fetchone()
                current = _text(found[0]) if found else None
            last = con.execute(
                "SELECT max(date) FROM events WHERE entity = ? AND entity_id = ? AND field = ?",
                (entity, change.entity_id, change.field),
            ).fetchone()[0]
            seq += 1
            event = make_event(
                change,
                current,
                entity=entity,
                last_date=dt.date.fromisoformat(str(last)[:10]) if last else None,
                recorded_at=recorded_at,
                seq=seq,
            )
            sets = {change.field: event.to}
            if entity == "parcel" and change.field in _DATED:
                sets["status_date"] = event.date.isoformat()
            for column in sets:
                if column not in columns[table]:
                    con.execute(f"ALTER TABLE {_q(table)} ADD COLUMN {_q(column)} TEXT")
                    columns[table].add(column)
            assignments = ", ".join(f"{_q(c)} = ?" for c in sets)
            con.execute(
                f"UPDATE {_q(table)} SET {assignments} WHERE {_q(key)} = ?",
                (*sets.values(), change.entity_id),
            )
            _insert_events(con, events_frame([event]))
            recorded.append(event)
        if recorded:
            _touch(con, ["events", *{ENTITIES[e.entity] for e in recorded}])
    return tuple(recorded)


def record_parcel_event(
    path: str | os.PathLike[str],
    parcel_id: str,
    field: str,
    to: str | None,
    *,
    date: dt.date,
    by: str,
    recorded_at: str,
    note: str | None = None,
    evidence: str | None = None,
) -> Event:
    """Record one change of a parcel that is not a status: one transaction, no rewrite.

    ``field`` is one of :data:`~parkgis.model.history.ATTRIBUTE_FIELDS`
    (``project_id``: assign the parcel to a project, which must exist;
    None clears it), or ``retired`` with ``to="true"``: the parcel leaves the
    park, its row moves to ``retired_parcels`` with ``retired_on`` (as
    ``import --update`` does), its private fields stay. The event is the one
    ``import --update`` would record (from/to as text). Inside ``BEGIN
    IMMEDIATE``: check, UPDATE or move the row, INSERT the event.

    Raises
    ------
    DataError
        For an unknown parcel or project, a field that cannot be changed so,
        nothing to change, an empty ``by``, a date after ``recorded_at`` or
        before the field's last change, or a parcel to retire that still
        holds allocations. Nothing is written then.
    """
    from parkgis.model.history import ATTRIBUTE_FIELDS

    path = Path(path)
    where = f"parcel {parcel_id}"
    if field not in (*ATTRIBUTE_FIELDS, "retired") or (field == "retired" and to != "true"):
        msg = f"{where}: {field}={to!r} cannot be recorded here; use status set for a status"
        raise DataError(msg, zh=f"{where}：不能在此记录 {field}={to!r}；状态变更请用 status set")
    if not str(by or "").strip():
        raise DataError(f"{where}: say who records the change", zh=f"{where}：请注明记录人")
    today = dt.date.fromisoformat(str(recorded_at)[:10])
    if date > today:
        msg = f"{where}: the change is dated {date}, after today ({today}); record what happened"
        zh = f"{where}：日期 {date} 晚于今天（{today}）；只记录已发生的变更"
        raise DataError(msg, zh=zh)
    to = _text(to)
    with _transaction(path, write=True) as con:
        if not _has_table(con, "park"):
            raise _read_guard(path)
        columns = {n for n, _ in _columns(con, "parcels")}
        if _id_count(con, "parcels", parcel_id, columns) != 1:
            msg = f"{where}: not in the park (or listed twice: parkgis validate lists it)"
            zh = f"地块 {parcel_id}：不在园区中（或编号重复：parkgis validate 会列出）"
            raise DataError(msg, zh=zh)
        last = con.execute(
            "SELECT max(date) FROM events WHERE entity = 'parcel' AND entity_id = ? AND field = ?",
            (parcel_id, field),
        ).fetchone()[0]
        if last and date < dt.date.fromisoformat(str(last)[:10]):
            day = str(last)[:10]
            msg = f"{where}: {field} last changed on {day}; date the change then or later"
            raise DataError(msg, zh=f"{where}：{field} 最近一次变更在 {day}；日期不能更早")
        current = None
        if field in columns:
            found = con.execute(
                f"SELECT {_q(field)} FROM parcels WHERE parcel_id = ?", (parcel_id,)
            ).fetchone()
            current = _text(found[0])
        if field == "retired":
            current = None
            held = con.execute(
                "SELECT group_concat(project_id, ', ') FROM allocations WHERE parcel_id = ?",
                (parcel_id,),
            ).fetchone()[0]
            if held:
                msg = (
                    f"{where} is still allocated to {held}; change the allocations "
                    f"(parkgis import --update) before retiring it"
                )
                raise DataError(msg, zh=f"{where} 仍分配给 {held}；请先修改分配再注销该地块")
        elif current == to:
            raise DataError(f"{where}: {field} is already {to!r}; nothing to record",
                            zh=f"{where}：{field} 已是 {to!r}，无需记录")  # fmt: skip
        if field == "project_id" and to is not None:
            known = con.execute(
                "SELECT count(*) FROM projects WHERE project_id = ?", (to,)
            ).fetchone()[0]
            if not known:
                msg = f"{where}: no project {to!r} in the park; add the project first"
                raise DataError(msg, zh=f"{where}：园区中没有项目 {to!r}；请先添加该项目")
        seq = int(con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]) + 1
        event = Event("parcel", parcel_id, field, current, to, date, recorded_at,
                      str(by).strip(), note=_text(note), evidence=_text(evidence),
                      seq=seq)  # fmt: skip
        if field == "retired":
            retired = {n for n, _ in _columns(con, "retired_parcels")}
            kept = [c for c in _columns(con, "parcels") if c[0] not in ("fid", _GEOM)]
            for column, kind in [*kept, ("retired_on", "TEXT")]:
                if column not in retired:
                    con.execute(
                        f"ALTER TABLE retired_parcels ADD COLUMN {_q(column)} {kind or 'TEXT'}"
                    )
            names = ", ".join(_q(c) for c, _ in kept)
            con.execute("DELETE FROM retired_parcels WHERE parcel_id = ?", (parcel_id,))
            con.execute(
                f"INSERT INTO retired_parcels ({_GEOM}, {names}, retired_on) "
                f"SELECT {_GEOM}, {names}, ? FROM parcels WHERE parcel_id = ?",
                (date.isoformat(), parcel_id),
            )
            con.execute("DELETE FROM parcels WHERE parcel_id = ?", (parcel_id,))
        else:
            if field not in columns:
                con.execute(f"ALTER TABLE parcels ADD COLUMN {_q(field)} TEXT")
            con.execute(f"UPDATE parcels SET {_q(field)} = ? WHERE parcel_id = ?", (to, parcel_id))
        _insert_events(con, events_frame([event]))
        _touch(con, ["events", "parcels", *(["retired_parcels"] if field == "retired" else [])])
    return event


def _id_count(con: sqlite3.Connection, table: str, entity_id: str, columns: set[str]) -> int:
    key = _KEYS[table]
    if key not in columns:
        return 0
    found = con.execute(f"SELECT count(*) FROM {_q(table)} WHERE {_q(key)} = ?", (entity_id,))
    return int(found.fetchone()[0])


def _read_guard(path: Path) -> InputError:
    msg = f"{path}: not a park GeoPackage (no 'park' table); make one with 'parkgis import'"
    return InputError(
        msg, zh=f"{path}：不是园区 GeoPackage（没有 'park' 表）；请用 'parkgis import' 生成"
    )


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


# --------------------------------------------------------------------------- split and merge


def reshape_park(
    path: str | os.PathLike[str],
    make: Callable[[Park], Reshape],
    *,
    date: dt.date,
    by: str,
    note: str,
    recorded_at: str,
    evidence: str | None = None,
    park: Park | None = None,
) -> tuple[Event, ...]:
    """Make a split or a merge from the park and record it (:func:`record_reshape`).

    ``make`` gets the park with its private fields — ``park`` when given (a
    reading the caller keeps, such as the served snapshot), else the file
    read now — and returns the change
    (:func:`parkgis.model.reshape.split_parcel` or
    :func:`~parkgis.model.reshape.merge_parcels`, which check it). Its events
    are those of :func:`parkgis.model.reshape.reshape_events` (``split`` or
    ``merge``, ``retired``, ``added``), dated ``date``, by ``by``, with
    ``note`` and ``evidence``. A reading older than the file is safe:
    :func:`record_reshape` refuses the change when a parcel involved has
    changed since.

    Returns
    -------
    tuple of Event
        The events recorded, numbered in the park's log.

    Raises
    ------
    DataError
        For a blank note, a date after the day of ``recorded_at``, or a
        change that cannot be recorded (see the functions named above).
        Nothing is written then.
    """
    from dataclasses import replace

    from parkgis.model.reshape import reshape_events

    if _text(note) is None:
        msg = "a note is required: say what happened (the survey, the approval)"
        raise DataError(msg, zh="请填写说明（必填）：写明依据的事由（分宗测量、合宗批复等）")
    today = dt.date.fromisoformat(str(recorded_at)[:10])
    if date > today:
        msg = (
            f"the date {date} is in the future (today is {today}); record a split or merge once "
            f"it has happened, dated the day of the survey or the approval"
        )
        zh = f"日期 {date} 在将来（今天是 {today}）；分宗、合宗须在发生后记录，日期为测量或批复之日"
        raise DataError(msg, zh=zh)
    if park is None:
        park = read_park(path, private=True)
    change = make(park)
    events = reshape_events(
        park, change, date=date, by=by, recorded_at=recorded_at, note=_text(note)
    )
    evidence = _text(evidence)
    return record_reshape(path, change, [replace(e, evidence=evidence) for e in events])


def record_reshape(
    path: str | os.PathLike[str], reshape: Reshape, events: Sequence[Event]
) -> tuple[Event, ...]:
    """Record a split or a merge in ONE transaction, in proportion to the parcels involved.

    Written as :func:`rewrite_park` writes the same change (``import
    --update`` of a ledger with a ``derived_from`` column), without reading
    or comparing the rest of the park. Inside ``BEGIN IMMEDIATE``:

    - check that the change still applies: every parcel that leaves
      (``reshape.gone``) is in the park, once; no new id is a parcel's,
      present or retired; no event about a parcel involved has been recorded
      since the reading the change was made from (the log that ``events``
      are numbered after); no allocation or project names a parcel that
      leaves;
    - move the rows of the parcels that leave into ``retired_parcels``, with
      ``retired_on`` the date of their ``retired`` event (their private
      fields stay in ``private_fields``);
    - insert the new parcels (``reshape.parcels``), their private fields
      into ``private_fields``;
    - append the events, numbered after the log as it is now.

    A reading of the park afterwards — today's parcels, the retired ones, the
    log, the park ``--as-of`` any date — is what :func:`rewrite_park` gives.

    Parameters
    ----------
    path
        The park GeoPackage.
    reshape
        The split or the merge (:func:`parkgis.model.reshape.split_parcel`,
        :func:`~parkgis.model.reshape.merge_parcels`), made from the park
        read with its private fields.
    events
        Its events (:func:`parkgis.model.reshape.reshape_events`), numbered
        after the log of the park it was made from.

    Returns
    -------
    tuple of Event
        ``events`` as recorded, numbered after the park's log.

    Raises
    ------
    InputError
        For the bundled sample park or a file that is not a park.
    DataError
        When the change no longer applies (someone changed the park in
        between: the message says what, and to read the park again), or
        ``events`` do not record it. Nothing is written then.
    """
    from dataclasses import replace

    from parkgis.io.writing import check_writable

    path = check_writable(path)
    new = reshape.parcels
    gone = [str(pid) for pid in reshape.gone]
    born = ids_text(new["parcel_id"].to_numpy(dtype=object)) if "parcel_id" in new.columns else []
    events = sorted(events, key=lambda e: -1 if e.seq is None else e.seq)
    retired_on = _check_reshape_events(gone, born, events)
    if new.crs is None:
        raise CRSMissingError("the new parcels have no CRS", zh="新地块没有坐标参考系（CRS）")
    if new.geometry.name != "geometry":
        new = new.rename_geometry("geometry")
    with _transaction(path, write=True) as con:
        if not _has_table(con, "park"):
            raise _read_guard(path)
        manifest = _read_manifest(con)
        last = _check_still_applies(con, gone, [str(b) for b in born], since=events[0].seq - 1)
        found = _srs_of(con, "parcels", manifest, path)
        assert found is not None  # a park without a parcels layer is refused there
        srs_id, crs = found
        parcels = new if new.crs == crs else new.to_crs(crs)
        public = parcels.drop(columns=[c for c in manifest.private_fields if c in parcels.columns])
        had = {n for n, _ in _columns(con, "parcels")}
        _ensure_columns(con, "parcels", public)
        columns = [n for n, _ in _columns(con, "parcels") if n not in ("fid", _GEOM)]
        retired_columns = {n for n, _ in _columns(con, "retired_parcels")}
        for column in [*columns, "retired_on"]:
            if column not in retired_columns:
                con.execute(f"ALTER TABLE retired_parcels ADD COLUMN {_q(column)} TEXT")
        names = ", ".join(_q(c) for c in columns)
        marks = ", ".join("?" * len(gone))
        in_order = con.execute(  # retired in the parcels' order, as rewrite_park retires them
            f"SELECT parcel_id FROM parcels WHERE parcel_id IN ({marks}) ORDER BY rowid", gone
        ).fetchall()
        for (pid,) in in_order:
            con.execute("DELETE FROM retired_parcels WHERE parcel_id = ?", (pid,))
            con.execute(
                f"INSERT INTO retired_parcels ({_GEOM}, {names}, retired_on) "
                f"SELECT {_GEOM}, {names}, ? FROM parcels WHERE parcel_id = ?",
                (retired_on[pid].isoformat(), pid),
            )
            con.execute("DELETE FROM parcels WHERE parcel_id = ?", (pid,))
        _insert_features(con, "parcels", public, srs_id)
        if _has_table(con, "private_fields"):
            _insert_private(con, parcels, manifest)
        numbered = tuple(replace(e, seq=last + 1 + k) for k, e in enumerate(events))
        _insert_events(con, events_frame(numbered))
        _touch(con, ["parcels", "retired_parcels", "private_fields", "events"])
        if set(columns) - had:
            _write_qgis(con)  # the new column's label (derived_from: 来源地块) for QGIS
    return numbered


def _check_reshape_events(
    gone: list[str], born: list[str | None], events: list[Event]
) -> dict[str, dt.date]:
    """Refuse events that do not record the change; the date each leaving parcel retires."""
    if not gone or not born:
        msg = "a split or a merge needs parcels that leave the park and new parcels"
        raise DataError(msg, zh="分宗或合宗须有注销的地块和新地块")
    if None in born or len(set(born)) < len(born) or set(born) & set(gone):
        shown = ", ".join(map(str, born))
        msg = f"the new parcels need ids of their own, each once ({shown})"
        raise DataError(msg, zh=f"新地块须各有不同的新编号（{shown}）")
    seqs = [e.seq for e in events]
    if not seqs or None in seqs or seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        msg = (
            "the events of a split or merge must be numbered after the log of the park it "
            "was made from (as parkgis.model.reshape.reshape_events numbers them)"
        )
        raise DataError(msg, zh="分宗或合宗的事件须按其所依据园区的日志顺序编号")
    retired = {e.entity_id: e.date for e in events if e.field == "retired" and e.to == "true"}
    added = {e.entity_id for e in events if e.field == "added" and e.to == "true"}
    unlogged = [p for p in gone if p not in retired] + [str(p) for p in born if p not in added]
    if unlogged:
        listed = ", ".join(unlogged)
        msg = (
            f"parcel(s) {listed} leave or enter the park without the 'retired' or 'added' "
            f"event that records it; nothing may change in a park without its event"
        )
        zh = (
            f"地块 {'、'.join(unlogged)} 注销或新增却没有对应的事件；园区中的任何变化都须有事件记录"
        )
        raise DataError(msg, zh=zh)
    involved = {*gone, *born}
    stray = [e for e in events if e.entity != "parcel" or e.entity_id not in involved]
    if stray:
        e = stray[0]
        what = f"{e.entity} {e.entity_id} {e.field}"
        msg = f"event #{e.seq} ({what}) is not part of the change"
        raise DataError(msg, zh=f"事件 #{e.seq}（{what}）不属于此次变更")
    if any(not str(e.by or "").strip() for e in events):
        raise DataError("say who records the change", zh="请注明记录人")
    return retired


def _check_still_applies(
    con: sqlite3.Connection, gone: list[str], born: list[str], *, since: int
) -> int:
    """Refuse a change the park no longer allows (a concurrent change); the log's last seq."""
    again = "read the park again and redo the change; nothing was recorded"
    again_zh = "请重新读取园区后再操作；未记录任何变更"

    def rows(sql: str, ids: Sequence[str], *before: object) -> list[Any]:
        marks = ", ".join("?" * len(ids))
        return con.execute(sql.format(ids=marks), (*before, *ids)).fetchall()

    counts = dict(
        rows("SELECT parcel_id, count(*) FROM parcels WHERE parcel_id IN ({ids}) GROUP BY 1", gone)
    )
    missing = [p for p in gone if not counts.get(p)]
    if missing:
        msg = (
            f"parcel(s) {', '.join(missing)} no longer in the park: retired, split or merged "
            f"since it was read; {again}"
        )
        zh = f"地块 {'、'.join(missing)} 已不在园区中：读取园区后已被注销、分宗或合宗；{again_zh}"
        raise DataError(msg, zh=zh)
    twice = [p for p in gone if counts[p] > 1]
    if twice:
        msg = f"parcel id(s) {', '.join(twice)} listed twice; fix the ids (parkgis validate) first"
        zh = f"地块编号 {'、'.join(twice)} 重复；请先更正编号（parkgis validate）"
        raise DataError(msg, zh=zh)
    select = "SELECT parcel_id FROM {table} WHERE parcel_id IN ({ids})"
    present = {r[0] for r in rows(select.replace("{table}", "parcels"), born)}
    retired = {r[0] for r in rows(select.replace("{table}", "retired_parcels"), born)}
    taken = [p for p in born if p in present or p in retired]
    if taken:
        listed = ", ".join(f"{p} ({'a parcel of the park' if p in present else 'a retired parcel'})"
                           for p in taken)  # fmt: skip
        listed_zh = "、".join(f"{p}（{'园区中已有地块' if p in present else '已注销地块'}）"
                              for p in taken)  # fmt: skip
        msg = f"the new id(s) are taken: {listed}; give the new parcels other ids (宗地号)"
        zh = f"新编号已被使用：{listed_zh}；请为新地块使用其他宗地号"
        raise DataError(msg, zh=zh)
    later = rows(
        "SELECT seq, entity_id, field, date FROM events WHERE seq > ? AND entity = 'parcel' "
        "AND entity_id IN ({ids}) ORDER BY seq",
        [*gone, *born],
        since,
    )
    if later:
        listed = "; ".join(f"#{s} {pid} {field} ({day})" for s, pid, field, day in later[:5])
        msg = f"parcel(s) changed since the park was read ({listed}); {again}"
        raise DataError(msg, zh=f"读取园区后地块已有变更（{listed}）；{again_zh}")
    last = int(con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
    if last < since:
        msg = (
            f"the change follows event #{since}, but the park's log ends at #{last}: it was made "
            f"from another park; {again}"
        )
        zh = (
            f"该变更依据的日志到 #{since}，而本园区日志只到 #{last}：依据的是另一个园区；{again_zh}"
        )
        raise DataError(msg, zh=zh)
    held = _held(con, gone)
    if held:
        from parkgis.model.reshape import held_error

        raise held_error(held)
    return last


def _held(con: sqlite3.Connection, ids: list[str]) -> list[str]:
    """``parcel → project`` for each allocation or project's ``parcel_ids`` naming an id."""
    from parkgis.land.allocation import split_ids

    held: list[str] = []
    marks = ", ".join("?" * len(ids))
    if _has_table(con, "allocations"):
        columns = {n for n, _ in _columns(con, "allocations")}
        if {"parcel_id", "project_id"} <= columns:
            found = con.execute(
                f"SELECT parcel_id, project_id FROM allocations WHERE parcel_id IN ({marks})", ids
            )
            held += [f"{parcel} → {project}" for parcel, project in found]
    if _has_table(con, "projects"):
        columns = {n for n, _ in _columns(con, "projects")}
        if {"parcel_ids", "project_id"} <= columns:
            for pid in ids:
                found = con.execute(
                    "SELECT project_id, parcel_ids FROM projects WHERE instr(parcel_ids, ?) > 0",
                    (pid,),
                )
                held += [f"{pid} → {project}" for project, listed in found
                         if pid in split_ids(listed)]  # fmt: skip
    return held


def _insert_private(con: sqlite3.Connection, parcels: gpd.GeoDataFrame, manifest: Manifest) -> None:
    """The new parcels' rows of ``private_fields``: their id and private fields."""
    stored = [n for n, _ in _columns(con, "private_fields") if n not in ("fid", "parcel_id")]
    lacking = [f for f in manifest.private_fields if f in stored and f not in parcels.columns]
    if lacking:
        listed = ", ".join(lacking)
        msg = (
            f"the new parcels lack the park's private field(s) {listed}: make the change from the "
            f"park read with its private fields (read_park(..., private=True))"
        )
        zh = f"新地块缺少园区的隐私字段 {listed}：请基于读取了隐私字段的园区进行变更"
        raise DataError(msg, zh=zh)
    fields = [f for f in manifest.private_fields if f in parcels.columns]
    rows = pd.DataFrame({c: parcels[c].astype(object).to_numpy() for c in ["parcel_id", *fields]})
    _ensure_columns(con, "private_fields", rows)
    _insert_attributes(con, "private_fields", rows)


# --------------------------------------------------------------------------- import --update


def rewrite_park(path: str | os.PathLike[str], build: Callable[[Park], Park]) -> Park:
    """Read the park, build a new one from it, and write the differences, in ONE transaction.

    ``build`` gets the park as stored (with its log and private fields) and
    returns the park to store; nobody can change the file in between. Only
    what differs is written. The log must say why the parcels changed: a
    parcel whose geometry changed needs a ``geometry`` event among the new
    events (its old geometry goes to ``parcel_versions``), a parcel that
    leaves the park a ``retired`` event (it goes to ``retired_parcels``);
    the old events must be kept as they were.

    Raises
    ------
    DataError
        When the new park drops or edits logged events, or changes parcels
        without the events that say so.
    """
    path = Path(path)
    with _transaction(path, write=True) as con:
        old = _read(con, path, private=True)
        new = build(old)
        _write_differences(con, old, new)
    return new


def _write_differences(con: sqlite3.Connection, old: Park, new: Park) -> None:
    added = _new_events(old.events, new.events)
    srs_id = int(
        con.execute(
            "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = 'parcels'"
        ).fetchone()[0]
    )
    parcels = new.parcels
    if parcels.crs is not None and old.parcels.crs is not None and parcels.crs != old.parcels.crs:
        parcels = parcels.to_crs(old.parcels.crs)
    hidden = [*old.manifest.private_fields, *new.manifest.private_fields]
    public = parcels.drop(columns=hidden, errors="ignore")
    _update_parcels(con, old.parcels.drop(columns=hidden, errors="ignore"), public, added, srs_id)
    stored = _read_attributes(con, "private_fields")
    _replace_attributes(con, "private_fields", _private_rows(stored, parcels, new.manifest))
    constraints = new.constraints
    if len(constraints) and constraints.crs is not None and constraints.crs != parcels.crs:
        constraints = constraints.to_crs(parcels.crs)
    if not _same_frame(old.constraints, constraints):
        _ensure_columns(con, "constraints", constraints)
        con.execute("DELETE FROM constraints")
        _insert_features(con, "constraints", constraints, srs_id)
    for table in _ATTRIBUTES:
        if not _same_frame(getattr(old, table), getattr(new, table)):
            _replace_attributes(con, table, getattr(new, table))
    if new.manifest != old.manifest:
        _write_manifest(con, new.manifest)
    _insert_events(con, events_frame(added))
    _write_qgis(con)
    _touch(con, ["parcels", "events"])


def _private_rows(stored: pd.DataFrame, parcels: pd.DataFrame, manifest: Manifest) -> pd.DataFrame:
    """The private fields to keep: the new ledger's, else the stored ones (nothing lost).

    A private field the new parcels lack keeps its stored values, and the
    rows of parcels no longer in the park (retired) are kept as they were.
    """
    fields = list(manifest.private_fields)
    ids = parcels["parcel_id"].astype(object).tolist()
    known = stored.drop_duplicates("parcel_id").set_index("parcel_id")
    out = pd.DataFrame({"parcel_id": pd.Series(ids, dtype=object)})
    for field in fields:
        if field in parcels.columns:
            out[field] = parcels[field].astype(object).to_numpy()
        elif field in known.columns:
            out[field] = [known[field].get(pid) if pid in known.index else None for pid in ids]
    gone = stored[~stored["parcel_id"].isin(set(ids))]
    kept = [c for c in out.columns if c in gone.columns]
    if len(gone) and len(kept) > 1:
        out = pd.concat([out, gone[kept].astype(object)], ignore_index=True)
    return out.astype(object).where(out.notna(), None)


def _new_events(old: pd.DataFrame, new: pd.DataFrame) -> list[Event]:
    from parkgis.model.history import events_of

    columns = list(EVENT_COLUMNS)
    same = len(new) >= len(old) and (
        new.iloc[: len(old)][columns].to_dict(orient="records")
        == old[columns].to_dict(orient="records")
    )
    if not same:
        msg = "the new park drops or edits events of the log; the log is append-only"
        raise DataError(msg, zh="新园区删除或修改了日志中的事件；日志只能追加")
    return [e for e in events_of(new.iloc[len(old) :])]


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False
        )
    except (AssertionError, TypeError, ValueError):
        return False
    return True


def _ensure_columns(con: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    have = {n for n, _ in _columns(con, table)}
    for column in frame.columns:
        if column not in have and column != "geometry":
            con.execute(
                f"ALTER TABLE {_q(table)} ADD COLUMN {_q(column)} {_sql_type(frame[column])}"
            )


def _replace_attributes(con: sqlite3.Connection, table: str, frame: pd.DataFrame) -> None:
    _ensure_columns(con, table, frame)
    con.execute(f"DELETE FROM {_q(table)}")
    _insert_attributes(con, table, frame)


def _update_parcels(
    con: sqlite3.Connection,
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    events: list[Event],
    srs_id: int,
) -> None:
    """Write the parcels that changed; archive old boundaries, retired parcels by event."""
    _ensure_columns(con, "parcels", new)
    old_ids, new_ids = old["parcel_id"].astype(object), new["parcel_id"].astype(object)
    if old_ids.duplicated().any() or new_ids.duplicated().any() or new_ids.isna().any():
        con.execute("DELETE FROM parcels")  # ids cannot key the rows: validate lists them
        _insert_features(con, "parcels", new, srs_id)
        return
    by_id = {(e.entity_id, e.field): e for e in events if e.entity == "parcel"}
    old_at = {pid: i for i, pid in enumerate(old_ids)}
    new_at = {pid: i for i, pid in enumerate(new_ids)}
    columns = [c for c in new.columns if c != "geometry"]
    old_wkb = shapely.to_wkb(old.geometry.to_numpy())
    new_wkb = shapely.to_wkb(new.geometry.to_numpy())
    old_rows = dict(zip(old_ids, _rows(old.reindex(columns=columns), columns), strict=True))
    new_rows = dict(zip(new_ids, _rows(new, columns), strict=True))
    assignments = ", ".join(f"{_q(c)} = ?" for c in columns)
    for pid, j in new_at.items():
        i = old_at.get(pid)
        if i is None:
            continue
        moved = old_wkb[i] != new_wkb[j]
        if moved:
            event = by_id.get((pid, "geometry"))
            if event is None:
                raise _unlogged(pid, "geometry")
            _archive_version(con, pid, old.geometry.iloc[i], event, srs_id)
        if moved or old_rows[pid] != new_rows[pid]:
            blob = encode_geometries([new.geometry.iloc[j]], srs_id)[0]
            con.execute(
                f"UPDATE parcels SET {_GEOM} = ?, {assignments} WHERE parcel_id = ?",
                (blob, *new_rows[pid], pid),
            )
    gone = [pid for pid in old_at if pid not in new_at]
    if gone:
        retired_cols = {n for n, _ in _columns(con, "retired_parcels")}
        for column in [*columns, "retired_on"]:
            if column not in retired_cols:
                con.execute(f"ALTER TABLE retired_parcels ADD COLUMN {_q(column)} TEXT")
        for pid in gone:
            event = by_id.get((pid, "retired"))
            if event is None or event.to != "true":
                raise _unlogged(pid, "retired")
            row = old.iloc[[old_at[pid]]].assign(retired_on=event.date.isoformat())
            con.execute("DELETE FROM retired_parcels WHERE parcel_id = ?", (pid,))
            _insert_features(con, "retired_parcels", row, srs_id)
            con.execute("DELETE FROM parcels WHERE parcel_id = ?", (pid,))
    fresh = [pid for pid in new_at if pid not in old_at]
    if fresh:
        con.executemany(
            "DELETE FROM retired_parcels WHERE parcel_id = ?", [(pid,) for pid in fresh]
        )
        _insert_features(con, "parcels", new.iloc[[new_at[p] for p in fresh]], srs_id)


def _archive_version(
    con: sqlite3.Connection, pid: str, geometry: Any, event: Event, srs_id: int
) -> None:
    found = con.execute(
        "SELECT max(version), max(valid_to) FROM parcel_versions WHERE parcel_id = ?", (pid,)
    ).fetchone()
    version = int(found[0] or 0) + 1
    blob = encode_geometries([geometry], srs_id)[0]
    con.execute(
        f"INSERT INTO parcel_versions ({_GEOM}, parcel_id, version, valid_from, valid_to, seq) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (blob, pid, version, found[1], event.date.isoformat(), event.seq),
    )


def _unlogged(pid: str, what: str) -> DataError:
    msg = (
        f"parcel {pid}: its {what} changes without a {what!r} event; nothing may change in a "
        f"park without the event that records it"
    )
    zh = f"地块 {pid}：{what} 发生变化却没有对应的 {what!r} 事件；园区中的任何变化都须有事件记录"
    return DataError(msg, zh=zh)
