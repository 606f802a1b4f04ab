"""Geometry and files as they arrive: NaN corners, rings left open, curves, stray features,
files that are not layers, several layers, a --crs that disagrees with the file.

Geometries the shapely constructors refuse or warn about (NaN, a ring left open,
curves) are written as WKB with :func:`write_wkb`. Areas: 100 m squares on
EPSG:4544's central meridian, 15 mu each to 1e-9 (see ``harness.GK_X``).
"""

from __future__ import annotations

import math
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyproj import Geod
from shapely.geometry import box

from corpus.harness import GK_X, GK_Y, Case, write_parcels

__all__ = ["CASES", "HALF_DISC_MU", "half_disc_wkb", "polygon_wkb", "write_wkb"]

X, Y = GK_X, GK_Y
# A half disc of radius 50 m: its area is pi * 50² / 2 m² = 3926.99 m² = 5.890486 mu.
HALF_DISC_MU = math.pi * 2500 / 2 / (10_000 / 15)


def polygon_wkb(*rings: Sequence[tuple[float, float]]) -> bytes:
    """WKB of a polygon with these rings, written as given (open, NaN ... kept)."""
    out = struct.pack("<BII", 1, 3, len(rings))
    for ring in rings:
        out += struct.pack("<I", len(ring)) + b"".join(struct.pack("<2d", *p) for p in ring)
    return out


def half_disc_wkb(x: float, y: float) -> bytes:
    """WKB of a CurvePolygon: an arc of radius 50 m from (x, y) over (x+50, y+50) to (x+100, y),
    closed by a line (a CompoundCurve, as CAD and FME write curved parcels)."""
    arc = struct.pack("<BII", 1, 8, 3) + struct.pack("<6d", x, y, x + 50, y + 50, x + 100, y)
    line = struct.pack("<BII", 1, 2, 2) + struct.pack("<4d", x + 100, y, x, y)
    return struct.pack("<BII", 1, 10, 1) + struct.pack("<BII", 1, 9, 2) + arc + line


def write_wkb(
    path: Path, blobs: Sequence[bytes], *, crs: str = "EPSG:4544", layer: str | None = None
) -> Path:
    """Write WKB geometries as parcels P1, P2 ... (status 已征收) with pyogrio's raw writer."""
    n = len(blobs)
    pyogrio.raw.write(
        path,
        geometry=np.array(list(blobs), dtype=object),
        field_data=[np.array([f"P{i + 1}" for i in range(n)]), np.array(["已征收"] * n)],
        fields=["parcel_id", "acquisition_status"],
        geometry_type="Unknown",
        crs=crs,
        layer=layer,
        driver="GPKG" if path.suffix == ".gpkg" else None,
    )
    return path


def _square(i: int, *, x: float = X, y: float = Y) -> list[tuple[float, float]]:
    x0 = x + 200 * i
    return [(x0, y), (x0 + 100, y), (x0 + 100, y + 100), (x0, y + 100), (x0, y)]


def _nan_corner(folder: Path) -> list[str]:
    # P2's third corner has a NaN easting: kept without geometry, named; P1 still 15 mu.
    bad = _square(1)
    bad[2] = (math.nan, bad[2][1])
    return [str(write_wkb(folder / "nan.gpkg", [polygon_wkb(_square(0)), polygon_wkb(bad)]))]


def _inf_corner(folder: Path) -> list[str]:
    bad = _square(1)
    bad[1] = (bad[1][0], math.inf)
    return [str(write_wkb(folder / "inf.gpkg", [polygon_wkb(_square(0)), polygon_wkb(bad)]))]


def _single_vertex(folder: Path) -> list[str]:
    point = [(X + 200, Y)] * 4
    return [str(write_wkb(folder / "single.gpkg", [polygon_wkb(_square(0)), polygon_wkb(point)]))]


def _two_vertices(folder: Path) -> list[str]:
    line = [(X + 200, Y), (X + 300, Y), (X + 300, Y), (X + 200, Y)]
    return [str(write_wkb(folder / "two.gpkg", [polygon_wkb(_square(0)), polygon_wkb(line)]))]


def _collapsed(folder: Path) -> list[str]:
    # Four distinct corners on one line: a polygon with no inside.
    flat = [(X + 200, Y), (X + 250, Y + 10), (X + 300, Y + 20), (X + 250, Y + 10), (X + 200, Y)]
    flat[3] = (X + 225, Y + 5)
    path = write_wkb(folder / "flat.gpkg", [polygon_wkb(_square(0)), polygon_wkb(flat)])
    return [str(path)]


def _unclosed_small(folder: Path) -> list[str]:
    # The ring ends at (X+200.3, Y+0.3), 0.42 m from its first point: closed, flagged.
    ring = [*_square(1)[:-1], (X + 200.3, Y + 0.3)]
    path = write_wkb(folder / "open.gpkg", [polygon_wkb(_square(0)), polygon_wkb(ring)])
    return [str(path)]


def _unclosed_large(folder: Path) -> list[str]:
    # Four corners listed without the closing one: a 100 m gap, not guessed.
    path = write_wkb(folder / "open4.gpkg", [polygon_wkb(_square(0)), polygon_wkb(_square(1)[:-1])])
    return [str(path)]


def _curve(folder: Path) -> list[str]:
    blobs = [polygon_wkb(_square(0)), half_disc_wkb(X + 200, Y)]
    return [str(write_wkb(folder / "curve.gpkg", blobs))]


def _antimeridian(folder: Path) -> list[str]:
    good = box(105.96, 32.32, 105.961, 32.321)
    wrapped = shapely.Polygon([(179.9, 32.3), (-179.9, 32.3), (-179.9, 32.31), (179.9, 32.31)])
    return [str(write_parcels(folder / "wrap.gpkg", [good, wrapped], crs="EPSG:4490"))]


def _stray_vertex_at_zero(folder: Path) -> list[str]:
    # A CAD export put P2 at 0, 0: it is named, the rest of the file read.
    stray = box(0, 0, 100, 100)
    return [str(write_parcels(folder / "stray.gpkg", [box(X, Y, X + 100, Y + 100), stray]))]


def _all_across_antimeridian(folder: Path) -> list[str]:
    wrapped = shapely.Polygon([(179.9, 32.3), (-179.9, 32.3), (-179.9, 32.31), (179.9, 32.31)])
    return [str(write_parcels(folder / "allwrap.gpkg", [wrapped], crs="EPSG:4326"))]


def _zip_of_documents(folder: Path) -> list[str]:
    path = folder / "成果.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("说明.docx", b"PK")
        archive.writestr("界址点坐标.xlsx", b"PK")
    return [str(path)]


def _not_a_zip(folder: Path) -> list[str]:
    path = folder / "parcels.zip"
    path.write_bytes(b"Rar!\x1a\x07\x00 not really a zip")
    return [str(path)]


def _text_file(folder: Path) -> list[str]:
    path = folder / "界址点.txt"
    path.write_bytes("[属性描述]\n坐标系=2000国家大地坐标系\n".encode("gbk"))
    return [str(path)]


def _word_file(folder: Path) -> list[str]:
    path = folder / "parcels.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return [str(path)]


def _ledger_as_parcels(folder: Path) -> list[str]:
    path = folder / "projects.csv"
    path.write_text("project_id,name\nJ1,中纺油脂\n", encoding="utf-8")
    return [str(path)]


def _two_layers(folder: Path) -> Path:
    path = folder / "park.gpkg"
    write_parcels(path, [box(X, Y, X + 100, Y + 100)], layer="parcels")
    reserve = [box(X + 200, Y, X + 300, Y + 100), box(X + 400, Y, X + 500, Y + 100)]
    write_parcels(path, reserve, layer="reserve", columns={"parcel_id": ["R1", "R2"]})
    return path


def _two_layers_unchosen(folder: Path) -> list[str]:
    return [str(_two_layers(folder))]


def _two_layers_colon(folder: Path) -> list[str]:
    return [f"{_two_layers(folder)}:reserve"]


def _two_layers_option(folder: Path) -> list[str]:
    return [str(_two_layers(folder)), "--layer", "reserve"]


def _no_such_layer(folder: Path) -> list[str]:
    return [f"{_two_layers(folder)}:roads"]


def _crs_disagrees(folder: Path) -> list[str]:
    path = write_parcels(folder / "gk.gpkg", [box(X, Y, X + 100, Y + 100)])
    return [str(path), "--crs", "EPSG:4545"]


def _crs_overridden(folder: Path) -> list[str]:
    # The file says CM 108E but the coordinates are CM 105E: --override-crs takes 4544.
    path = write_parcels(folder / "gk.gpkg", [box(X, Y, X + 100, Y + 100)], crs="EPSG:4545")
    return [str(path), "--crs", "EPSG:4544", "--override-crs"]


def _crs_agrees(folder: Path) -> list[str]:
    path = write_parcels(folder / "gk.gpkg", [box(X, Y, X + 100, Y + 100)])
    return [str(path), "--crs", "EPSG:4544"]


def _lat_lon_swapped(folder: Path) -> list[str]:
    swapped = shapely.Polygon(
        [(32.32, 105.96), (32.32, 105.961), (32.321, 105.961), (32.321, 105.96)]
    )
    path = write_parcels(folder / "latlon.geojson", [swapped], crs="EPSG:4326")
    return [str(path), "--swap-axes"]


# The 0.001° box at 105.96E 32.32N, measured on GRS80 by pyproj.Geod (independently of parkgis).
_SMALL_BOX_MU = abs(
    Geod(ellps="GRS80").geometry_area_perimeter(box(105.96, 32.32, 105.961, 32.321))[0]
) / (10_000 / 15)

# Closed by a line from (X+200.3, Y+0.3) to (X+200, Y), the ring's last edge comes from
# (X+200, Y+100) to (X+200.3, Y+0.3): a triangle of 100 * 0.3 / 2 = 15 m² off the square.
_OPEN_MU = (10_000 - 15) / (10_000 / 15)

CASES = [
    Case("nan-coordinate", _nan_corner, codes=("broken_geometry",), areas={"P1": 15.0}),
    Case("inf-coordinate", _inf_corner, codes=("broken_geometry",), areas={"P1": 15.0}),
    Case("single-vertex-polygon", _single_vertex, codes=("broken_geometry",), areas={"P1": 15.0}),
    Case("two-vertex-polygon", _two_vertices, codes=("broken_geometry",), areas={"P1": 15.0}),
    Case("collapsed-polygon", _collapsed, codes=("broken_geometry",), areas={"P1": 15.0}),
    Case("unclosed-ring-small-gap", _unclosed_small, codes=("unclosed_ring",),
         areas={"P1": 15.0, "P2": _OPEN_MU}),
    Case("unclosed-ring-large-gap", _unclosed_large, codes=("broken_geometry",),
         areas={"P1": 15.0}),
    Case("curve-polygon", _curve, codes=("curved_geometry",),
         areas={"P1": 15.0, "P2": HALF_DISC_MU}, rel=2e-5),
    Case("antimeridian-feature", _antimeridian, codes=("broken_geometry",),
         areas={"P1": _SMALL_BOX_MU}),
    Case("stray-feature-at-origin", _stray_vertex_at_zero, codes=("broken_geometry",),
         areas={"P1": 15.0}),
    Case("every-feature-across-antimeridian", _all_across_antimeridian,
         refused=r"allwrap\.gpkg.*antimeridian", exit_code=2),
    Case("zip-without-shapefile", _zip_of_documents,
         refused=r"成果\.zip.*(说明\.docx, 界址点坐标\.xlsx|没有 shapefile).*(GeoPackage)",
         exit_code=2),
    Case("zip-that-is-not-a-zip", _not_a_zip, refused=r"parcels\.zip.*zip", exit_code=2),
    Case("txt-as-parcels", _text_file, refused=r"界址点\.txt.*GeoPackage", exit_code=2),
    Case("docx-as-parcels", _word_file, refused=r"parcels\.docx.*GeoPackage", exit_code=2),
    Case("ledger-as-parcels", _ledger_as_parcels, refused=r"projects\.csv.*--projects",
         exit_code=2),
    Case("gpkg-two-layers-unchosen", _two_layers_unchosen,
         refused=r"park\.gpkg.*parcels.*reserve.*park\.gpkg:parcels.*--layer parcels",
         exit_code=2),
    Case("gpkg-layer-after-colon", _two_layers_colon, areas={"R1": 15.0, "R2": 15.0}),
    Case("gpkg-layer-option", _two_layers_option, areas={"R1": 15.0, "R2": 15.0}),
    Case("gpkg-no-such-layer", _no_such_layer, refused=r"park\.gpkg.*roads.*parcels, reserve",
         exit_code=2),
    Case("crs-disagrees-with-prj", _crs_disagrees,
         refused=r"gk\.gpkg.*EPSG:4544.*EPSG:4545.*--override-crs", exit_code=2),
    Case("crs-overrides-prj", _crs_overridden, areas={"P1": 15.0}, rel=1e-9),
    Case("crs-agrees-with-prj", _crs_agrees, areas={"P1": 15.0}, rel=1e-9),
    Case("lat-lon-swapped-read-with-swap-axes", _lat_lon_swapped, areas={"P1": _SMALL_BOX_MU}),
]  # fmt: skip
