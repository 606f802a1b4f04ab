"""Measurement: units of land area, ellipsoidal area, CRSs of Chinese survey data.

The names load on first use, so that ``import parkgis.measure.units`` stays light.
"""

from __future__ import annotations

from parkgis._lazy import lazy_getattr

__all__ = [
    "SQM_PER_MU",
    "area_m2",
    "check_coordinates",
    "gross_area_mu",
    "local_gk_crs",
    "parse_area",
    "planar_area_mu",
]

_LAZY = {
    "SQM_PER_MU": "parkgis.measure.units",
    "parse_area": "parkgis.measure.units",
    "area_m2": "parkgis.measure.area",
    "gross_area_mu": "parkgis.measure.area",
    "planar_area_mu": "parkgis.measure.area",
    "check_coordinates": "parkgis.measure.crs",
    "local_gk_crs": "parkgis.measure.crs",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
