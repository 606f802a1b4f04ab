"""The data a park map carries: compact parcels, popups, constraints, zones.

:func:`map_payload` turns a :class:`~parkgis.model.park.Park` into one plain
dict, later written into the page as JSON and drawn by
``static/parkgis-map.js``. Nothing here is HTML: user text (names, notes)
travels as JSON string values and is put on the page with ``textContent``.

Size matters at 10,000 parcels and more, so parcels are encoded compactly:

- coordinates rounded to 1e-6 degree (about 0.1 m) and delta-coded as
  integers in one flat array, with ring, polygon and feature counts beside it
  (closing vertices dropped);
- one class index per parcel, styled through a lookup table in the page;
- popup fields as columns, dictionary-encoded where values repeat.

Areas shown anywhere are measured on the full, unrounded geometry
(:func:`~parkgis.measure.area.gross_area_mu`); the optional simplification
(coverage-aware, so neighbours stay gap-free) only changes what is drawn.

Parks of thousands of parcels are drawn on canvas tiles instead
(``tiled=True``, see :mod:`parkgis.maps.topology`): the parcels come as
shared arcs, written once for both neighbours, packed five bits a character,
with the zoom from which each vertex is drawn; label points and classes are
packed too, and reserve-zone outlines come the same way
(``zone_outlines``).

Constraint corridors are buffers in the local CGCS2000 Gauss-Kruger zone,
with the setbacks of :func:`parkgis.land.constraints.constraint_setbacks` (a
feature's own ``setback_m``/``corridor_m``, else the park's rules): a line
with a 25 m setback gets a 50 m wide corridor, a polygon its own area plus
25 m. Reserve zones outline the unacquired parcels of each zone.
With a GCJ-02 basemap (Gaode) every displayed coordinate is shifted by
:mod:`parkgis.maps.gcj02`; the park itself is never changed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from parkgis.errors import ParkgisError
from parkgis.land.constraints import constraint_setbacks, park_rules
from parkgis.land.reserve import reserve_figures
from parkgis.maps import gcj02
from parkgis.maps.basemaps import GCJ02, Basemap, MapError
from parkgis.maps.legend import legend_rows, summary_figures
from parkgis.maps.style import Category, legend_title, parcel_classes, ui_strings
from parkgis.maps.topology import (
    build_topology,
    encode_topology,
    pack_signed,
    pack_unsigned,
    vertex_zooms,
)
from parkgis.measure.area import gross_area_mu
from parkgis.measure.crs import CGCS2000, local_gk_crs, lonlat_bounds
from parkgis.measure.units import SQM_PER_MU
from parkgis.model.park import Park
from parkgis.model.schema import TABLES, field_label
from parkgis.model.vocab import CONSTRAINT_KIND, VOCABULARIES

__all__ = [
    "DEFAULT_FIELDS",
    "PROJECT_FIELDS",
    "SCALE",
    "encode_polygons",
    "encode_tiled",
    "label_zoom",
    "legend_figures",
    "map_payload",
    "parcel_changes",
    "reserve_zones",
    "summary_payload",
]

SCALE = 1_000_000
"""Coordinates are integers in 1e-6 degree (about 0.1 m)."""

DEFAULT_FIELDS: tuple[str, ...] = (
    "name",
    "parcel_id",
    "zone",
    "land_use",
    "area_mu",
    "declared_area_mu",
    "acquisition_status",
    "acquisition_step",
    "title_status",
    "project_id",
    "expected_acquisition",
    "status_date",
    "notes",
)
"""Parcel fields a popup shows by default (when the parcels have them)."""

PROJECT_FIELDS: tuple[str, ...] = ("name", "company", "investment_wan", "stage", "signed_on")
"""Fields of each project a parcel belongs to, shown under the parcel's."""

_ZONE_CLOSE_M = 10.0  # joins a zone's parcels across roads up to 20 m wide
_ZONE_SIMPLIFY_M = 0.05
_LABEL_PX = 60  # a parcel is labelled once its median side spans this many pixels
_AREA_FIELDS = {"area_mu", "declared_area_mu", "land_demand_mu"}
_FINEST_ZOOM = 19  # the last zoom with its own simplification; the map goes to 20
_TILE_PX = 256


