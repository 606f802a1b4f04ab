"""Areas of parcels on the CGCS2000 (GRS80) ellipsoid, in mu and m².

Areas are measured, never trusted, whatever CRS the data is stored in. The
ellipsoidal area is taken by projecting to a Lambert azimuthal *equal-area*
projection on the GRS80 ellipsoid centred on the data (areas are preserved
exactly; only edge interpolation differs from geodesics, far below 1e-6 for
parcels) and measuring there: one vectorised projection and one vectorised
area, instead of a per-feature geodesic loop. Holes, multipolygons and 3D
coordinates are handled; ring orientation does not matter.

Planar Gauss-Kruger area, as boundary-survey reports give it, is available
on request from :func:`planar_area_mu`.
"""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from parkgis.errors import CRSMissingError
from parkgis.measure.crs import CGCS2000, local_gk_crs
from parkgis.measure.units import SQM_PER_MU

__all__ = [
    "area_m2",
    "equal_area_crs",
    "gross_area_mu",
    "planar_area_mu",
    "planar_crs",
]

_BLOCK = 200_000  # geometries projected at a time: bounds the memory of the coordinates


def equal_area_crs(geoms: gpd.GeoSeries) -> CRS:
    """A GRS80 Lambert azimuthal equal-area CRS centred on ``geoms``.

    The centre is rounded to 0.1° so the same data always gives the same CRS.
    """
    lon, lat = _centre_lonlat(geoms)
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat:.1f} +lon_0={lon:.1f} +ellps=GRS80 +units=m +no_defs"
    )


def area_m2(
    geoms: gpd.GeoSeries, *, name: str = "area_m2", crs: CRS | str | None = None
) -> pd.Series:
    """Measure each geometry on the GRS80 ellipsoid, in square metres.

    Parameters
    ----------
    geoms
        Polygons or multipolygons with a CRS (any: geographic, Gauss-Kruger,
        UTM, even Web Mercator).
    name
        Name of the returned Series.
    crs
        The equal-area CRS to measure in; by default :func:`equal_area_crs`
        of ``geoms``. Give the same one to measure parts of a layer (chunks,
        partitions) exactly as the whole layer would be measured.

    Returns
    -------
    pandas.Series
        Aligned with ``geoms``; NaN for null geometries, 0 for empty ones.

    Raises
    ------
    CRSMissingError
        When ``geoms`` has no CRS.

    Notes
    -----
    Polygons without holes, nearly every parcel, are measured straight from
    their coordinates: one ``pyproj`` call over all of them and a vectorised
    shoelace sum, with no geometry rebuilt. Other geometries are projected
    with :func:`shapely.transform` and measured with :func:`shapely.area`.
    Both work on blocks of geometries, so memory stays bounded.
    """
    _require_crs(geoms)
    values = np.asarray(geoms.array, dtype=object)
    present = np.flatnonzero(~shapely.is_missing(values))
    out = np.full(len(values), np.nan)
    if len(present):
        target = equal_area_crs(geoms) if crs is None else CRS.from_user_input(crs)
        tr = _transformer(CRS.from_user_input(geoms.crs), target)
        for start in range(0, len(present), _BLOCK):
            block = present[start : start + _BLOCK]
            out[block] = _projected_area(values[block], tr)
    return pd.Series(out, index=geoms.index, name=name)


def gross_area_mu(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries, *, crs: CRS | str | None = None
) -> pd.Series:
    """Measure each parcel on the GRS80 ellipsoid, in mu.

    ``crs`` is the equal-area CRS to measure in (see :func:`area_m2`).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> square = gpd.GeoSeries([box(500_000, 3_580_000, 500_100, 3_580_100)], crs=4544)
    >>> round(float(gross_area_mu(square).iloc[0]), 3)  # 10,000 m² on the CM, where k = 1
    15.0
    """
    geoms = parcels.geometry if isinstance(parcels, gpd.GeoDataFrame) else parcels
    return (area_m2(geoms, crs=crs) / SQM_PER_MU).rename("area_mu")


def planar_area_mu(
    parcels: gpd.GeoDataFrame | gpd.GeoSeries, *, crs: CRS | str | int | None = None
) -> pd.Series:
    """Planar Gauss-Kruger area in mu, as boundary-survey reports (勘测定界) give it.

    Parameters
    ----------
    crs
        The projected CRS to measure in. By default the data's own CRS if it is
        a CGCS2000 Gauss-Kruger CRS, else the local 3-degree zone.
    """
    geoms = parcels.geometry if isinstance(parcels, gpd.GeoDataFrame) else parcels
    if crs is None:
        crs = planar_crs(geoms)
    sqm = shapely.area(np.asarray(geoms.to_crs(crs).array, dtype=object))
    return pd.Series(sqm / SQM_PER_MU, index=geoms.index, name="planar_area_mu")


