"""The data model: vocabularies, table schemas and the park value.

The names load on first use, so that ``import parkgis.model.vocab`` stays light.
"""

from __future__ import annotations

from parkgis._lazy import lazy_getattr

__all__ = ["TABLES", "VOCABULARIES", "Manifest", "Park"]

_LAZY = {
    "Manifest": "parkgis.model.park",
    "Park": "parkgis.model.park",
    "TABLES": "parkgis.model.schema",
    "VOCABULARIES": "parkgis.model.vocab",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
