"""The data model: vocabularies, table schemas and the park value.

The names load on first use, so that ``import parkgis.model.vocab`` stays light.
"""

from __future__ import annotations

import importlib

__all__ = ["TABLES", "VOCABULARIES", "Manifest", "Park"]

_LAZY = {
    "Manifest": "parkgis.model.park",
    "Park": "parkgis.model.park",
    "TABLES": "parkgis.model.schema",
    "VOCABULARIES": "parkgis.model.vocab",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'parkgis.model' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
