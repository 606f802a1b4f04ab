"""KML and KMZ, for 奥维互动地图 and Google Earth: parcels in, parcels out.

Coordinates are WGS 84 longitude, latitude by the KML standard. CGCS2000
and WGS 84 differ by centimetres (../shared/CHINA_GIS.md), so parcels in
CGCS2000 are written as they are, never shifted (not to GCJ-02 either), and
a KML is read as WGS 84.

Reading (:func:`read_kml`, called through :func:`parkgis.io.vector.read_layer`):
every Placemark with a Polygon (also inside a MultiGeometry) is a parcel;
its ExtendedData fields become columns (``parcel_id``, ``status`` …, mapped
to canonical fields like any other layer's); without ExtendedData its
``<name>`` is its id when shaped like one (``GY-001``) and else its name,
and its description becomes its notes. Placemarks without a polygon
(points, paths) are counted in the decisions, with a few examples.
``PATH:LAYER`` reads the Placemarks of one Folder (by its name). A KMZ is
a zip holding ``doc.kml`` (or, by the KML standard, its first ``.kml``).

The XML is parsed with the standard library's ``xml.etree.ElementTree``
(expat), never with entity expansion: a KML has no use for a DOCTYPE, so a
file declaring one (the vehicle of external-entity and "billion laughs"
attacks) is refused before parsing, and a KMZ member larger than
:data:`MAX_KML_BYTES` is refused before it is inflated. defusedxml is not
needed for that.

Writing (:func:`write_kml`): one Placemark per parcel, named by its name
(else its id), styled by acquisition status with the colours of
``model/vocab.toml`` (KML colours are ``aabbggrr``), its public fields in
ExtendedData and in a description table labelled in ``lang``; private
fields and columns that are not parcel fields are never written. Text is
escaped by ElementTree (XML) and, inside the description's HTML, by
:func:`html.escape`.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod

from parkgis.errors import CRSMissingError, InputError
from parkgis.io.special import SpecialRead
from parkgis.model.schema import TABLES, field_label
from parkgis.model.vocab import ACQUISITION, VOCABULARIES

__all__ = ["FILL_ALPHA", "MAX_KML_BYTES", "kml_colour", "read_kml", "write_kml"]

MAX_KML_BYTES = 512 * 1024 * 1024
"""The largest KML read (a KMZ member is refused before it is inflated beyond this)."""
FILL_ALPHA = 0x80
"""Opacity of a parcel's fill in a written KML (0-255); outlines are opaque."""

_KML_NS = "http://www.opengis.net/kml/2.2"
_CLOSE_M = 1.0  # a ring left open by at most this is closed and flagged (as read_layer does)
_EXAMPLES = 3
_ID_SHAPE = re.compile(r"^[A-Za-z0-9]+(?:[-_/][A-Za-z0-9]+)*$")
_TAG = re.compile(r"<[^>]+>")
_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_GEOD = Geod(ellps="WGS84")


def kml_colour(colour: str, *, alpha: int = 0xFF) -> str:
    """A ``#rrggbb`` colour as KML writes it: ``aabbggrr`` in hexadecimal.

    Examples
    --------
    >>> kml_colour("#1a9850", alpha=0x80)
    '8050981a'
    """
    rgb = colour.lstrip("#")
    return f"{alpha:02x}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}".lower()


# --------------------------------------------------------------------------- reading


