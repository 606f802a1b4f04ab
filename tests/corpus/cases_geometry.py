"""Geometry as survey files hold it, and what every command does with it (the one reading).

Invalid polygons are measured as drawn after the repair validate states; parcels
with nothing to measure are left out and named; overlaps and unknown statuses
stop the figures that would count them wrongly; narrow gaps are warnings.
"""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon, box, mapping

from corpus.harness import GK_X, GK_Y, Case, write_parcels

X, Y = GK_X, GK_Y
# Commands whose figures count the parcels: an error that makes them uncertain stops them.
COUNTING = ("validate", "area", "buildable", "reserve", "gaps", "enforce", "brief")
# Commands that show the park as it is: they go on, saying how many problems it has.
SHOWING = ("info", "map", "targets")


def _square(i: int, *, side: float = 100.0, gap: float = 0.0):
    x = X + i * (side + gap)
    return box(x, Y, x + side, Y + side)


def _bowtie(folder: Path) -> list[str]:
    # Two triangles of 2,500 m² each meeting at (X+50, Y+50): 5,000 m² = 7.5 mu as drawn.
    bowtie = Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100), (X, Y)])
    return [str(write_parcels(folder / "bowtie.gpkg", [bowtie, _square(2)]))]


def _overlapping_parts(folder: Path) -> list[str]:
    # Two 100 m squares overlapping by 50 m: 15,000 m² of land = 22.5 mu, counted once.
    parts = MultiPolygon([box(X, Y, X + 100, Y + 100), box(X + 50, Y, X + 150, Y + 100)])
    return [str(write_parcels(folder / "parts.gpkg", [parts]))]


def _overlap(folder: Path) -> list[str]:
    # P2 reaches 10 m into P1: 1,000 m² = 1.5 mu counted twice.
    return [
        str(write_parcels(folder / "overlap.gpkg", [_square(0), box(X + 90, Y, X + 190, Y + 100)]))
    ]


def _geojson(folder: Path, name: str, geometries: list[dict | None]) -> list[str]:
    features = [
        {
            "type": "Feature",
            "properties": {"parcel_id": f"P{i + 1}", "acquisition_status": "已征收"},
            "geometry": g,
        }
        for i, g in enumerate(geometries)
    ]
    path = folder / name
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4544"}}
    collection = {"type": "FeatureCollection", "crs": crs, "features": features}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return [str(path)]


def _null_geometry(folder: Path) -> list[str]:
    return _geojson(folder, "null.geojson", [mapping(_square(0)), None, mapping(_square(2))])


def _point_parcel(folder: Path) -> list[str]:
    point = {"type": "Point", "coordinates": [X + 500, Y + 50]}
    return _geojson(folder, "point.geojson", [mapping(_square(0)), point])


def _unknown_status(folder: Path) -> list[str]:
    return [
        str(
            write_parcels(
                folder / "status.gpkg",
                [_square(0), _square(1, gap=20)],
                columns={"acquisition_status": ["已征收", "征收"]},
            )
        )
    ]


def _narrow_gap(folder: Path) -> list[str]:
    # P1 and P2 100 m squares 2 m apart along 100 m: a strip of 200 m² neither holds.
    return [str(write_parcels(folder / "strip.gpkg", [_square(0), _square(1, gap=2)]))]


def _bom_status(folder: Path) -> list[str]:
    # A UTF-8 BOM glued to the status of P2: the same status, one group.
    return [
        str(
            write_parcels(
                folder / "bom.gpkg",
                [_square(0), _square(1, gap=20)],
                columns={"acquisition_status": ["已征收", "\ufeff已征收"]},
            )
        )
    ]


CASES = [
    Case("bowtie", _bowtie, codes=("invalid_geometry",), areas={"P1": 7.5, "P2": 15.0}),
    Case("overlapping-multipolygon-parts", _overlapping_parts, codes=("invalid_geometry",),
         areas={"P1": 22.5}),
    Case("overlap-stops-counting", _overlap, refused=r"1 (个错误|error)", exit_code=1,
         commands=COUNTING),
    Case("overlap-shown", _overlap, commands=SHOWING),
    Case("null-geometry-left-out", _null_geometry, codes=("null_geometry",),
         areas={"P1": 15.0, "P3": 15.0}),
    Case("point-parcel-left-out", _point_parcel, codes=("not_polygon",), areas={"P1": 15.0}),
    Case("unknown-status-stops-counting", _unknown_status, refused=r"1 (个错误|error)", exit_code=1,
         commands=tuple(c for c in COUNTING if c != "area")),
    # area measures the parcels whatever their status says (the summary line names the error)
    Case("unknown-status-measured", _unknown_status, codes=("unknown_status",),
         commands=("validate", "area"), areas={"P1": 15.0, "P2": 15.0}),
    Case("narrow-gap-warned", _narrow_gap, codes=("narrow_gap",),
         areas={"P1": 15.0, "P2": 15.0}),
    Case("bom-in-status", _bom_status, areas={"P1": 15.0, "P2": 15.0}),
]  # fmt: skip
