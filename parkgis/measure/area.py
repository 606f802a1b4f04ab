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
]


def equal_area_crs(geoms: gpd.GeoSeries) -> CRS:
    """A GRS80 Lambert azimuthal equal-area CRS centred on ``geoms``.

    The centre is rounded to 0.1° so the same data always gives the same CRS.
    """
    lon, lat = _centre_lonlat(geoms)
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat:.1f} +lon_0={lon:.1f} +ellps=GRS80 +units=m +no_defs"
    )


def area_m2(geoms: gpd.GeoSeries, *, name: str = "area_m2") -> pd.Series:
    """Measure each geometry on the GRS80 ellipsoid, in square metres.

    Parameters
    ----------
    geoms
        Polygons or multipolygons with a CRS (any: geographic, Gauss-Kruger,
        UTM, even Web Mercator).

    Returns
    -------
    pandas.Series
        Aligned with ``geoms``; NaN for null geometries, 0 for empty ones.

    Raises
    ------
    CRSMissingError
        When ``geoms`` has no CRS.
    """
    _require_crs(geoms)
    values = np.asarray(geoms.array, dtype=object)
    present = ~shapely.is_missing(values)
    out = np.full(len(values), np.nan)
    if present.any():
        target = equal_area_crs(geoms)
        tr = Transformer.from_crs(geoms.crs, target, always_xy=True)
        projected = shapely.transform(
            values[present], lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))
        )
        out[present] = shapely.area(projected)
    return pd.Series(out, index=geoms.index, name=name)


def gross_area_mu(parcels: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.Series:
    """Measure each parcel on the GRS80 ellipsoid, in mu.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> square = gpd.GeoSeries([box(500_000, 3_580_000, 500_100, 3_580_100)], crs=4544)
    >>> round(float(gross_area_mu(square).iloc[0]), 3)  # 10,000 m² on the CM, where k = 1
    15.0
    """
    geoms = parcels.geometry if isinstance(parcels, gpd.GeoDataFrame) else parcels
    return (area_m2(geoms) / SQM_PER_MU).rename("area_mu")


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
    _require_crs(geoms)
    if crs is None:
        crs = geoms.crs if _is_cgcs2000_gk(geoms.crs) else local_gk_crs(_centre_lonlat(geoms)[0])
    sqm = shapely.area(np.asarray(geoms.to_crs(crs).array, dtype=object))
    return pd.Series(sqm / SQM_PER_MU, index=geoms.index, name="planar_area_mu")


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
        raise CRSMissingError(msg)
