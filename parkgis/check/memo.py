"""Remembering the geometry checks of a layer that has not changed since they ran.

Checking a layer's geometry — validity, overlaps, gaps, narrow gaps, slivers,
the area of every parcel on the ellipsoid — is most of the time of every
command on a large park, and every command does it (the one reading). Its
result depends only on the inputs :func:`geometry_key` digests: every
geometry byte for byte (WKB, Z included), the CRS, the ids, land uses and
declared areas the messages and checks use, the rows whose geometry the reader
already reported, and the options. When a command finds the result of the
same inputs remembered (see :class:`GeometryMemo`; the shell keeps it in a
cache folder, :mod:`parkgis.io.reading_cache`), it takes it instead of
checking again: the same problems in the same order, the same areas, the same
repairs — a remembered reading is the reading, not an approximation of it.

The key holds no version of the code; the shell's cache adds one (a digest of
the checking code and of GEOS and PROJ), so new code never meets old results.

Pure core: no files, printing or clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import shapely

from parkgis.check.geometry import SHAPE_FLAGS

__all__ = ["GeometryMemo", "Remembered", "geometry_key"]


class GeometryMemo(Protocol):
    """Where remembered geometry checks are kept (the shell gives one; None: none)."""

    def get(self, key: str) -> Remembered | None:
        """The result remembered under ``key``, or None."""

    def put(self, key: str, value: Remembered) -> None:
        """Remember ``value`` under ``key`` (failing quietly: it is only a cache)."""


@dataclass(frozen=True)
class Remembered:
    """The result of checking a layer's geometry.

    Attributes
    ----------
    flags
        The masks of :class:`~parkgis.check.geometry.Shapes` by name
        (:data:`~parkgis.check.geometry.SHAPE_FLAGS`).
    area_mu
        Each parcel's measured area in mu (NaN where none).
    items
        The problems found, each with its sort key, in the order found.
    """

    flags: dict[str, np.ndarray]
    area_mu: np.ndarray
    items: tuple[tuple[Any, Any], ...]

    def fits(self, n: int) -> bool:
        """Whether this result is shaped for a layer of ``n`` rows."""
        return (
            set(self.flags) == set(SHAPE_FLAGS)
            and all(np.shape(m) == (n,) for m in self.flags.values())
            and np.shape(self.area_mu) == (n,)
        )


def geometry_key(
    geoms: np.ndarray,
    crs: Any,
    ids: Sequence[str | None],
    land_use: np.ndarray | None,
    declared: np.ndarray,
    reported_rows: Iterable[int],
    options: dict[str, Any],
) -> str:
    """A digest of everything the geometry checks of a layer depend on.

    Parameters
    ----------
    geoms
        The layer's geometries as read (None for a missing one).
    crs
        The layer's CRS (None if it has none).
    ids
        The parcel ids (named in messages).
    land_use
        The land use of each parcel (slivers of roads are not reported), or None.
    declared
        The declared area of each parcel in mu (NaN where none).
    reported_rows
        Rows whose geometry the reader has reported already.
    options
        The options of the checks (thresholds).

    Examples
    --------
    >>> square = shapely.box(0, 0, 100, 100)
    >>> a = geometry_key(np.array([square]), "EPSG:4544", ["A"], None, np.array([np.nan]), [], {})
    >>> moved = shapely.box(0, 0, 100, 100.001)
    >>> a == geometry_key(np.array([moved]), "EPSG:4544", ["A"], None, np.array([np.nan]), [], {})
    False
    """
    digest = hashlib.blake2b(digest_size=20)
    wkb = shapely.to_wkb(np.asarray(geoms, dtype=object), output_dimension=3, include_srid=False)
    sizes = np.fromiter((-1 if b is None else len(b) for b in wkb), dtype=np.int64, count=len(wkb))
    digest.update(sizes.tobytes())
    for blob in wkb:
        if blob is not None:
            digest.update(blob)
    wkt = None
    if crs is not None:
        from pyproj import CRS

        wkt = CRS.from_user_input(crs).to_wkt()
    head = {
        "crs": wkt,
        "ids": list(ids),
        "land_use": None if land_use is None else [_plain(v) for v in land_use],
        "reported": sorted(int(r) for r in reported_rows),
        "options": {k: _plain(v) for k, v in sorted(options.items())},
    }
    digest.update(json.dumps(head, ensure_ascii=False, default=str).encode("utf-8"))
    digest.update(np.asarray(declared, dtype=np.float64).tobytes())
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    return f"{type(value).__name__}:{value!r}"
