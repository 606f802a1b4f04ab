"""parkgis: land-parcel GIS for the planners of a Chinese industrial park.

The public API: read a park, measure it, validate it, and compute its land
figures. Everything the command line prints can be had from here.

Examples
--------
>>> import parkgis
>>> parkgis.parse_area("2.5公顷")
37.5
"""

from __future__ import annotations

from parkgis.errors import (
    AreaParseError,
    CRSMissingError,
    EncodingError,
    InputError,
    ParkgisError,
    SchemaError,
    SuspectCoordinatesError,
    VocabularyError,
)
from parkgis.measure.area import area_m2, gross_area_mu, planar_area_mu
from parkgis.measure.crs import local_gk_crs
from parkgis.measure.units import SQM_PER_MU, parse_area, sqm_to_mu
from parkgis.model.park import Manifest, Park
from parkgis.model.vocab import ACQUISITION, STAGE, STEP, TITLE
from parkgis.tables import area_by, area_table, park_info, problems_table

__all__ = [
    "ACQUISITION",
    "SQM_PER_MU",
    "STAGE",
    "STEP",
    "TITLE",
    "AreaParseError",
    "CRSMissingError",
    "EncodingError",
    "InputError",
    "Manifest",
    "Park",
    "ParkgisError",
    "SchemaError",
    "SuspectCoordinatesError",
    "VocabularyError",
    "area_by",
    "area_m2",
    "area_table",
    "find_problems",
    "gross_area_mu",
    "load_park",
    "local_gk_crs",
    "park_info",
    "parse_area",
    "planar_area_mu",
    "problems_table",
    "read_park",
    "sqm_to_mu",
    "validate",
    "write_park",
]

__version__ = "0.1.0.dev0"

# The shell (files, browsers, documents) loads on first use, so that importing
# the core pulls in no pyogrio, folium, click or docx.
_LAZY = {
    "load_park": "parkgis.io.loose",
    "find_problems": "parkgis.validate",
    "validate": "parkgis.validate",
    "read_park": "parkgis.io.store",
    "write_park": "parkgis.io.store",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'parkgis' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