def read_kml(
    path: Path,
    *,
    layer: str | None = None,
    crs: str | int | CRS | None = None,
    encoding: str | None = None,
) -> SpecialRead:
    """Read the polygon Placemarks of a KML or KMZ as parcels.

    Parameters
    ----------
    path
        The ``.kml`` or ``.kmz``.
    layer
        The name of a Folder whose Placemarks are read (``PATH:LAYER``).
    crs
        Not needed: KML is WGS 84 longitude, latitude (a ``--crs`` that says
        otherwise is refused by :func:`~parkgis.io.vector.read_layer`).
    encoding
        The text encoding, when the XML declaration is missing or wrong.

    Raises
    ------
    InputError
        When the file is not well-formed KML (naming the line), declares a
        DOCTYPE, is too large, or ``layer`` names no Folder.
    """
    del crs  # settled by read_layer against EPSG:4326
    data, inner = _kml_bytes(path)
    where = f"{path}" + (f"!{inner}" if inner else "")
    if _DECLARATIONS.search(data[:65536]) or b"<!ENTITY" in data:
        msg = (
            f"{where}: the file declares a DOCTYPE or entities, which KML never needs; parkgis "
            "does not expand them (they can read local files or exhaust memory). Export the "
            "KML again from 奥维/Google Earth"
        )
        zh = (
            f"{where}：文件声明了 DOCTYPE 或实体，KML 不需要它们；parkgis 不展开（它们可能读取"
            "本机文件或耗尽内存）。请从奥维/Google Earth 重新导出 KML"
        )
        raise InputError(msg, zh=zh)
    root = _parse(data, where, encoding)
    decisions = [f"KML {where}: coordinates WGS 84 longitude, latitude (the KML standard)"]
    placemarks = _placemarks(root, layer, where, decisions)
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    broken: list[tuple[int, str, str]] = []
    warned: dict[int, tuple[str, str, str]] = {}
    skipped: dict[str, list[str]] = {}
    described = 0
    for number, mark in enumerate(placemarks, start=1):
        label = _text(mark, "name")
        shown = f"Placemark {number}" + (f" {label!r}" if label else "")
        polygons, others = _geometries(mark)
        if not polygons:
            kinds = ", ".join(sorted(set(others))) or "no geometry"
            skipped.setdefault(kinds, []).append(shown)
            continue
        if others:
            decisions.append(
                f"{shown}: its {', '.join(sorted(set(others)))} left out, polygons kept"
            )
        row = _attributes(mark, label)
        described += "notes" in row
        pos = len(rows)
        rows.append(row)
        try:
            geometry, gap = _polygon_geometry(polygons)
        except ValueError as exc:
            broken.append(
                (
                    pos,
                    f"{shown}: {exc}; correct it in the source file",
                    f"{shown}：{exc}；请在源文件中修正",
                )
            )
            geoms.append(None)
            continue
        if gap > _CLOSE_M:
            broken.append(
                (
                    pos,
                    f"{shown}: a ring is not closed (its last point {gap:.2f} m from its first); "
                    "closing it could cut off land, so it is not measured; redraw it",
                    f"{shown}：有一个环未闭合（末点距首点 {gap:.2f} 米），闭合可能切掉土地，"
                    "因此不计面积；请重新勾绘",
                )
            )
            geoms.append(None)
            continue
        if gap > 0:
            warned[pos] = (
                "unclosed_ring",
                f"a ring was not closed (its last point {gap:.3f} m from its first); closed by "
                "repeating its first point, and measured so",
                f"有一个环未闭合（末点距首点 {gap:.3f} 米）；已重复首点将其闭合并按此计算面积",
            )
        geoms.append(geometry)
    for kinds, marks in skipped.items():
        more = f" and {len(marks) - _EXAMPLES} more" if len(marks) > _EXAMPLES else ""
        decisions.append(
            f"not parcels: {len(marks)} Placemark(s) with {kinds} ({', '.join(marks[:_EXAMPLES])}"
            f"{more})"
        )
    if described:
        decisions.append(f"{described} Placemark description(s) without ExtendedData kept as notes")
    columns = list(dict.fromkeys(k for row in rows for k in row))
    frame = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=columns or ["name"]),
        geometry=gpd.GeoSeries(geoms, index=range(len(rows))),
        crs="EPSG:4326",
    )
    source = where + (f" folder {layer!r}" if layer else "")
    origin = "the KML standard: WGS 84 longitude, latitude"
    return SpecialRead(frame, source, origin, decisions, broken, warned)


