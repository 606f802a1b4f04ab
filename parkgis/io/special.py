"""What a reader of one of the land office's own formats returns (see :mod:`parkgis.io.formats`).

The TXT, DXF and KML readers (:mod:`parkgis.io.boundary_txt`,
:mod:`parkgis.io.dxf`, :mod:`parkgis.io.kml`) each return a
:class:`SpecialRead`; :func:`parkgis.io.formats.read_special` chooses the
reader and :func:`parkgis.io.vector.read_layer` puts the frame through the
checks every layer goes through.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd

__all__ = ["SpecialRead"]


@dataclass
class SpecialRead:
    """A layer read by a format reader of its own, before the common checks.

    Attributes
    ----------
    frame
        The features: attribute columns and a geometry column, index 0..n-1
        in file order. Its CRS is None when the file declares none (DXF):
        then ``--crs`` is required, and the reader says so itself.
    source
        The file (and layer) read, for messages.
    crs_origin
        Where the frame's CRS comes from, for the decision ("the KML
        standard: WGS 84 longitude, latitude").
    decisions
        One sentence per decision taken while reading.
    broken
        Features kept without a geometry: (position, reason, reason in Chinese).
    warned
        Features read with a doubt: position -> (problem code, reason, reason in Chinese).
    """

    frame: gpd.GeoDataFrame
    source: str
    crs_origin: str
    decisions: list[str] = field(default_factory=list)
    broken: list[tuple[int, str, str]] = field(default_factory=list)
    warned: dict[int, tuple[str, str, str]] = field(default_factory=dict)