def map_payload(
    park: Park,
    *,
    color_by: str = "acquisition_status",
    lang: str = "zh",
    include_private: bool = False,
    basemaps: Sequence[Basemap] = (),
    fields: Sequence[str] | None = None,
    simplify_m: float = 0.0,
    tiled: bool = False,
    notes: Sequence[str] = (),
    withheld: str | None = None,
    live: Mapping[str, Any] | None = None,
    zone_cache: MutableMapping[Any, Any] | None = None,
) -> dict[str, Any]:
    """Everything a park map draws, as one JSON-ready dict.

    Parameters
    ----------
    park
        The park; its parcels need a CRS.
    color_by
        ``acquisition_status`` (default), ``stage``, ``title``,
        ``land_use`` or ``zone``.
    lang
        ``zh`` or ``en``, for every label.
    include_private
        Show the manifest's private fields (land owners' names ...) in popups.
    basemaps
        Resolved basemaps; with GCJ-02 ones, displayed coordinates are shifted.
    fields
        Parcel fields for popups (default :data:`DEFAULT_FIELDS`, those present).
    simplify_m
        Coverage-aware simplification tolerance for drawing, in metres
        (0 = none). Areas are never taken from the simplified copy.
    tiled
        Encode parcels and zone outlines as shared arcs for drawing on canvas
        tiles (:func:`encode_tiled`), instead of one polygon per parcel.
    notes
        Statements shown under the legend: the repairs and the parcels left
        out by the park's reading (:class:`parkgis.check.reading.Reading`).
    withheld
        Why the "available" figure is not given (the park's errors stop
        ``parkgis reserve``); None computes it.
    live
        Written into the data as ``live``, for a served map that follows
        the park in place (:mod:`parkgis.serve.live`): its page and ``seq``.
    zone_cache
        Reserve-zone outlines kept between maps of the same geometry (see
        :func:`reserve_zones`).

    Raises
    ------
    MapError
        For an unknown field, or a private field asked for without
        ``include_private``.
    CRSMissingError
        When the parcels have no CRS.
    """
    ui = ui_strings(lang)
    parcels = park.parcels.reset_index(drop=True)
    area_mu = gross_area_mu(parcels)
    shifted = any(b.datum == GCJ02 for b in basemaps)
    centre = _centre_lonlat(parcels)
    gk = local_gk_crs(centre[0])

    codes, cats = parcel_classes(parcels, by=color_by, lang=lang, projects=park.projects)
    index = {c.code: i for i, c in enumerate(cats)}

    metric = parcels.geometry.to_crs(gk)  # the local Gauss-Kruger zone, for buffers
    display = _display_geoms(parcels, metric, simplify_m=simplify_m, shifted=shifted)
    label_points = shapely.point_on_surface(display)
    if tiled:
        encoded = encode_tiled(display, lat=centre[1])
        origin = encoded["origin"]
        lp: Any = _packed_points(label_points, origin)
    else:
        encoded = encode_polygons(display)
        origin = encoded.pop("origin")
        lp = _quantise_points(label_points, origin)

    columns, keys = _popup_columns(parcels, area_mu, park, fields, include_private, lang)
    projects, per_parcel = _projects(parcels, park, include_private, lang)

    available, why_not = (math.nan, withheld) if withheld else _available_mu(park)
    zones, zone_outlines = reserve_zones(
        parcels, area_mu, lang=lang, gk=gk, lat=centre[1], metric=metric, shifted=shifted,
        tiled=tiled, cache=zone_cache,
    )  # fmt: skip
    bounds = _bounds(display)
    payload: dict[str, Any] = {
        "version": 1,
        "title": park.manifest.display_name,
        "lang": lang,
        "ui": ui,
        "origin": origin,
        "scale": SCALE,
        "bounds": bounds,
        "label_zoom": label_zoom(area_mu, lat=(bounds[0][0] + bounds[1][0]) / 2),
        "basemaps": [_basemap_payload(b, lang) for b in basemaps],
        "shift": _shift_payload(centre, ui) if shifted else None,
        "legend": {
            "title": legend_title(color_by, lang),
            "field": color_by,
            **legend_figures(codes, cats, area_mu),
            "note": ui["area_note"],
            "notes": list(notes),
        },
        "parcels": {
            "n": len(parcels),
            **encoded,
            "cls": pack_unsigned([index[c] for c in codes]) if tiled else [index[c] for c in codes],
            "lp": lp,
            "cols": columns,
            "keys": keys,
            "proj": per_parcel,
        },
        "projects": projects,
        "constraints": _constraints_payload(park, gk=gk, shifted=shifted, lang=lang),
        "zones": zones,
        "outline": _outline(metric, parcels, shifted=shifted),
        "summary": summary_payload(
            parcels, area_mu, lang=lang, available_mu=available, why_not=why_not
        ),
    }
    if tiled:
        payload["zone_outlines"] = zone_outlines
    if live is not None:
        payload["live"] = dict(live)
    return payload


