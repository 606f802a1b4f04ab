"""The GCJ-02 offset that Gaode (AMap) tiles are drawn in.

Maps published in mainland China shift WGS 84 coordinates by an obfuscating
offset, GCJ-02 (国测局坐标, "Mars coordinates"), of a few hundred metres. To lay
CGCS2000 data (centimetres from WGS 84) over Gaode tiles, the *displayed* copy
must be shifted the same way; stored data never is.

The forward formula is the widely published one (as in the eviltransform and
coordtransform libraries): Krasovsky-like ellipsoid ``a = 6378245``,
``ee = 0.00669342162296594323``, and two trigonometric polynomials in
``lon - 105`` and ``lat - 35``. No offset is applied outside China's rough
bounding box, as those libraries do. The inverse has no closed form; it is
found by fixed-point iteration, to far below a millimetre.

Pure, vectorised numpy functions. Longitude first, as in GeoJSON.

Examples
--------
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(float(lon), 8), round(float(lat), 8)
(116.4102445, 39.91640428)
>>> back = gcj02_to_wgs84(lon, lat)
>>> round(float(back[0]), 9), round(float(back[1]), 9)
(116.404, 39.915)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

__all__ = [
    "gcj02_to_wgs84",
    "in_china",
    "shift_geometries",
    "wgs84_to_gcj02",
]

_A = 6378245.0
_EE = 0.00669342162296594323
# China's rough bounding box, as the published implementations test it.
_LON_MIN, _LON_MAX = 72.004, 137.8347
_LAT_MIN, _LAT_MAX = 0.8293, 55.8271


def in_china(lon: Any, lat: Any) -> np.ndarray:
    """Whether points fall in the box where the GCJ-02 offset applies.

    Examples
    --------
    >>> in_china([105.96, 2.35], [32.32, 48.85]).tolist()
    [True, False]
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= _LON_MIN) & (lon <= _LON_MAX) & (lat >= _LAT_MIN) & (lat <= _LAT_MAX)


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Shift WGS 84 (or CGCS2000) longitudes and latitudes to GCJ-02.

    Parameters
    ----------
    lon, lat
        Degrees; scalars or arrays of the same shape.

    Returns
    -------
    lon, lat
        Shifted degrees, as float arrays (0-d for scalars). Points outside
        China are returned unchanged.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(
    lon: Any, lat: Any, *, tolerance_deg: float = 1e-10, max_iterations: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Undo the GCJ-02 shift by fixed-point iteration.

    Starting from the shifted point, each step moves the estimate by the
    difference between its forward shift and the target; the offset varies
    slowly, so this converges to ``tolerance_deg`` (1e-10° ≈ 0.01 mm) in a
    handful of steps.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees; scalars or arrays of the same shape.
    tolerance_deg
        Stop when every point's forward shift is this close to its target.
    max_iterations
        A bound on the steps; never reached for points in China.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iterations):
        flon, flat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = flon - glon, flat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if np.all(np.abs(elon) <= tolerance_deg) and np.all(np.abs(elat) <= tolerance_deg):
            break
    return wlon, wlat


def shift_geometries(geoms: Any, *, inverse: bool = False) -> np.ndarray:
    """Shift shapely geometries in lon/lat degrees to GCJ-02 (or back).

    Parameters
    ----------
    geoms
        An array (or GeoSeries values) of geometries in degrees, longitude
        first (EPSG:4490 or 4326 with ``always_xy`` order).
    inverse
        Shift from GCJ-02 back to WGS 84 instead.

    Returns
    -------
    numpy.ndarray
        New geometries; the input is not modified.
    """
    func = gcj02_to_wgs84 if inverse else wgs84_to_gcj02

    def _xy(xy: np.ndarray) -> np.ndarray:
        x, y = func(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), _xy)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat
