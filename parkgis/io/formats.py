"""The one dispatch point for the land office's own formats, called by ``read_layer``.

:func:`parkgis.io.vector.read_layer` asks :func:`read_special` first: a file
that one of the readers below recognises (by suffix or by content) is read
by it, and the frame it returns then goes through the same checks as every
other layer (CRS settled or refused, coordinates checked against the CRS,
rings closed or refused, ids found). A file none recognises is left to GDAL.

To add a format, write ``reader(path, *, layer, crs, encoding) -> SpecialRead``
and a test ``recognises(path) -> bool``, and add the pair to :data:`_READERS`.
FileGDB folders (``.gdb``, 三调 data) need no reader of their own: GDAL's
OpenFileGDB driver reads them, a layer chosen as ``PATH:LAYER``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pyproj import CRS

from parkgis.io.special import SpecialRead

__all__ = ["read_special", "recognised_suffixes"]


class _Reader(Protocol):
    def __call__(
        self,
        path: Path,
        *,
        layer: str | None,
        crs: str | int | CRS | None,
        encoding: str | None,
    ) -> SpecialRead: ...


def _by_suffix(*suffixes: str) -> Callable[[Path], bool]:
    def recognises(path: Path) -> bool:
        return path.is_file() and path.suffix.lower() in suffixes

    return recognises


def _read_dxf(
    path: Path, *, layer: str | None, crs: str | int | CRS | None, encoding: str | None
) -> SpecialRead:
    from parkgis.io.dxf import read_dxf

    return read_dxf(path, layer=layer, crs=crs, encoding=encoding)


def _read_kml(
    path: Path, *, layer: str | None, crs: str | int | CRS | None, encoding: str | None
) -> SpecialRead:
    from parkgis.io.kml import read_kml

    return read_kml(path, layer=layer, crs=crs, encoding=encoding)


def _is_boundary_txt(path: Path) -> bool:
    from parkgis.io.boundary_txt import is_boundary_txt

    return is_boundary_txt(path)


def _read_boundary_txt(
    path: Path, *, layer: str | None, crs: str | int | CRS | None, encoding: str | None
) -> SpecialRead:
    from parkgis.io.boundary_txt import read_boundary_txt

    return read_boundary_txt(path, layer=layer, crs=crs, encoding=encoding)


_READERS: list[tuple[Callable[[Path], bool], _Reader, tuple[str, ...]]] = [
    (_is_boundary_txt, _read_boundary_txt, (".txt",)),  # by content: the [地块坐标] section
    (_by_suffix(".dxf"), _read_dxf, (".dxf",)),
    (_by_suffix(".kml", ".kmz"), _read_kml, (".kml", ".kmz")),
]
"""(recognises, reader, suffixes for messages), tried in order."""


def recognised_suffixes() -> tuple[str, ...]:
    """The suffixes the readers of this module take, for messages."""
    return tuple(s for *_, suffixes in _READERS for s in suffixes)


def read_special(
    path: Path,
    *,
    layer: str | None = None,
    crs: str | int | CRS | None = None,
    encoding: str | None = None,
) -> SpecialRead | None:
    """Read ``path`` with the reader that recognises it, or None when none does.

    Parameters
    ----------
    path
        An existing file or folder.
    layer, crs, encoding
        As given to :func:`parkgis.io.vector.read_layer`; each reader says
        what it does with them.
    """
    for recognises, reader, _ in _READERS:
        if recognises(path):
            return reader(path, layer=layer, crs=crs, encoding=encoding)
    return None