def legend_figures(
    codes: pd.Series, categories: Sequence[Category], area_mu: pd.Series
) -> dict[str, Any]:
    """The legend's classes (code, label, colour, count, mu) and its total, as a map has them.

    Parameters
    ----------
    codes, categories
        Each parcel's class and the classes in legend order
        (:func:`parkgis.maps.style.parcel_classes`).
    area_mu
        Each parcel's measured area, aligned with ``codes``.

    Examples
    --------
    >>> from parkgis.maps.style import Category
    >>> legend = legend_figures(pd.Series(["a", "a"]), [Category("a", "A", "#000000")],
    ...                         pd.Series([15.0, 7.5]))
    >>> legend["classes"][0]["mu_text"], legend["total"]
    ('22.5', {'count': 2, 'mu_text': '22.5'})
    """
    rows = legend_rows(codes, categories, area_mu)
    classes = [
        {
            "code": r.code,
            "label": r.label,
            "colour": r.colour,
            "count": int(r.count),
            "area_mu": round(float(r.area_mu), 4),
            "mu_text": f"{r.area_mu:,.1f}",
        }
        for r in rows.itertuples()
    ]
    total = {"count": len(codes), "mu_text": f"{np.nansum(area_mu.to_numpy()):,.1f}"}
    return {"classes": classes, "total": total}


def summary_payload(
    parcels: pd.DataFrame,
    area_mu: pd.Series,
    *,
    lang: str,
    available_mu: float,
    why_not: str | None = None,
) -> list[dict[str, str]]:
    """The rows of a map's summary panel: total, acquired, being acquired, available, unacquired.

    ``available_mu`` is the park's net buildable land free now (as
    ``parkgis reserve`` counts it), or NaN with ``why_not`` saying why it is
    not given. See :func:`parkgis.maps.legend.summary_figures`.
    """
    figures = summary_figures(parcels, area_mu, available_mu=available_mu)
    return _summary_payload(figures, ui_strings(lang), why_not=why_not)