def _kml_bytes(path: Path) -> tuple[bytes, str | None]:
    if path.suffix.lower() != ".kmz":
        if path.stat().st_size > MAX_KML_BYTES:
            raise _too_large(path, path.stat().st_size)
        return path.read_bytes(), None
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if not i.is_dir()]
            kmls = [i for i in members if PurePosixPath(i.filename).suffix.lower() == ".kml"]
            chosen = next((i for i in kmls if i.filename.lower() == "doc.kml"), None)
            chosen = chosen or next(iter(kmls), None)
            if chosen is None:
                listing = ", ".join(i.filename for i in members[:10]) or "nothing"
                msg = f"{path}: a KMZ must hold doc.kml; it holds {listing}"
                raise InputError(msg, zh=f"{path}：KMZ 中应有 doc.kml，但只有 {listing}")
            if chosen.file_size > MAX_KML_BYTES:
                raise _too_large(path, chosen.file_size)
            with archive.open(chosen) as member:
                data = member.read(MAX_KML_BYTES + 1)
            if len(data) > MAX_KML_BYTES:
                raise _too_large(path, len(data))
            return data, chosen.filename
    except zipfile.BadZipFile as exc:
        msg = f"{path}: not a KMZ (zip) archive ({exc})"
        raise InputError(msg, zh=f"{path}：不是 KMZ（zip）压缩包（{exc}）") from None


def _too_large(path: Path, size: int) -> InputError:
    msg = (
        f"{path}: its KML is {size / 1e6:.0f} MB, more than the {MAX_KML_BYTES / 1e6:.0f} MB "
        "parkgis reads; split it, or convert it to a GeoPackage"
    )
    zh = (
        f"{path}：其 KML 有 {size / 1e6:.0f} MB，超过 parkgis 读取上限 "
        f"{MAX_KML_BYTES / 1e6:.0f} MB；请拆分，或转为 GeoPackage"
    )
    return InputError(msg, zh=zh)


def _parse(data: bytes, where: str, encoding: str | None) -> ET.Element:
    try:
        if encoding is not None:
            text = data.decode(encoding)
            text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
            return ET.fromstring(text)
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        msg = (
            f"{where}: not well-formed XML at line {line}, column {column} ({exc}); "
            "export the KML again, or give --encoding if its text is not UTF-8"
        )
        zh = (
            f"{where}：第 {line} 行第 {column} 列不是合法的 XML（{exc}）；请重新导出 KML，"
            "若文本不是 UTF-8 请给出 --encoding"
        )
        raise InputError(msg, zh=zh) from None
    except (UnicodeDecodeError, LookupError) as exc:
        msg = f"{where}: cannot be decoded as {encoding} ({exc})"
        raise InputError(msg, zh=f"{where}：无法按 {encoding} 解码（{exc}）") from None


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _text(element: ET.Element, name: str) -> str | None:
    for child in _children(element, name):
        value = "".join(child.itertext()).strip()
        return value or None
    return None


def _placemarks(
    root: ET.Element, layer: str | None, where: str, decisions: list[str]
) -> list[ET.Element]:
    if _local(root.tag) != "kml" and not any(_local(e.tag) == "Placemark" for e in root.iter()):
        msg = f"{where}: not a KML document (its root element is <{_local(root.tag)}>)"
        raise InputError(msg, zh=f"{where}：不是 KML 文档（根元素为 <{_local(root.tag)}>）")
    if layer is None:
        return [e for e in root.iter() if _local(e.tag) == "Placemark"]
    folders = [e for e in root.iter() if _local(e.tag) in {"Folder", "Document"}]
    chosen = [f for f in folders if _text(f, "name") == layer]
    if not chosen:
        names = sorted({n for f in folders if (n := _text(f, "name"))})
        msg = f"{where}: no Folder named {layer!r}; its folders: {', '.join(names) or 'none'}"
        raise InputError(
            msg, zh=f"{where}：没有名为 {layer!r} 的文件夹；已有：{'、'.join(names) or '无'}"
        )
    decisions.append(f"Placemarks of folder {layer!r}, as chosen")
    return [e for f in chosen for e in f.iter() if _local(e.tag) == "Placemark"]


def _geometries(mark: ET.Element) -> tuple[list[ET.Element], list[str]]:
    polygons: list[ET.Element] = []
    others: list[str] = []

    def walk(element: ET.Element) -> None:
        for child in element:
            kind = _local(child.tag)
            if kind == "Polygon":
                polygons.append(child)
            elif kind == "MultiGeometry":
                walk(child)
            elif kind in {"Point", "LineString", "LinearRing", "Model", "Track", "MultiTrack"}:
                others.append(kind)

    walk(mark)
    return polygons, others


