"""Coordinate reference systems of Chinese survey data.

Picks the local CGCS2000 Gauss-Kruger zone for metric work, and tells whether
coordinates can be right for the CRS they are declared in: latitude and
longitude swapped, surveyors' X (northing) and Y (easting) swapped, zone-
prefixed eastings under a CRS without the prefix, or data outside China.
Pure functions: they take bounds and CRSs and return or raise.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Transformer

from parkgis.errors import SuspectCoordinatesError

__all__ = [
    "CGCS2000",
    "CHINA_BOUNDS",
    "CoordinateCheck",
    "check_coordinates",
    "diagnose_coordinates",
    "gk_crs",
    "local_gk_crs",
    "lonlat_bounds",
    "suggest_crs",
]

CGCS2000 = "EPSG:4490"
# lon_min, lat_min, lon_max, lat_max: China with its islands, generously.
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)


def gk_crs(central_meridian: int, *, zone_prefix: bool = False) -> CRS:
    """The CGCS2000 3-degree Gauss-Kruger CRS for a central meridian.

    Parameters
    ----------
    central_meridian
        A multiple of 3 from 75 to 135.
    zone_prefix
        True for the "zone NN" CRS whose eastings carry the zone number
        (35 500 000), False for the "CM" CRS (500 000).

    Examples
    --------
    >>> gk_crs(105).to_epsg()
    4544
    >>> gk_crs(105, zone_prefix=True).to_epsg()
    4523
    """
    if central_meridian % 3 or not 75 <= central_meridian <= 135:
        msg = f"central meridian {central_meridian} is not a 3-degree zone of China (75..135)"
        raise ValueError(msg)
    offset = (central_meridian - 75) // 3
    return CRS.from_epsg((4513 if zone_prefix else 4534) + offset)


def local_gk_crs(lon: float) -> CRS:
    """The 3-degree Gauss-Kruger CM CRS whose zone holds longitude ``lon``.

    Examples
    --------
    >>> local_gk_crs(105.96).to_epsg()
    4544
    >>> local_gk_crs(106.6).to_epsg()
    4545
    """
    cm = int(3 * round(lon / 3))
    return gk_crs(min(max(cm, 75), 135))


def lonlat_bounds(bounds: tuple[float, float, float, float], crs: CRS) -> tuple[float, ...]:
    """Transform ``(minx, miny, maxx, maxy)`` in ``crs`` to lon/lat bounds."""
    tr = Transformer.from_crs(crs, CGCS2000, always_xy=True)
    lon0, lat0, lon1, lat1 = tr.transform_bounds(*bounds, densify_pts=5)
    return (lon0, lat0, lon1, lat1)


@dataclass(frozen=True)
class CoordinateCheck:
    """Why coordinates are suspect, and the likely fix."""

    reason: str
    fix: str


def check_coordinates(
    bounds: tuple[float, float, float, float],
    crs: CRS | str,
    *,
    where: str,
    declared: bool = False,
) -> None:
    """Refuse coordinates that cannot be right for ``crs``.

    Parameters
    ----------
    bounds
        ``(minx, miny, maxx, maxy)`` of the layer as stored.
    crs
        The CRS the file declares (or the user gave).
    where
        The file or layer, for the message.
    declared
        True when ``crs`` is the file's own: a fix naming another CRS then
        says ``--crs EPSG:NNNN --override-crs`` (``--crs`` alone does not
        replace a CRS the file declares).

    Raises
    ------
    SuspectCoordinatesError
        Naming the file, the coordinates, the reason and the likely CRS or fix.
    """
    crs = CRS.from_user_input(crs)
    problem = diagnose_coordinates(bounds, crs)
    if problem is not None:
        minx, miny, maxx, maxy = bounds
        fix = _override_hint(problem.fix) if declared else problem.fix
        msg = (
            f"{where}: coordinates ({minx:.6g}, {miny:.6g}) .. ({maxx:.6g}, {maxy:.6g}) "
            f"cannot be right for {_crs_name(crs)}: {problem.reason}. {fix}"
        )
        zh = (
            f"{where}：坐标 ({minx:.6g}, {miny:.6g}) .. ({maxx:.6g}, {maxy:.6g}) "
            f"不可能属于 {_crs_name(crs)}：{problem.reason}。{fix}"
        )
        raise SuspectCoordinatesError(msg, zh=zh)


def _override_hint(fix: str) -> str:
    """``--crs EPSG:N`` becomes ``--crs EPSG:N --override-crs`` (the file declares a CRS)."""
    return re.sub(r"--crs (EPSG:(?:\d+|NNNN))", r"--crs \1 --override-crs", fix)


def suggest_crs(bounds: tuple[float, float, float, float]) -> CRS | None:
    """The CGCS2000 CRS that ``bounds`` would fit inside China, if only one does.

    A hint for messages, never applied: parkgis does not guess a CRS.
    Degrees give EPSG:4490; zone-prefixed eastings give their zone. Eastings
    without a prefix fit several zones, so they give None.

    Examples
    --------
    >>> suggest_crs((105.9, 32.3, 106.0, 32.4)).to_epsg()
    4490
    >>> suggest_crs((35_590_000, 3_577_000, 35_590_200, 3_577_200)).to_epsg()
    4523
    >>> suggest_crs((590_000, 3_577_000, 590_200, 3_577_200)) is None
    True
    """
    if not all(math.isfinite(v) for v in bounds):
        return None
    if _diagnose_geographic(bounds) is None:
        return CRS.from_epsg(4490)
    return _guess_gk_zone(bounds)


def diagnose_coordinates(
    bounds: tuple[float, float, float, float], crs: CRS
) -> CoordinateCheck | None:
    """Return why ``bounds`` are suspect for ``crs``, or None if they look right."""
    minx, miny, maxx, maxy = bounds
    if not all(math.isfinite(v) for v in bounds):
        return CoordinateCheck("they are not finite numbers", "Check the geometry of the file.")
    if crs.is_geographic:
        return _diagnose_geographic(bounds)
    if _inside_china(bounds, crs):
        return None
    # Projected: look for the Chinese surveyor's tell-tales.
    gk = _gk_params(crs)
    if gk is not None:
        zone_prefixed = gk["false_easting"] > 1_000_000
        cm = gk["central_meridian"]
        # 8-digit easting with a zone prefix under a CRS without one.
        if not zone_prefixed and minx >= 1e7 and maxx < 1e8:
            cand = _zone_prefixed_crs(minx)
            if cand is not None:
                return CoordinateCheck(
                    f"eastings of 8 digits start with the zone number {int(minx // 1e6)}, "
                    f"but {_crs_name(crs)} has no zone prefix",
                    f"Declare the zone-prefixed CRS: --crs EPSG:{cand.to_epsg()}",
                )
        # Surveyors' X (northing) listed first: x holds northings, y eastings.
        if _inside_china((miny, minx, maxy, maxx), crs):
            return CoordinateCheck(
                "x holds northings and y holds eastings (surveyors' X and Y swapped)",
                "Swap the two coordinate columns (X is northing, Y is easting): read the file "
                "with --swap-axes, or re-export it with easting first.",
            )
        if zone_prefixed and minx >= 1e5 and maxx < 1e6:
            cand = gk_crs(int(cm), zone_prefix=False)
            return CoordinateCheck(
                "eastings of 6 digits carry no zone prefix",
                f"Declare the CRS without the prefix: --crs EPSG:{cand.to_epsg()}",
            )
        if zone_prefixed and miny >= 1e5 and maxy < 1e6:
            cand = gk_crs(int(cm), zone_prefix=False)
            if _inside_china((miny, minx, maxy, maxx), cand):
                return CoordinateCheck(
                    "x holds northings and y holds eastings (surveyors' X and Y swapped), "
                    "and the eastings of 6 digits carry no zone prefix",
                    "Swap the two coordinate columns (X is northing, Y is easting; "
                    f"--swap-axes does it on reading) and declare --crs EPSG:{cand.to_epsg()}",
                )
        # Right kind of numbers, wrong zone.
        guess = _guess_gk_zone(bounds)
        if guess is not None:
            return CoordinateCheck(
                "the coordinates fall outside China in this zone",
                f"They fit {_crs_name(guess)}: --crs EPSG:{guess.to_epsg()}",
            )
    swapped = _guess_gk_zone((miny, minx, maxy, maxx))
    if swapped is not None:
        return CoordinateCheck(
            "x holds northings and y holds eastings (surveyors' X and Y swapped), "
            f"and the eastings fit {_crs_name(swapped)}",
            "Swap the two coordinate columns (X is northing, Y is easting; --swap-axes does it on "
            f"reading) and declare --crs EPSG:{swapped.to_epsg()}",
        )
    lonlat = _diagnose_geographic(bounds)
    if lonlat is None:
        return CoordinateCheck(
            "they look like longitude and latitude in degrees, not metres",
            "Declare a geographic CRS: --crs EPSG:4490 (CGCS2000)",
        )
    guess = _guess_gk_zone(bounds)
    if guess is not None:
        return CoordinateCheck(
            "they fall outside China in this CRS",
            f"They fit {_crs_name(guess)}: --crs EPSG:{guess.to_epsg()}",
        )
    return CoordinateCheck(
        "they fall outside China in this CRS",
        "Check the CRS the survey office used and give it with --crs EPSG:NNNN",
    )


def _diagnose_geographic(bounds: tuple[float, ...]) -> CoordinateCheck | None:
    minx, miny, maxx, maxy = bounds
    lon0, lat0, lon1, lat1 = CHINA_BOUNDS

    def inside(x0: float, y0: float, x1: float, y1: float) -> bool:
        return lon0 <= x0 and x1 <= lon1 and lat0 <= y0 and y1 <= lat1

    if inside(minx, miny, maxx, maxy):
        return None
    if inside(miny, minx, maxy, maxx):
        return CoordinateCheck(
            "x holds latitudes and y longitudes (axis order swapped)",
            "Swap the coordinates to longitude, latitude (GeoJSON and shapefiles are lon, lat), "
            "or read the file with --swap-axes.",
        )
    if minx >= -180 and maxx <= 180 and maxx - minx > 180:
        return CoordinateCheck(
            f"longitudes jump from {minx:.6g} to {maxx:.6g} across the antimeridian (180°), "
            "which no land in China crosses",
            "A vertex has a wrong sign or the CRS is wrong: correct the coordinates in the "
            "source file, or give the right CRS with --crs EPSG:NNNN",
        )
    if abs(minx) > 360 or abs(maxy) > 360:
        guess = _guess_gk_zone(bounds)
        fix = (
            f"They fit {_crs_name(guess)}: --crs EPSG:{guess.to_epsg()}"
            if guess is not None
            else "Give the projected CRS with --crs EPSG:NNNN (e.g. EPSG:4544)"
        )
        return CoordinateCheck("they are metres, not degrees", fix)
    return CoordinateCheck(
        "they fall outside China",
        "Check the CRS the survey office used and give it with --crs EPSG:NNNN",
    )


def _inside_china(bounds: tuple[float, ...], crs: CRS) -> bool:
    gk = _gk_params(crs)
    if gk is not None:
        # Transverse Mercator is only meaningful near its central meridian:
        # eastings more than 800 km from the false easting are not data.
        fe = gk["false_easting"]
        if max(abs(bounds[0] - fe), abs(bounds[2] - fe)) > 800_000:
            return False
    try:
        lon0, lat0, lon1, lat1 = lonlat_bounds(bounds, crs)
    except Exception:
        return False
    values = np.array([lon0, lat0, lon1, lat1])
    if not np.isfinite(values).all():
        return False
    return _diagnose_geographic((lon0, lat0, lon1, lat1)) is None


def _gk_params(crs: CRS) -> dict[str, float] | None:
    """Central meridian and false easting of a Transverse Mercator CRS."""
    op = crs.coordinate_operation
    if op is None or "Transverse Mercator" not in op.method_name:
        return None
    params = {p.name: p.value for p in op.params}
    return {
        "central_meridian": params.get("Longitude of natural origin", float("nan")),
        "false_easting": params.get("False easting", 0.0),
    }


def _guess_gk_zone(bounds: tuple[float, ...]) -> CRS | None:
    """The CGCS2000 GK CRS under which ``bounds`` fall inside China, if any."""
    minx, _, maxx, _ = bounds
    if minx >= 1e7 and maxx < 1e8:
        cand = _zone_prefixed_crs(minx)
        return cand if cand is not None and _inside_china(bounds, cand) else None
    if minx > 0 and maxx < 1e6:
        hits = [gk_crs(cm) for cm in range(75, 136, 3) if _inside_china(bounds, gk_crs(cm))]
        if len(hits) == 1:
            return hits[0]
    return None


def _zone_prefixed_crs(easting: float) -> CRS | None:
    """The CGCS2000 GK CRS whose zone number prefixes an 8-digit easting, if any.

    Zones 25-45 are 3-degree zones (EPSG:4513-4533), 13-23 are 6-degree zones
    (EPSG:4491-4501).
    """
    zone = int(easting // 1e6)
    if 25 <= zone <= 45:
        return gk_crs(zone * 3, zone_prefix=True)
    if 13 <= zone <= 23:
        return CRS.from_epsg(4491 + zone - 13)
    return None


def _crs_name(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name
