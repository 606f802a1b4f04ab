"""Names a package exports but loads only on first use (PEP 562).

So that ``import parkgis`` (and the command line's start) loads no
geopandas, pyproj or folium until a name that needs them is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["lazy_getattr"]


def lazy_getattr(package: str, names: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` that imports ``names[name]`` and returns its ``name``.

    Examples
    --------
    >>> get = lazy_getattr("demo", {"sqrt": "math"})
    >>> get("sqrt")(9.0)
    3.0
    """

    def attribute(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return attribute