def _attributes(mark: ET.Element, label: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for data in (e for e in mark.iter() if _local(e.tag) in {"Data", "SimpleData"}):
        key = data.get("name")
        if not key:
            continue
        if _local(data.tag) == "SimpleData":
            value = "".join(data.itertext()).strip()
        else:
            value = _text(data, "value") or ""
        row[key] = value if value != "" else None
    if row:
        row.setdefault("name", label)
        return row
    if label is not None and _ID_SHAPE.match(label) and any(c.isdigit() for c in label):
        row["parcel_id"] = label
        row["name"] = None
    else:
        row["name"] = label
    description = _text(mark, "description")
    if description:
        row["notes"] = html.unescape(_TAG.sub(" ", description)).strip() or None
    return row


def _ring(element: ET.Element | None) -> tuple[np.ndarray, float]:
    """A LinearRing's coordinates, and how far apart its ends are, in metres."""
    if element is None:
        raise ValueError("a boundary without a LinearRing")
    rings = [e for e in element.iter() if _local(e.tag) == "coordinates"]
    if not rings:
        raise ValueError("a LinearRing without coordinates")
    text = "".join(rings[0].itertext()).split()
    points = []
    for token in text:
        parts = token.split(",")
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise ValueError(f"coordinate {token!r} is not lon,lat[,alt]") from None
        if not (np.isfinite(lon) and np.isfinite(lat)):
            raise ValueError(f"coordinate {token!r} is not a finite number")
        points.append((lon, lat))
    xy = np.array(points, dtype=float)
    if len(np.unique(xy, axis=0)) < 3:
        raise ValueError(f"a ring with {len(np.unique(xy, axis=0))} distinct point(s)")
    gap = 0.0
    if not np.array_equal(xy[0], xy[-1]):
        gap = float(_GEOD.inv(xy[-1, 0], xy[-1, 1], xy[0, 0], xy[0, 1])[2])
        xy = np.vstack([xy, xy[:1]])
    return xy, gap


def _polygon_geometry(polygons: list[ET.Element]) -> tuple[Any, float]:
    parts = []
    gap = 0.0
    for polygon in polygons:
        outer = next(iter(_children(polygon, "outerBoundaryIs")), None)
        shell, g = _ring(next((e for e in outer.iter() if _local(e.tag) == "LinearRing"), None)
                         if outer is not None else None)  # fmt: skip
        gap = max(gap, g)
        holes = []
        for inner in _children(polygon, "innerBoundaryIs"):
            for ring in (e for e in inner.iter() if _local(e.tag) == "LinearRing"):
                hole, g = _ring(ring)
                gap = max(gap, g)
                holes.append(hole)
        parts.append(shapely.Polygon(shell, holes))
    return (parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)), gap


# --------------------------------------------------------------------------- writing


