"""The 界址点成果表 (boundary-point table) of parcels, in a Gauss-Kruger zone.

Every approval package (建设用地报批, 勘测定界) lists, per parcel, its boundary
points numbered J1, J2, … clockwise from the north-west corner, their X
(northing) and Y (easting) in the Gauss-Kruger zone of the site to the
millimetre, the length of each edge, and the parcel's area. The same
numbered rings are what the 界址点坐标 TXT carries
(:mod:`parkgis.io.boundary_txt`).

Conventions (stated here once, used by the table and the TXT):

- each ring runs clockwise in the X/Y plane (as surveyors draw them, the
  outer ring and the holes alike) and starts at its north-west-most vertex:
  the one with the largest ``N - E`` (the northernmost of equals);
- points are numbered J1, J2, … through the whole parcel: the outer ring of
  its first part, then that part's holes, then the next part; each ring is
  closed by repeating its first point, under the same number;
- 圈号 (ring number) is 1 for the first ring, 2, 3, … for the others;
- coordinates are rounded to :data:`DECIMALS` decimals (1 mm) and every
  figure — edge lengths and the planar area — is computed from the rounded
  coordinates, so that anyone recomputing them from the table gets the same;
- the area of the table is the *planar* Gauss-Kruger area of the zone
  (平面面积, as boundary-survey reports give it); the ellipsoidal area in mu
  that every other parkgis figure uses is given beside it, labelled.

Pure core: takes a GeoDataFrame and a CRS, returns frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from parkgis.errors import InputError
from parkgis.measure.area import gross_area_mu
from parkgis.measure.crs import gk_crs
from parkgis.measure.units import SQM_PER_MU

__all__ = [
    "DECIMALS",
    "NumberedRing",
    "boundary_areas",
    "boundary_crs",
    "boundary_points",
    "numbered_rings",
]

DECIMALS = 3
"""Decimals of the coordinates in the table and the TXT (1 mm)."""
_SQM_PER_HA = 10_000.0


@dataclass(frozen=True)
class NumberedRing:
    """One ring of a parcel as the 界址点 files list it.

    Attributes
    ----------
    ring
        Its 圈号: 1, 2, …
    hole
        Whether it is a hole of the part before it.
    numbers
        The point numbers (1 for J1 …) of its vertices, without the closing one.
    xy
        ``(n, 2)`` easting, northing of its vertices in the zone, rounded to
        :data:`DECIMALS`, clockwise from the north-west-most, not closed.
    """

    ring: int
    hole: bool
    numbers: tuple[int, ...]
    xy: np.ndarray


def boundary_crs(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    zone: int | None = None,
    crs: CRS | str | int | None = None,
) -> CRS:
    """The Gauss-Kruger CRS the points are listed in.

    Parameters
    ----------
    parcels
        The parcels (any CRS).
    zone
        A CGCS2000 zone number: 25..45 for a 3-degree zone, 13..23 for a
        6-degree one; its zone-prefixed CRS is used (Y carries the zone).
    crs
        A CGCS2000 Gauss-Kruger CRS (EPSG:4491..4554), zone-prefixed or not.

    Returns
    -------
    pyproj.CRS
        By default the zone-prefixed CGCS2000 3-degree zone holding the
        parcels' centre (EPSG:4513 + …).

    Raises
    ------
    InputError
        When both are given, the zone is not one of China, or ``crs`` is not
        a CGCS2000 Gauss-Kruger CRS.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> boundary_crs(gpd.GeoSeries([box(105.9, 32.3, 106.0, 32.4)], crs=4490)).to_epsg()
    4523
    >>> boundary_crs(gpd.GeoSeries([box(105.9, 32.3, 106.0, 32.4)], crs=4490), zone=18).to_epsg()
    4496
    """
    if zone is not None and crs is not None:
        raise InputError("give --zone or --crs, not both", zh="--zone 与 --crs 只能给一个")
    if crs is not None:
        chosen = CRS.from_user_input(crs)
        epsg = chosen.to_epsg() or 0
        if not 4491 <= epsg <= 4554:
            msg = (
                f"--crs {crs}: {chosen.name} is not a CGCS2000 Gauss-Kruger CRS; boundary points "
                "are listed in one: give EPSG:4513..4533 (3-degree zones 25..45, Y with the zone "
                "number), EPSG:4534..4554 (3-degree, no prefix), EPSG:4491..4512 (6-degree), or "
                "--zone N"
            )
            zh = (
                f"--crs {crs}：{chosen.name} 不是 CGCS2000 高斯-克吕格坐标系；界址点须用高斯-克吕格"
                "坐标：请给 EPSG:4513..4533（3 度带 25..45 带，Y 带带号）、"
                "EPSG:4534..4554（3 度带，"
                "不带带号）、EPSG:4491..4512（6 度带），或用 --zone N"
            )
            raise InputError(msg, zh=zh)
        return chosen
    if zone is not None:
        if 25 <= zone <= 45:
            return gk_crs(3 * zone, zone_prefix=True)
        if 13 <= zone <= 23:
            return CRS.from_epsg(4491 + zone - 13)
        msg = (
            f"--zone {zone}: not a Gauss-Kruger zone of China; 3-degree zones are 25..45 "
            "(central meridian 3 × N), 6-degree zones 13..23 (central meridian 6 × N - 3)"
        )
        zh = f"--zone {zone}：不是中国的高斯-克吕格分带；3 度带为 25..45 带，6 度带为 13..23 带"
        raise InputError(msg, zh=zh)
    geoms = parcels.geometry if isinstance(parcels, gpd.GeoDataFrame) else parcels
    lon = _centre_lon(geoms)
    cm = min(max(int(3 * round(lon / 3)), 75), 135)
    return gk_crs(cm, zone_prefix=True)


def numbered_rings(geometry: shapely.Geometry) -> list[NumberedRing]:
    """The rings of one parcel numbered as the 界址点 files list them.

    Parameters
    ----------
    geometry
        A Polygon or MultiPolygon in the zone's coordinates (metres).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> [r.numbers for r in numbered_rings(box(0, 0, 100, 100))]
    [(1, 2, 3, 4)]
    """
    out: list[NumberedRing] = []
    number = 1
    for polygon in shapely.get_parts(geometry):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for hole, ring in [(False, polygon.exterior), *[(True, r) for r in polygon.interiors]]:
            xy = _clockwise_from_north_west(np.round(shapely.get_coordinates(ring), DECIMALS))
            numbers = tuple(range(number, number + len(xy)))
            number += len(xy)
            out.append(NumberedRing(len(out) + 1, hole, numbers, xy))
    return out


def boundary_points(
    parcels: gpd.GeoDataFrame, *, crs: CRS | str | int, id_column: str = "parcel_id"
) -> pd.DataFrame:
    """The 界址点成果表: one row per boundary point, each ring closed by its first point.

    Parameters
    ----------
    parcels
        The parcels, in any CRS, with ``id_column`` (and ``name``, if present).
    crs
        The Gauss-Kruger CRS to list them in (see :func:`boundary_crs`).
    id_column
        The column naming the parcels.

    Returns
    -------
    pandas.DataFrame
        Columns ``parcel_id``, ``name``, ``ring`` (圈号), ``hole``, ``point``
        (J1 …), ``x_m`` (X, northing), ``y_m`` (Y, easting), ``edge_m`` (the
        grid distance in the zone's plane to the next point; blank on the
        closing row), all rounded to 3 decimals. Parcels without a polygon
        have no rows.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> sq = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box(500000, 3580000, 500100,
    ...     3580100)], crs=4544)
    >>> boundary_points(sq, crs=4544)[["point", "x_m", "y_m", "edge_m"]].head(2)
      point        x_m       y_m  edge_m
    0    J1  3580100.0  500000.0   100.0
    1    J2  3580100.0  500100.0   100.0
    """
    target = CRS.from_user_input(crs)
    moved = parcels.geometry.to_crs(target)
    names = parcels["name"] if "name" in parcels.columns else pd.Series(None, index=parcels.index)
    rows = []
    for pid, name, geom in zip(parcels[id_column], names, moved, strict=True):
        if geom is None or geom.is_empty:
            continue
        for ring in numbered_rings(geom):
            closed = np.vstack([ring.xy, ring.xy[:1]])
            edges = np.round(np.hypot(*np.diff(closed, axis=0).T), DECIMALS)
            for (e, n), number, edge in zip(ring.xy, ring.numbers, edges, strict=True):
                rows.append((pid, name, ring.ring, ring.hole, f"J{number}", n, e, edge))
            e, n = ring.xy[0]
            rows.append((pid, name, ring.ring, ring.hole, f"J{ring.numbers[0]}", n, e, np.nan))
    columns = ["parcel_id", "name", "ring", "hole", "point", "x_m", "y_m", "edge_m"]
    return pd.DataFrame(rows, columns=columns)


def boundary_areas(
    parcels: gpd.GeoDataFrame, *, crs: CRS | str | int, id_column: str = "parcel_id"
) -> pd.DataFrame:
    """Each parcel's area as the 成果表 states it, and the ellipsoidal area beside it.

    Returns
    -------
    pandas.DataFrame
        Columns ``parcel_id``, ``name``, ``points`` (boundary points, closing
        ones not counted), ``planar_area_m2``, ``planar_area_ha``,
        ``planar_area_mu`` (planar Gauss-Kruger area of the zone, from the
        coordinates rounded to 1 mm) and ``area_mu`` (on the GRS80
        ellipsoid, as every other parkgis figure).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> sq = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box(500000, 3580000, 500100,
    ...     3580100)], crs=4544)
    >>> boundary_areas(sq, crs=4544)[["planar_area_m2", "planar_area_ha", "planar_area_mu"]]
       planar_area_m2  planar_area_ha  planar_area_mu
    0         10000.0             1.0            15.0
    """
    target = CRS.from_user_input(crs)
    moved = parcels.geometry.to_crs(target)
    names = parcels["name"] if "name" in parcels.columns else pd.Series(None, index=parcels.index)
    ellipsoid = gross_area_mu(parcels.geometry)
    rows = []
    for pid, name, geom, mu in zip(parcels[id_column], names, moved, ellipsoid, strict=True):
        rings = [] if geom is None or geom.is_empty else numbered_rings(geom)
        sqm = sum((-1 if r.hole else 1) * _ring_area(r.xy) for r in rings)
        points = sum(len(r.numbers) for r in rings)
        rows.append((pid, name, points, sqm, sqm / _SQM_PER_HA, sqm / SQM_PER_MU, float(mu)))
    columns = [
        "parcel_id",
        "name",
        "points",
        "planar_area_m2",
        "planar_area_ha",
        "planar_area_mu",
        "area_mu",
    ]
    return pd.DataFrame(rows, columns=columns)


def _ring_area(xy: np.ndarray) -> float:
    """Shoelace area of an open ring, relative to its first vertex for precision."""
    x, y = xy[:, 0] - xy[0, 0], xy[:, 1] - xy[0, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))) / 2


def _clockwise_from_north_west(closed: np.ndarray) -> np.ndarray:
    """An open ring, clockwise, starting at its north-west-most vertex (largest N - E)."""
    xy = closed[:-1] if len(closed) > 1 and (closed[0] == closed[-1]).all() else closed
    x, y = xy[:, 0] - xy[0, 0], xy[:, 1] - xy[0, 1]
    signed = float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
    if signed > 0:  # counter-clockwise in the E/N plane
        xy = xy[::-1]
    score = xy[:, 1] - xy[:, 0]
    best = np.flatnonzero(score == score.max())
    start = int(best[np.argmax(xy[best, 1])])
    return np.roll(xy, -start, axis=0)


def _centre_lon(geoms: gpd.GeoSeries) -> float:
    present = geoms.dropna()
    present = present[~present.is_empty]
    if not len(present):
        return 105.0
    lon0, _, lon1, _ = present.to_crs(4490).total_bounds
    return (lon0 + lon1) / 2
