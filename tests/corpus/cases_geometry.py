"""Geometry as survey files hold it: self-intersections, overlapping parts, broken rings."""

from __future__ import annotations

from pathlib import Path

from shapely.geometry import MultiPolygon, Polygon, box

from corpus.harness import GK_X, GK_Y, Case, write_parcels

X, Y = GK_X, GK_Y


def _bowtie(folder: Path) -> list[str]:
    # Two triangles of 5,000 m² each meeting at (X+50, Y+50): 15 mu as drawn.
    bowtie = Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100), (X, Y)])
    good = box(X + 200, Y, X + 300, Y + 100)
    return [str(write_parcels(folder / "bowtie.gpkg", [bowtie, good]))]


def _overlapping_parts(folder: Path) -> list[str]:
    # Two 100 m squares overlapping by 50 m: 15,000 m² of land = 22.5 mu, counted once.
    parts = MultiPolygon([box(X, Y, X + 100, Y + 100), box(X + 50, Y, X + 150, Y + 100)])
    return [str(write_parcels(folder / "parts.gpkg", [parts]))]


CASES = [
    Case("bowtie", _bowtie, codes=("invalid_geometry",), areas={"P1": 15.0, "P2": 15.0}),
    Case("overlapping-multipolygon-parts", _overlapping_parts, codes=("invalid_geometry",),
         areas={"P1": 22.5}),
]  # fmt: skip