def write_kml(
    parcels: gpd.GeoDataFrame,
    path: str | Path,
    *,
    lang: str = "zh",
    kmz: bool = False,
    private_fields: Iterable[str] = (),
    title: str | None = None,
) -> None:
    """Write parcels as KML (or KMZ) for 奥维互动地图 and Google Earth.

    Parameters
    ----------
    parcels
        Parcels with a CRS and canonical columns (``parcel_id``, ``name``,
        ``acquisition_status`` …).
    path
        The ``.kml`` or ``.kmz`` to write (atomically).
    lang
        Language of the field labels and status names in descriptions.
    kmz
        Write a KMZ (a zip holding ``doc.kml``).
    private_fields
        Fields never written (the park's private fields); columns that are
        not parcel fields are never written either.
    title
        The document's name (default: the file's stem).

    Raises
    ------
    CRSMissingError
        When the parcels have no CRS.
    """
    from parkgis.io.writing import atomic_path

    if parcels.crs is None:
        msg = "the parcels have no CRS, so they cannot be written as longitude, latitude"
        raise CRSMissingError(msg, zh="地块没有坐标系，无法写成经纬度")
    path = Path(path)
    lonlat = _to_lonlat(parcels)
    private = set(private_fields)
    fields = [
        f for f in TABLES["parcels"].fields if f.name in lonlat.columns and f.name not in private
    ]
    ET.register_namespace("", _KML_NS)
    root = ET.Element(f"{{{_KML_NS}}}kml")
    document = _sub(root, "Document")
    _sub(document, "name", title or path.stem)
    for term in ACQUISITION:
        _style(document, f"status-{term.code}", term.colour)
    _style(document, "status-none", "#969696")
    from parkgis.measure.area import gross_area_mu

    areas = gross_area_mu(parcels).to_numpy()
    for pos in range(len(lonlat)):
        row = lonlat.iloc[pos]
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        mark = _sub(document, "Placemark")
        ident = _value(row.get("parcel_id"))
        _sub(mark, "name", _value(row.get("name")) or ident or f"{pos + 1}")
        status = _value(row.get("acquisition_status"))
        known = status is not None and status in ACQUISITION.codes
        _sub(mark, "styleUrl", f"#status-{status if known else 'none'}")
        _sub(mark, "description", _description(row, fields, float(areas[pos]), lang))
        extended = _sub(mark, "ExtendedData")
        for f in fields:
            value = _value(row.get(f.name))
            if value is None:
                continue
            data = _sub(extended, "Data")
            data.set("name", f.name)
            _sub(data, "displayName", f.label(lang))
            _sub(data, "value", value)
        _geometry(mark, geom)
    ET.indent(root)
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    with atomic_path(path) as tmp:
        if kmz:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("doc.kml", body)
        else:
            Path(tmp).write_bytes(body)


def _to_lonlat(parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Longitude, latitude: CGCS2000 as it is (no shift, see the module), else WGS 84."""
    crs = CRS.from_user_input(parcels.crs)
    datum = crs.datum.name if crs.datum is not None else ""
    target = 4490 if datum in {"China 2000", "China Geodetic Coordinate System 2000"} else 4326
    return parcels.to_crs(target)


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{_KML_NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _style(document: ET.Element, ident: str, colour: str) -> None:
    style = _sub(document, "Style")
    style.set("id", ident)
    line = _sub(style, "LineStyle")
    _sub(line, "color", kml_colour(colour))
    _sub(line, "width", "2")
    poly = _sub(style, "PolyStyle")
    _sub(poly, "color", kml_colour(colour, alpha=FILL_ALPHA))


def _value(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text if text != "" else None


def _shown(field: Any, value: str, lang: str) -> str:
    """A value as a person reads it: vocabulary codes as their labels."""
    kind = str(field.kind)
    if kind.startswith("vocab:"):
        vocabulary = VOCABULARIES.get(kind.split(":", 1)[1])
        if vocabulary is not None and value in vocabulary.codes:
            return vocabulary.label(value, lang=lang)
    return value


def _description(row: pd.Series, fields: list[Any], area_mu: float, lang: str) -> str:
    """An HTML table of the public fields; every value escaped."""
    cells = []
    for f in fields:
        value = _value(row.get(f.name))
        if value is None:
            continue
        shown = html.escape(_shown(f, value, lang))
        cells.append(f"<tr><th>{html.escape(f.label(lang))}</th><td>{shown}</td></tr>")
    if np.isfinite(area_mu):
        cells.append(f"<tr><th>{html.escape(field_label('area_mu', lang))}</th>"
                     f"<td>{area_mu:.2f}</td></tr>")  # fmt: skip
    return "<table>" + "".join(cells) + "</table>"


def _coordinates(ring: Any) -> str:
    return " ".join(f"{x!r},{y!r}" for x, y in np.asarray(ring.coords)[:, :2].tolist())


def _geometry(mark: ET.Element, geom: Any) -> None:
    polygons = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    parent = _sub(mark, "MultiGeometry") if len(polygons) > 1 else mark
    for polygon in shapely.orient_polygons(np.array(polygons, dtype=object)):
        element = _sub(parent, "Polygon")
        outer = _sub(_sub(element, "outerBoundaryIs"), "LinearRing")
        _sub(outer, "coordinates", _coordinates(polygon.exterior))
        for hole in polygon.interiors:
            inner = _sub(_sub(element, "innerBoundaryIs"), "LinearRing")
            _sub(inner, "coordinates", _coordinates(hole))
