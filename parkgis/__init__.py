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

from parkgis._lazy import lazy_getattr
from parkgis.errors import (
    AreaParseError,
    CRSMissingError,
    DataError,
    EncodingError,
    InputError,
    ParkgisError,
    SchemaError,
    SuspectCoordinatesError,
    VocabularyError,
)
from parkgis.measure.units import SQM_PER_MU, parse_area, sqm_to_mu

__all__ = [
    "ACQUISITION",
    "SQM_PER_MU",
    "STAGE",
    "STEP",
    "TITLE",
    "AreaParseError",
    "CRSMissingError",
    "DataError",
    "EncodingError",
    "InputError",
    "Manifest",
    "Park",
    "ParkgisError",
    "SchemaError",
    "SuspectCoordinatesError",
    "VocabularyError",
    "apply_assumptions",
    "area_by",
    "area_m2",
    "area_table",
    "brief_content",
    "buildable_by",
    "buildable_figures",
    "buildable_table",
    "constraint_corridors",
    "constraint_setbacks",
    "effective_allocations",
    "enforcement_check",
    "find_problems",
    "gap_figures",
    "gaps_table",
    "gross_area_mu",
    "illustrative_patches",
    "load_park",
    "load_rules",
    "local_gk_crs",
    "park_info",
    "park_map",
    "parse_area",
    "planar_area_mu",
    "problems_table",
    "read_checked",
    "read_park",
    "reserve_figures",
    "reserve_parcels",
    "reserve_projects",
    "save_map",
    "sqm_to_mu",
    "target_figures",
    "target_progress",
    "title_risks",
    "validate",
    "write_brief",
    "write_park",
]

__version__ = "0.1.0.dev0"

# The shell (files, browsers, documents) loads on first use, so that importing
# the core pulls in no pyogrio, folium, click or docx.
_LAZY = {
    # The model and measures (geopandas, pyproj): loaded on first use, so that the
    # command line starts (and answers Ctrl-C) before the heavy libraries load.
    "ACQUISITION": "parkgis.model.vocab",
    "STAGE": "parkgis.model.vocab",
    "STEP": "parkgis.model.vocab",
    "TITLE": "parkgis.model.vocab",
    "Manifest": "parkgis.model.park",
    "Park": "parkgis.model.park",
    "area_m2": "parkgis.measure.area",
    "gross_area_mu": "parkgis.measure.area",
    "planar_area_mu": "parkgis.measure.area",
    "local_gk_crs": "parkgis.measure.crs",
    "area_by": "parkgis.land.tables",
    "area_table": "parkgis.land.tables",
    "park_info": "parkgis.land.tables",
    "problems_table": "parkgis.land.tables",
    # The land figures (pure core; loaded on first use to keep the import light).
    "apply_assumptions": "parkgis.land.reserve",
    "buildable_by": "parkgis.land.buildable",
    "buildable_figures": "parkgis.land.buildable",
    "buildable_table": "parkgis.land.buildable",
    "constraint_corridors": "parkgis.land.buildable",
    "constraint_setbacks": "parkgis.land.constraints",
    "effective_allocations": "parkgis.land.allocation",
    "enforcement_check": "parkgis.land.enforce",
    "gap_figures": "parkgis.land.gaps",
    "gaps_table": "parkgis.land.gaps",
    "illustrative_patches": "parkgis.land.enforce",
    "load_rules": "parkgis.land.constraints",
    "reserve_figures": "parkgis.land.reserve",
    "reserve_parcels": "parkgis.land.reserve",
    "reserve_projects": "parkgis.land.reserve",
    "target_figures": "parkgis.land.targets",
    "target_progress": "parkgis.land.targets",
    "title_risks": "parkgis.land.enforce",
    "load_park": "parkgis.io.loose",
    "find_problems": "parkgis.check.problems",
    "read_checked": "parkgis.check.reading",
    "validate": "parkgis.check.problems",
    "read_park": "parkgis.io.store",
    "write_park": "parkgis.io.store",
    "park_map": "parkgis.maps",
    "save_map": "parkgis.maps",
    "brief_content": "parkgis.brief",
    "write_brief": "parkgis.brief",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