def reserve_zones(
    parcels: gpd.GeoDataFrame,
    area_mu: pd.Series,
    *,
    lang: str,
    gk: Any = None,
    lat: float | None = None,
    metric: gpd.GeoSeries | None = None,
    shifted: bool = False,
    tiled: bool = False,
    cache: MutableMapping[Any, Any] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Each zone's unacquired parcels (name, count, mu) and the outline around them.

    Parameters
    ----------
    parcels, area_mu
        The parcels (a RangeIndex) and their measured areas, aligned.
    lang
        The language of the zone texts.
    gk, lat
        The local Gauss-Kruger CRS the outlines are drawn in, and the latitude
        of the map's centre (for the zooms of the tiled outlines); by default
        those of the parcels' centre, as :func:`map_payload` takes them.
    metric
        The parcels in ``gk``, when the caller has them (else converted here,
        zone by zone).
    shifted
        Shift the outlines to GCJ-02 (a Gaode basemap).
    tiled
        Give the outlines as shared arcs (:func:`encode_tiled`), for a map
        drawn on tiles; else each zone carries its outline as a GeoJSON
        ``feature``.
    cache
        Outlines kept by zone and by the ids of its unacquired parcels: a zone
        whose parcels are those of an outline kept is not drawn again. Only
        for parcels of the same geometry (``parkgis serve`` keeps one per
        geometry generation).

    Returns
    -------
    zones, outlines
        The zones, and (``tiled``) their outlines encoded, else None.
    """
    ui = ui_strings(lang)
    if gk is None or lat is None:
        centre = _centre_lonlat(parcels)
        gk = local_gk_crs(centre[0]) if gk is None else gk
        lat = centre[1] if lat is None else lat
    zones = _zones_payload(parcels, area_mu, metric, gk=gk, shifted=shifted, ui=ui,
                           tiled=tiled, cache=cache)  # fmt: skip
    if not tiled:
        return zones, None
    shapes = [z.pop("shape") for z in zones]
    return zones, encode_tiled(np.array(shapes, dtype=object), lat=lat)


def parcel_changes(
    park: Park,
    positions: Sequence[int],
    *,
    area_mu: pd.Series,
    color_by: str = "acquisition_status",
    lang: str = "zh",
    include_private: bool = False,
    fields: Sequence[str] | None = None,
) -> dict[str, Any]:
    """What a map draws of some parcels, for a map already open to show them anew.

    Parameters
    ----------
    park
        The park the map was drawn from, as it is now (same parcels, same order).
    positions
        The positions of the parcels in ``park.parcels``.
    area_mu
        The measured area of every parcel of ``park`` (aligned with its rows).
    color_by, lang, include_private, fields
        As the map was drawn with (:func:`map_payload`).

    Returns
    -------
    dict
        ``labels`` (the popup fields' labels, in order: the park may have
        gained a field since the map was drawn, such as ``status_date``),
        ``keys`` (which of them are the name, id and area, as the map's
        ``parcels.keys``), ``project_labels`` and ``project_keys`` (the same
        of the project fields), and ``parcels``: for each position, its
        ``id`` (as the map shows it), class ``cls`` (a legend class code),
        popup values ``cols`` and, for each project it belongs to, that
        project's values ``proj``. User text stays text: the map puts it on
        the page with ``textContent``.
    """
    rows = list(positions)
    parcels = park.parcels.iloc[rows].reset_index(drop=True)
    area = pd.Series(np.asarray(area_mu, dtype=float)[rows])
    codes, _ = parcel_classes(parcels, by=color_by, lang=lang, projects=park.projects)
    chosen = _popup_fields(park.parcels, park, fields, include_private)
    values = [
        _display_values(name, (area if name == "area_mu" else parcels[name]).tolist(), lang)
        for name in chosen
    ]
    projects, per_parcel = _projects(parcels, park, include_private, lang)
    project_values = [_column_values(col) for col in projects["cols"]]
    ids = _display_values("parcel_id", parcels["parcel_id"].tolist(), lang)
    out = []
    for k in range(len(rows)):
        linked = per_parcel[k] if per_parcel is not None else []
        out.append(
            {
                "id": ids[k],
                "cls": codes.iat[k],
                "cols": [column[k] for column in values],
                "proj": [[column[j] for column in project_values] for j in linked],
            }
        )
    project_fields = _project_fields(park, include_private)
    schema = TABLES["projects"]
    return {
        "labels": [field_label(name, lang) for name in chosen],
        "keys": _popup_keys(chosen),
        "project_labels": [schema.field(f).label(lang) for f in project_fields],
        "project_keys": _project_keys(project_fields),
        "parcels": out,
    }


def encode_tiled(geoms: np.ndarray | gpd.GeoSeries, *, lat: float) -> dict[str, Any]:
    """Polygons in degrees as packed shared arcs, with a zoom for each vertex.

    The zoom bands run from the zoom at which the polygons' extent fits one
    256 px tile up to 19; each band's arcs are simplified to half a pixel
    (:func:`parkgis.maps.topology.vertex_zooms`).

    Returns
    -------
    dict
        :func:`parkgis.maps.topology.encode_topology`'s fields, with
        ``enc`` = ``"topo"``.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> enc = encode_tiled(np.array([box(105.96, 32.32, 105.961, 32.321)]), lat=32.32)
    >>> enc["enc"], enc["n"], enc["al"], enc["refs"]
    ('topo', 1, 'F', 'A')
    """
    values = np.asarray(getattr(geoms, "array", geoms), dtype=object)
    topo = build_topology(values)
    low = _lowest_zoom(values, lat=lat)
    levels = vertex_zooms(topo, lat=lat, zooms=(low, _FINEST_ZOOM))
    return {"enc": "topo", **encode_topology(topo, levels=levels, low=low)}


def _lowest_zoom(values: np.ndarray, *, lat: float) -> int:
    """The zoom at which the polygons' extent fits one 256 px tile (0 to the finest)."""
    present = values[~(shapely.is_missing(values) | shapely.is_empty(values))]
    if len(present) == 0:
        return _FINEST_ZOOM
    minx, miny, maxx, maxy = shapely.total_bounds(present)
    shrink = max(math.cos(math.radians(lat)), 0.01)
    span_m = max((maxx - minx) * 111_319.5 * shrink, (maxy - miny) * 110_574.0)
    if span_m <= 0:
        return _FINEST_ZOOM
    zoom = math.floor(math.log2(_TILE_PX * 156_543.03 * shrink / span_m))
    return int(min(_FINEST_ZOOM, max(0, zoom)))


def encode_polygons(geoms: np.ndarray | gpd.GeoSeries) -> dict[str, Any]:
    """Encode polygons in degrees as delta-coded integers in 1e-6 degree.

    Returns
    -------
    dict
        ``origin`` [x, y] (the integer minimum), ``xy`` the flat deltas
        (x, y alternating, starting from the origin, closing vertices
        dropped), ``rl`` vertices per ring, ``pr`` rings per polygon and
        ``fp`` polygons per feature (None where every one is 1). A missing
        or empty geometry has 0 polygons.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> enc = encode_polygons(np.array([box(105.0, 32.0, 105.000002, 32.000001)]))
    >>> enc["origin"], enc["xy"], enc["rl"], enc["pr"], enc["fp"]
    ([105000000, 32000000], [2, 0, 0, 1, -2, 0, 0, -1], [4], None, None)

    (A box runs counter-clockwise from its south-east corner; four vertices
    once the closing one is dropped.)
    """
    values = np.asarray(getattr(geoms, "array", geoms), dtype=object)
    values = np.where(shapely.is_missing(values) | shapely.is_empty(values), None, values)
    if len(values) == 0 or all(v is None for v in values):
        return {"origin": [0, 0], "xy": [], "rl": [], "pr": None, "fp": [0] * len(values)}
    gtype, coords, offsets = shapely.to_ragged_array(values)
    if gtype == shapely.GeometryType.POLYGON:
        ring_off, poly_off = offsets
        rings_per_poly = np.diff(poly_off)
        fp = (rings_per_poly > 0).astype(np.int64)  # a missing polygon has no ring
        pr = rings_per_poly[rings_per_poly > 0]
    elif gtype == shapely.GeometryType.MULTIPOLYGON:
        ring_off, poly_off, feat_off = offsets
        fp = np.diff(feat_off)
        pr = np.diff(poly_off)
    else:
        kind = shapely.GeometryType(gtype).name
        raise MapError(
            f"parcels must be polygons to be drawn, not {kind}",
            zh=f"地块必须是面（多边形）才能绘制，不能是 {kind}",
        )
    rl = np.diff(ring_off)
    drop = np.zeros(len(coords), dtype=bool)
    drop[ring_off[1:] - 1] = True  # closing vertex of each ring
    q = np.rint(coords[~drop, :2] * SCALE).astype(np.int64)
    origin = q.min(axis=0)
    rel = q - origin
    deltas = np.diff(rel, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {
        "origin": [int(origin[0]), int(origin[1])],
        "xy": deltas.ravel().tolist(),
        "rl": (rl - 1).tolist(),
        "pr": None if np.all(pr == 1) else pr.tolist(),
        "fp": None if np.all(fp == 1) else fp.tolist(),
    }


def label_zoom(area_mu: pd.Series, *, lat: float) -> int:
    """The zoom from which parcel labels are shown.

    The zoom at which the median parcel's side spans about 60 pixels, between
    12 and 19.

    Examples
    --------
    >>> label_zoom(pd.Series([30.0, 30.0]), lat=32.3)
    16
    """
    values = area_mu.dropna().to_numpy()
    if len(values) == 0:
        return 16
    side_m = math.sqrt(float(np.median(values)) * SQM_PER_MU)
    if side_m <= 0:
        return 19
    zoom = math.log2(156_543.03 * math.cos(math.radians(lat)) * _LABEL_PX / side_m)
    return int(min(19, max(12, math.ceil(zoom))))


def _centre_lonlat(parcels: gpd.GeoDataFrame) -> tuple[float, float]:
    bounds = parcels.total_bounds
    if not len(parcels) or not np.isfinite(bounds).all():
        return (105.0, 35.0)
    lon0, lat0, lon1, lat1 = lonlat_bounds(tuple(bounds), parcels.crs)
    return ((lon0 + lon1) / 2, (lat0 + lat1) / 2)


def _display_geoms(
    parcels: gpd.GeoDataFrame, metric: gpd.GeoSeries, *, simplify_m: float, shifted: bool
) -> np.ndarray:
    geoms = parcels.geometry
    if simplify_m > 0:
        simple = shapely.coverage_simplify(np.asarray(metric.array, dtype=object), simplify_m)
        geoms = gpd.GeoSeries(simple, crs=metric.crs, index=geoms.index)
    values = np.asarray(geoms.to_crs(CGCS2000).array, dtype=object)
    values = shapely.force_2d(values)
    if shifted:
        values = gcj02.shift_geometries(values)
    return values


def _quantise_points(points: np.ndarray, origin: list[int]) -> list[int | None]:
    out: list[int | None] = []
    xy = shapely.get_coordinates(points, include_z=False)
    present = ~(shapely.is_missing(points) | shapely.is_empty(points))
    it = iter(np.rint(xy * SCALE).astype(np.int64) - np.asarray(origin))
    for ok in present:
        if ok:
            x, y = next(it)
            out += [int(x), int(y)]
        else:
            out += [None, None]
    return out


def _packed_points(points: np.ndarray, origin: list[int]) -> str:
    """Present points only, as packed deltas (x, y) in 1e-6 degree from ``origin``."""
    present = ~(shapely.is_missing(points) | shapely.is_empty(points))
    xy = shapely.get_coordinates(points[present], include_z=False)
    q = np.rint(xy * SCALE).astype(np.int64) - np.asarray(origin, dtype=np.int64)
    return pack_signed(np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel())


def _bounds(display: np.ndarray) -> list[list[float]]:
    present = display[~(shapely.is_missing(display) | shapely.is_empty(display))]
    if len(present) == 0:
        return [[32.3, 105.9], [32.34, 106.0]]
    minx, miny, maxx, maxy = shapely.total_bounds(present)
    return [
        [round(float(miny), 6), round(float(minx), 6)],
        [round(float(maxy), 6), round(float(maxx), 6)],
    ]


def _popup_columns(
    parcels: pd.DataFrame,
    area_mu: pd.Series,
    park: Park,
    fields: Sequence[str] | None,
    include_private: bool,
    lang: str,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    chosen = _popup_fields(parcels, park, fields, include_private)
    columns = []
    for name in chosen:
        values = area_mu if name == "area_mu" else parcels[name]
        text = _display_values(name, values.tolist(), lang)
        columns.append(_column(field_label(name, lang), text))
    return columns, _popup_keys(chosen)


def _popup_fields(
    parcels: pd.DataFrame, park: Park, fields: Sequence[str] | None, include_private: bool
) -> list[str]:
    """The parcel fields a popup shows, in order (see :func:`map_payload`'s ``fields``)."""
    private = set(park.manifest.private_fields)
    available = set(parcels.columns) | {"area_mu"}
    if fields is None:
        chosen = [f for f in DEFAULT_FIELDS if f in available]
    else:
        chosen = list(dict.fromkeys(fields))
        missing = [f for f in chosen if f not in available]
        if missing:
            known = ", ".join(sorted(c for c in available if c != "geometry"))
            raise MapError(
                f"popup field(s) {', '.join(missing)} are not in the parcels; fields: {known}",
                zh=f"地块中没有弹窗字段 {'、'.join(missing)}；现有字段：{known}",
            )
        hidden = [f for f in chosen if f in private and not include_private]
        if hidden:
            msg = (
                f"popup field(s) {', '.join(hidden)} are private in the park's manifest "
                f"(land owners' data); pass include_private=True (--include-private) to show them"
            )
            zh = (
                f"弹窗字段 {'、'.join(hidden)} 在园区清单（park.toml）中列为私密"
                f"（土地权利人信息）；如需显示，请加 include_private=True（--include-private）"
            )
            raise MapError(msg, zh=zh)
    chosen = [f for f in chosen if include_private or f not in private]
    if include_private:
        chosen += [
            f for f in park.manifest.private_fields if f in parcels.columns and f not in chosen
        ]
    return chosen


def _projects(
    parcels: pd.DataFrame, park: Park, include_private: bool, lang: str
) -> tuple[dict[str, Any], list[list[int]] | None]:
    projects = park.projects
    empty: dict[str, Any] = {"cols": [], "keys": {"name": -1, "company": -1}}
    if projects is None or not len(projects) or "project_id" not in projects.columns:
        return empty, None
    keyed = projects.dropna(subset=["project_id"]).drop_duplicates("project_id")
    row_of = {str(p): i for i, p in enumerate(keyed["project_id"])}
    ids = parcels["parcel_id"].astype(str).tolist() if "parcel_id" in parcels.columns else []
    linked: list[list[str]] = [[] for _ in range(len(parcels))]
    if "project_id" in parcels.columns:
        for i, pid in enumerate(parcels["project_id"].tolist()):
            if isinstance(pid, str) and pid.strip() and pid in row_of:
                linked[i].append(pid)
    alloc = park.allocations
    if alloc is not None and len(alloc) and ids:
        position = {pid: i for i, pid in enumerate(ids)}
        for parcel_id, pid in alloc[["parcel_id", "project_id"]].itertuples(index=False):
            i = position.get(str(parcel_id))
            if i is not None and isinstance(pid, str) and pid in row_of and pid not in linked[i]:
                linked[i].append(pid)
    used = sorted({p for ps in linked for p in ps}, key=lambda p: row_of[p])
    if not used:
        return empty, None
    compact = {p: i for i, p in enumerate(used)}
    rows = keyed.iloc[[row_of[p] for p in used]]
    names = _project_fields(park, include_private)
    schema = TABLES["projects"]
    cols = [
        _column(
            schema.field(f).label(lang),
            _display_values(f, rows[f].tolist(), lang, table="projects"),
        )
        for f in names
    ]
    return {"cols": cols, "keys": _project_keys(names)}, [[compact[p] for p in ps] for ps in linked]


def _project_fields(park: Park, include_private: bool) -> list[str]:
    """The project fields a popup shows under a parcel's (whether it has a project or not)."""
    projects = park.projects
    if projects is None or "project_id" not in projects.columns:
        return []
    private = set() if include_private else set(park.manifest.private_fields)
    return [f for f in PROJECT_FIELDS if f in projects.columns and f not in private]


def _project_keys(names: Sequence[str]) -> dict[str, int]:
    """Which project field is the name and which the company (-1: none)."""
    return {key: names.index(key) if key in names else -1 for key in ("name", "company")}


def _popup_keys(chosen: Sequence[str]) -> dict[str, int]:
    """Which popup field is the parcel's name, id and area (-1: none)."""
    return {
        key: chosen.index(name) if name in chosen else -1
        for key, name in (("name", "name"), ("id", "parcel_id"), ("area", "area_mu"))
    }


def _column_values(column: dict[str, Any]) -> list[str | None]:
    """A popup column's values, one per row (see :func:`_column`)."""
    if "values" in column:
        return list(column["values"])
    return [column["dict"][k] if k >= 0 else None for k in column["idx"]]


def _column(label: str, values: list[str | None]) -> dict[str, Any]:
    """A popup column: plain values, or a dictionary and codes where values repeat."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    if len(uniques) * 2 <= len(values):
        return {"label": label, "dict": [str(u) for u in uniques], "idx": codes.tolist()}
    return {"label": label, "values": values}


def _display_values(
    name: str, values: list[Any], lang: str, *, table: str = "parcels"
) -> list[str | None]:
    """:func:`_display` over a column, once per distinct value."""
    cache: dict[Any, str | None] = {}
    out: list[str | None] = []
    for value in values:
        try:
            shown = cache[value]
        except KeyError:
            shown = cache[value] = _display(name, value, lang, table=table)
        except TypeError:  # unhashable
            shown = _display(name, value, lang, table=table)
        out.append(shown)
    return out


def _display(name: str, value: Any, lang: str, *, table: str = "parcels") -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    vocab_name = _vocab_of(name, table)
    if vocab_name is not None and isinstance(value, str):
        vocab = VOCABULARIES[vocab_name]
        return vocab.label(value, lang=lang) if value in vocab else value
    if name in _AREA_FIELDS:
        try:
            return f"{float(value):,.2f}"
        except (TypeError, ValueError):
            return str(value)
    if name == "investment_wan":
        try:
            return f"{float(value):,.0f}"
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _vocab_of(name: str, table: str) -> str | None:
    schema = TABLES.get(table)
    if schema is None or name not in schema.names:
        return None
    kind = schema.field(name).kind
    return kind.split(":", 1)[1] if kind.startswith("vocab:") else None


def _legend_text(count: int, mu: float, ui: dict[str, str]) -> str:
    return f"{count} {ui['count']} · {mu:,.1f} {ui['mu']}"


def _available_mu(park: Park) -> tuple[float, str | None]:
    """Net buildable, unallocated land as ``parkgis reserve`` counts it, or why not."""
    try:
        return float(reserve_figures(park)["available_mu"]), None
    except ParkgisError as exc:  # the map still draws; the panel says why
        return math.nan, str(exc)


def _summary_payload(
    figures: dict[str, float], ui: dict[str, str], *, why_not: str | None = None
) -> list[dict[str, str]]:
    rows = []
    for key in ("total", "acquired", "acquiring", "available", "unacquired"):
        mu = figures[key + "_mu"]
        row = {"key": key, "label": ui[f"summary_{key}"], "value": f"{mu:,.1f} {ui['mu']}"}
        if key == "available" and why_not is not None:
            row["value"] = "—"
            row["note"] = why_not
        rows.append(row)
    if figures["undrawn"]:
        rows.append(
            {
                "key": "undrawn",
                "label": ui["summary_undrawn"],
                "value": f"{int(figures['undrawn'])}",
            }
        )
    return rows


def _basemap_payload(basemap: Basemap, lang: str) -> dict[str, Any]:
    return {
        "name": basemap.name,
        "label": basemap.label(lang),
        "url": basemap.url,
        "labels": basemap.labels,
        "subdomains": basemap.subdomains,
        "attribution": basemap.attribution,
        "max_zoom": basemap.max_zoom,
    }


def _shift_payload(centre: tuple[float, float], ui: dict[str, str]) -> dict[str, Any]:
    from pyproj import Geod

    lon, lat = centre
    slon, slat = gcj02.wgs84_to_gcj02(lon, lat)
    metres = Geod(ellps="GRS80").inv(lon, lat, float(slon), float(slat))[2]
    return {
        "datum": GCJ02,
        "metres": round(metres, 1),
        "note": ui["shift_note"].replace("{m}", f"{metres:.0f}"),
    }


def _geojson(geom: shapely.Geometry, properties: dict[str, Any]) -> dict[str, Any]:
    rounded = shapely.set_precision(geom, 1 / SCALE)
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": json.loads(shapely.to_geojson(rounded)),
    }


def _to_display(geoms: gpd.GeoSeries, shifted: bool) -> np.ndarray:
    values = shapely.force_2d(np.asarray(geoms.to_crs(CGCS2000).array, dtype=object))
    return gcj02.shift_geometries(values) if shifted else values


def _constraints_payload(park: Park, *, gk: Any, shifted: bool, lang: str) -> dict[str, Any]:
    layer = park.constraints
    if layer is None or not len(layer) or layer.crs is None:
        return {"features": [], "corridors": []}
    layer = layer.reset_index(drop=True)
    present = ~(layer.geometry.isna() | layer.geometry.is_empty)
    layer = layer[present].reset_index(drop=True)
    rules = constraint_setbacks(layer, park_rules(park))
    setback = rules["setback_m"].astype(float)
    default = rules["basis"].astype(str).str.startswith("rules")
    ui = ui_strings(lang)
    display = _to_display(layer.geometry, shifted)
    metric = np.asarray(layer.geometry.to_crs(gk).array, dtype=object)
    corridors_m = shapely.buffer(metric, setback.to_numpy(), quad_segs=8)
    corridors = _to_display(gpd.GeoSeries(corridors_m, crs=gk), shifted)
    features, corridor_features = [], []
    for i in range(len(layer)):
        kind = layer["kind"].iloc[i] if "kind" in layer.columns else None
        term = (
            CONSTRAINT_KIND.term(kind)
            if isinstance(kind, str) and kind in CONSTRAINT_KIND
            else None
        )
        name = layer["name"].iloc[i] if "name" in layer.columns else None
        props = {
            "kind": term.label(lang) if term else (str(kind) if kind else ""),
            "colour": term.colour if term else "#e31a1c",
            "name": None
            if name is None or (isinstance(name, float) and math.isnan(name))
            else str(name),
            "setback": f"{setback.iloc[i]:g} m"
            + (f" ({ui['setback_default']})" if default.iloc[i] else ""),
        }
        features.append(_geojson(display[i], props))
        if setback.iloc[i] > 0:
            corridor_features.append(_geojson(corridors[i], {"colour": props["colour"]}))
    return {"features": features, "corridors": corridor_features}


def _zones_payload(
    parcels: gpd.GeoDataFrame,
    area_mu: pd.Series,
    metric: gpd.GeoSeries | None,
    *,
    gk: Any,
    shifted: bool,
    ui: dict[str, str],
    tiled: bool = False,
    cache: MutableMapping[Any, Any] | None = None,
) -> list[dict[str, Any]]:
    """Each zone's unacquired parcels: name, count, mu and outline.

    The outline is a GeoJSON feature, or with ``tiled`` the display geometry
    itself (``shape``), to be encoded with the other zones' as shared arcs.
    ``metric`` (the parcels in ``gk``) is converted zone by zone when None;
    ``cache`` keeps outlines by zone and parcels (see :func:`reserve_zones`).
    """
    if "acquisition_status" not in parcels.columns:
        return []
    unacquired = parcels["acquisition_status"].astype(object).eq("unacquired")
    unacquired &= ~(parcels.geometry.isna() | parcels.geometry.is_empty)
    if not unacquired.any():
        return []
    zone = (
        parcels["zone"].astype(object)
        if "zone" in parcels.columns
        else pd.Series([None] * len(parcels))
    )
    zone = zone.where(zone.notna(), "")
    ids = parcels["parcel_id"].astype(str) if "parcel_id" in parcels.columns else None
    where = np.flatnonzero(unacquired.to_numpy())
    groups = pd.Series(where).groupby(zone.to_numpy()[where], sort=False).indices
    out = []
    for name in sorted(groups):
        rows = where[groups[name]]  # in the parcels' order
        key = None
        if cache is not None and ids is not None:
            members = "\x1f".join(ids.iloc[rows].tolist()).encode("utf-8")
            key = ("zone", name, shifted, hashlib.sha1(members).hexdigest())
        display = cache.get(key) if cache is not None and key is not None else None
        if display is None:
            zone_metric = (
                metric.iloc[rows] if metric is not None else parcels.geometry.iloc[rows].to_crs(gk)
            )
            grown = shapely.buffer(
                np.asarray(zone_metric.array, dtype=object), _ZONE_CLOSE_M, join_style="mitre"
            )
            outline = shapely.buffer(shapely.union_all(grown), -_ZONE_CLOSE_M, join_style="mitre")
            # buffering leaves runs of vertices in line; 5 cm off is never seen
            outline = shapely.simplify(outline, _ZONE_SIMPLIFY_M)
            display = _to_display(gpd.GeoSeries([outline], crs=gk), shifted)[0]
            if cache is not None and key is not None:
                cache[key] = display
        mu = float(area_mu.iloc[rows].sum())
        out.append(
            {
                "name": name or None,
                "count": len(rows),
                "text": _legend_text(len(rows), mu, ui),
                "area_mu": round(mu, 4),
                **({"shape": display} if tiled else {"feature": _geojson(display, {})}),
            }
        )
    return out


def _outline(
    metric: gpd.GeoSeries, parcels: gpd.GeoDataFrame, *, shifted: bool
) -> dict[str, Any] | None:
    """The park's shape for the minimap: the convex hull of each zone, merged.

    Cheap at any size (no union of thousands of parcels) and enough at the
    minimap's scale.
    """
    present = ~(parcels.geometry.isna() | parcels.geometry.is_empty)
    if not present.any():
        return None
    gk = metric.crs
    metric = np.asarray(metric[present].array, dtype=object)
    zone = parcels["zone"][present] if "zone" in parcels.columns else None
    keys = (
        pd.Series([""] * len(metric), dtype=object)
        if zone is None
        else zone.astype(object).where(zone.notna(), "").reset_index(drop=True)
    )
    hulls = [
        shapely.convex_hull(shapely.geometrycollections(metric[idx]))
        for idx in keys.groupby(keys, sort=True).indices.values()
    ]
    outline = shapely.simplify(shapely.union_all(hulls), 5.0)
    return _geojson(_to_display(gpd.GeoSeries([outline], crs=gk), shifted)[0], {})