def planar_crs(geoms: gpd.GeoSeries) -> CRS:
    """The CRS :func:`planar_area_mu` measures ``geoms`` in by default.

    Their own CRS if it is a CGCS2000 Gauss-Kruger CRS, else the 3-degree
    zone of their centre.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> planar_crs(gpd.GeoSeries([box(105.9, 32.3, 106.0, 32.4)], crs=4490)).to_epsg()
    4544
    """
    _require_crs(geoms)
    if _is_cgcs2000_gk(geoms.crs):
        return geoms.crs
    return local_gk_crs(_centre_lonlat(geoms)[0])


@functools.lru_cache(maxsize=32)
def _transformer(source: CRS, target: CRS) -> Transformer:
    """A transformer to the equal-area CRS: setting one up takes longer than measuring 1000
    parcels, and the same few are asked for again and again (pyproj's are thread-safe)."""
    return Transformer.from_crs(source, target, always_xy=True)


def _projected_area(values: np.ndarray, tr: Transformer) -> np.ndarray:
    """Planar area of each geometry once projected with ``tr`` (none missing)."""
    simple = (shapely.get_type_id(values) == 3) & (shapely.get_num_interior_rings(values) == 0)
    out = np.zeros(len(values))
    if simple.any():
        out[simple] = _shoelace_area(values[simple], tr)
    other = ~simple
    if other.any():
        out[other] = shapely.area(shapely.transform(values[other], lambda xy: _moved(xy, tr)))
    return out


def _shoelace_area(polygons: np.ndarray, tr: Transformer) -> np.ndarray:
    """Area of polygons without holes: shoelace over their projected exterior rings.

    Each ring is taken relative to its first vertex, so the cross products
    stay small and the sum keeps its precision; a ring is closed (its last
    vertex is its first), so the product from one ring's last vertex to the
    next ring's first is exactly 0 and the rings can be summed in one pass.
    """
    counts = shapely.get_num_coordinates(polygons)
    out = np.zeros(len(polygons))
    if not counts.any():
        return out
    x, y = _projected_xy(shapely.get_coordinates(polygons), tr)
    starts = np.cumsum(counts) - counts
    drawn = counts > 0
    x -= np.repeat(x[starts[drawn]], counts[drawn])
    y -= np.repeat(y[starts[drawn]], counts[drawn])
    cross = np.empty_like(x)
    np.subtract(x[:-1] * y[1:], x[1:] * y[:-1], out=cross[:-1])
    cross[-1] = 0.0
    out[drawn] = np.abs(np.add.reduceat(cross, starts[drawn])) / 2
    return out


def _projected_xy(xy: np.ndarray, tr: Transformer) -> tuple[np.ndarray, np.ndarray]:
    x, y = xy[:, 0].copy(), xy[:, 1].copy()
    tr.transform(x, y, inplace=True)
    return x, y


def _moved(xy: np.ndarray, tr: Transformer) -> np.ndarray:
    x, y = _projected_xy(xy, tr)
    return np.column_stack((x, y))


def _centre_lonlat(geoms: gpd.GeoSeries) -> tuple[float, float]:
    _require_crs(geoms)
    bounds = geoms.total_bounds
    if not np.isfinite(bounds).all():
        return (105.0, 35.0)
    tr = Transformer.from_crs(geoms.crs, CGCS2000, always_xy=True)
    lon0, lat0, lon1, lat1 = tr.transform_bounds(*bounds, densify_pts=3)
    return (round((lon0 + lon1) / 2, 1), round((lat0 + lat1) / 2, 1))


def _is_cgcs2000_gk(crs: CRS) -> bool:
    epsg = crs.to_epsg() or 0
    return 4491 <= epsg <= 4554


def _require_crs(geoms: gpd.GeoSeries) -> None:
    if geoms.crs is None:
        msg = (
            "the layer has no CRS, so its areas cannot be measured; set one with "
            "--crs EPSG:NNNN (e.g. EPSG:4490 or EPSG:4544) or the 'crs' key of park.toml"
        )
        zh = (
            "图层没有坐标参考系（CRS），无法量算面积；请用 --crs EPSG:NNNN（如 EPSG:4490 或 "
            "EPSG:4544）或 park.toml 的 'crs' 键指定"
        )
        raise CRSMissingError(msg, zh=zh)
