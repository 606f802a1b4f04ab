"""Each parcel's geometry as every figure measures it: the one place that decides.

A parcel's drawn geometry is either measured as it is (valid polygons),
measured after a stated repair (invalid polygons: the rings as drawn, see
:func:`parcel_shapes`), or not measured at all and named (no geometry, an empty
one, a point or line, coordinates that are not finite numbers). Validation
reports on exactly these shapes, and every land figure is computed from them,
so no two commands disagree about a parcel.

Pure core: no files, printing or clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

__all__ = ["SHAPE_FLAGS", "Shapes", "parcel_shapes", "restored_shapes"]

_POLYGONAL = (3, 6)  # Polygon, MultiPolygon

SHAPE_FLAGS = ("missing", "empty", "not_polygon", "nonfinite", "invalid", "usable")
"""The masks of :class:`Shapes`: with the drawn geometries, all it holds."""


@dataclass(frozen=True)
class Shapes:
    """The geometries of a layer sorted by how they can be measured.

    Every mask is aligned with the layer's rows.

    Attributes
    ----------
    drawn
        The geometries as read.
    working
        What figures measure: ``drawn`` where valid; for invalid polygons the
        repair ``shapely.make_valid(method="structure")`` — the rings as drawn,
        the lobes of a bow-tie summed, overlapping parts of a multipolygon
        counted once, collapsed parts dropped.
    missing, empty, not_polygon, nonfinite
        Rows with no geometry, an empty one, a point or line, coordinates that
        are NaN or infinite: none of these can be measured.
    invalid
        Polygons that are invalid as drawn (measured after the repair).
    usable
        Rows whose ``working`` geometry is a non-empty polygon: the rows every
        figure counts.
    """

    drawn: np.ndarray
    working: np.ndarray
    missing: np.ndarray
    empty: np.ndarray
    not_polygon: np.ndarray
    nonfinite: np.ndarray
    invalid: np.ndarray
    usable: np.ndarray

    @property
    def unmeasured(self) -> np.ndarray:
        """Rows that no figure counts (the union of the reasons above)."""
        return ~self.usable

    def flags(self) -> dict[str, np.ndarray]:
        """The masks by name (:data:`SHAPE_FLAGS`): what :func:`restored_shapes` needs."""
        return {name: getattr(self, name) for name in SHAPE_FLAGS}


def parcel_shapes(geoms: np.ndarray) -> Shapes:
    """Sort a layer's geometries by how they can be measured, and repair the invalid ones.

    Parameters
    ----------
    geoms
        The layer's geometries (an object array; None for a missing one).

    Examples
    --------
    >>> bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> shapes = parcel_shapes(np.array([bowtie, None], dtype=object))
    >>> shapes.invalid.tolist(), shapes.usable.tolist(), float(shapes.working[0].area)
    ([True, False], [True, False], 2.0)
    """
    geoms = np.asarray(geoms, dtype=object)
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    polygonal = np.isin(shapely.get_type_id(geoms), _POLYGONAL)
    not_polygon = ~missing & ~empty & ~polygonal
    nonfinite = _nonfinite(geoms) & ~missing & ~empty
    shaped = polygonal & ~empty & ~nonfinite
    invalid = np.zeros(len(geoms), dtype=bool)
    working = geoms.copy()
    if shaped.any():
        invalid[shaped] = ~shapely.is_valid(geoms[shaped])
    _repair(geoms, working, invalid)
    usable = shaped & ~shapely.is_empty(working) & np.isin(shapely.get_type_id(working), _POLYGONAL)
    return Shapes(
        drawn=geoms,
        working=working,
        missing=missing,
        empty=empty,
        not_polygon=not_polygon,
        nonfinite=nonfinite,
        invalid=invalid,
        usable=usable,
    )


def restored_shapes(geoms: np.ndarray, flags: dict[str, np.ndarray]) -> Shapes:
    """The :class:`Shapes` of ``geoms`` from masks :func:`parcel_shapes` gave for them.

    Only the invalid polygons are repaired again; the masks are taken as they
    are, so they must be those of exactly these geometries (see
    :mod:`parkgis.check.memo`).

    Examples
    --------
    >>> bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])
    >>> geoms = np.array([bowtie, None], dtype=object)
    >>> again = restored_shapes(geoms, parcel_shapes(geoms).flags())
    >>> again.usable.tolist(), float(again.working[0].area)
    ([True, False], 2.0)
    """
    geoms = np.asarray(geoms, dtype=object)
    masks = {name: np.asarray(flags[name], dtype=bool) for name in SHAPE_FLAGS}
    working = geoms.copy()
    _repair(geoms, working, masks["invalid"])
    return Shapes(drawn=geoms, working=working, **masks)


def _repair(geoms: np.ndarray, working: np.ndarray, invalid: np.ndarray) -> None:
    """Put the repair of each invalid polygon into ``working`` (see :class:`Shapes`)."""
    if invalid.any():
        working[invalid] = shapely.make_valid(
            geoms[invalid], method="structure", keep_collapsed=False
        )


def _nonfinite(geoms: np.ndarray) -> np.ndarray:
    """Rows with a coordinate that is NaN or infinite."""
    out = np.zeros(len(geoms), dtype=bool)
    if not len(geoms):
        return out
    coords, index = shapely.get_coordinates(geoms, include_z=False, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    out[np.unique(index[bad])] = True
    return out
