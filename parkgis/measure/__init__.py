"""Measurement: units of land area, ellipsoidal area, CRSs of Chinese survey data."""

from parkgis.measure.area import area_m2, gross_area_mu, planar_area_mu
from parkgis.measure.crs import check_coordinates, local_gk_crs
from parkgis.measure.units import SQM_PER_MU, parse_area

__all__ = [
    "SQM_PER_MU",
    "area_m2",
    "check_coordinates",
    "gross_area_mu",
    "local_gk_crs",
    "parse_area",
    "planar_area_mu",
]
