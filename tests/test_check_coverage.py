"""Validation without a union: shared edges, overlaps, gaps, and grouped problems.

:mod:`parkgis.check.coverage` lets :func:`~parkgis.check.problems.check_park`
skip the exact overlap test for neighbours that share their edges cleanly and
find the enclosed gaps from the edges that are not shared. These tests hold
it to the brute-force answers (every pair of parcels related, the union of
all parcels) on fabrics built here: Voronoi parcels in EPSG:4544 around
Yuanba, two fabrics laid over each other, holes punched in one.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from click.testing import CliRunner
from shapely.geometry import box

from parkgis.check.coverage import edge_balance, uncovered_faces
from parkgis.check.problems import GROUP_OVER, check_park, find_problems, grouped
from parkgis.cli import cli
from parkgis.measure.area import gross_area_mu
from parkgis.model.park import Manifest, Park
from tests.conftest import GK_X, GK_Y


def fabric(n: int, seed: int, *, shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """``n`` Voronoi parcels over a 2 km square in EPSG:4544, sharing exact edges."""
    rng = np.random.default_rng(seed)
    frame = shapely.box(GK_X, GK_Y, GK_X + 2_000, GK_Y + 2_000)
    points = shapely.multipoints(rng.uniform(0, 2_000, (n, 2)) + np.array([GK_X, GK_Y]))
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=frame))
    cells = shapely.intersection(cells, frame)
    return shapely.transform(cells, lambda xy: xy + np.asarray(shift))


def park_of(geoms: np.ndarray, crs: str = "EPSG:4544") -> Park:
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{k:04d}" for k in range(len(geoms))],
            "acquisition_status": ["acquired"] * len(geoms),
        },
        geometry=list(geoms),
        crs="EPSG:4544",
    ).to_crs(crs)
    return Park(Manifest("test"), parcels)


def brute_overlaps(geoms: np.ndarray) -> set[tuple[int, int]]:
    """Every pair whose interiors meet by 1 m² or more (rows, 1-based)."""
    a, b = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    a, b = a[a < b], b[a < b]
    inner = shapely.relate_pattern(geoms[a], geoms[b], "T********")
    a, b = a[inner], b[inner]
    sqm = gross_area_mu(gpd.GeoSeries(shapely.intersection(geoms[a], geoms[b]), crs=4544)) / 1.5
    keep = sqm.to_numpy() * 1_000 >= 1.0
    return {(int(i) + 1, int(j) + 1) for i, j in zip(a[keep], b[keep], strict=True)}


def test_shared_edges_are_clean_and_the_outline_is_not():
    cells = np.array([box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 2, 2)])
    edges = edge_balance(cells)
    assert edges.suspect.tolist() == [True, True, True]  # each has a piece of the outline
    # box 0 and 1 share x=1 cleanly; box 2's south edge is not a segment of either.
    assert edges.clean_pairs.tolist() == [0 * 3 + 1]
    inner = np.array([box(x, y, x + 1, y + 1) for x in range(3) for y in range(3)])
    assert not edge_balance(inner).suspect[4]  # the middle one shares every edge cleanly


@pytest.mark.parametrize("crs", ["EPSG:4544", "EPSG:4490"])
def test_overlaid_fabrics_give_every_overlapping_pair(crs):
    # Two fabrics whose own edges are all shared cleanly: the overlaps are between
    # parcels that share no edge at all, and no vertex of one need lie in the other.
    geoms = np.concatenate([fabric(60, 1), fabric(50, 2, shift=(37.0, -23.0))])
    found = {
        (p.row, p.details["other_row"]) for p in find_problems(park_of(geoms, crs))
        if p.code == "overlap"
    }  # fmt: skip
    assert found == brute_overlaps(geoms)
    assert len(found) > 100


def test_duplicate_and_nested_parcels_overlap():
    geoms = fabric(40, 3)
    inside = shapely.buffer(shapely.centroid(geoms[5]), 5.0)
    geoms = np.concatenate([geoms, [geoms[7], inside]])
    found = {
        (p.row, p.details["other_row"])
        for p in find_problems(park_of(geoms))
        if p.code == "overlap"
    }
    assert found == brute_overlaps(geoms)
    assert (8, 41) in found and (6, 42) in found


@pytest.mark.parametrize("crs", ["EPSG:4544", "EPSG:4490"])
def test_gaps_are_the_holes_of_the_union(crs):
    geoms = fabric(200, 4)
    rng = np.random.default_rng(5)
    corners = shapely.get_coordinates(geoms[rng.choice(len(geoms), 6, replace=False)])[::7][:6]
    for x, y in corners:  # a square of 30 m cut out around a vertex: land no parcel holds
        geoms = shapely.difference(geoms, box(x - 15, y - 15, x + 15, y + 15))
    geoms = geoms[~shapely.is_empty(geoms)]
    union = shapely.union_all(geoms)
    holes = [
        shapely.Polygon(shapely.get_interior_ring(part, k))
        for part in shapely.get_parts(union)
        for k in range(shapely.get_num_interior_rings(part))
    ]
    faces = uncovered_faces(edge_balance(geoms).unbalanced, shapely.STRtree(geoms))
    assert sorted(round(f.area, 6) for f in faces) == sorted(round(h.area, 6) for h in holes)
    assert len(holes) >= 3
    park = park_of(geoms, crs)
    gaps = [p for p in find_problems(park) if p.code == "gap"]
    held = gross_area_mu(gpd.GeoSeries(holes, crs=4544)).to_numpy()
    assert sorted(round(p.details["gap_mu"], 6) for p in gaps) == sorted(
        round(float(mu), 6) for mu in held if mu * 10_000 / 15 >= 1 and mu < 5
    )


def test_an_island_parcel_inside_a_hole_leaves_the_hole_a_gap():
    ring = np.array(
        [box(0, 0, 90, 30), box(0, 60, 90, 90), box(0, 30, 30, 60), box(60, 30, 90, 60)]
    )
    island = box(40, 40, 50, 50)
    geoms = shapely.transform(
        np.concatenate([ring, [island]]), lambda xy: xy + np.array([GK_X, GK_Y])
    )
    [gap] = [p for p in find_problems(park_of(geoms)) if p.code == "gap"]
    assert gap.details["gap_m2"] == pytest.approx(900, rel=1e-3)  # the hole, island included


def loose_parcels(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "parcel_id": [f"L{k:03d}" for k in range(n)],
            "acquisition_status": ["acquired"] * n,
            "project_id": [f"X{k % 7}" for k in range(n)],
        },
        geometry=[box(GK_X + 120 * k, GK_Y, GK_X + 120 * k + 100, GK_Y + 100) for k in range(n)],
        crs="EPSG:4544",
    )


def test_many_problems_of_one_kind_are_one_with_their_count_and_first_ids():
    park = Park(Manifest("loose"), loose_parcels(GROUP_OVER + 50))
    each = find_problems(park)
    assert [p.code for p in each] == ["unknown_project"] * (GROUP_OVER + 50)
    [one] = check_park(park, group_over=GROUP_OVER).problems
    assert one.code == "unknown_project" and one.severity == "error"
    assert one.row == 1 and one.parcel_id == "L000" and one.table == "parcels"
    assert one.details["count"] == GROUP_OVER + 50
    assert one.details["parcel_ids"] == [f"L{k:03d}" for k in range(20)]
    assert one.details["rows"] == list(range(1, 21))
    assert one.message.startswith("150 parcels name projects, and there is no project table")
    assert one.message_zh.startswith("150 个地块填写了项目编号，但没有项目表")
    # Few problems of a kind stay one by one.
    assert grouped(each[:GROUP_OVER], over=GROUP_OVER) == each[:GROUP_OVER]


def test_validate_json_lists_the_group_and_counts_every_problem(tmp_path):
    path = tmp_path / "loose.gpkg"
    loose_parcels(GROUP_OVER + 50).to_file(path, layer="parcels")
    result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    [problem] = report["problems"]
    assert set(problem) == {
        "code", "severity", "table", "row", "parcel_id", "project_id", "message",
        "message_zh", "details",
    }  # fmt: skip
    assert problem["details"]["count"] == GROUP_OVER + 50
    assert len(problem["details"]["parcel_ids"]) == 20
    assert len(report["parcels"]) == GROUP_OVER + 50
    assert "150 error(s)" in result.stderr or "150 个错误" in result.stderr


def test_rings_and_their_orientation_as_geos_gives_them():
    from parkgis.check.coverage import _ccw, _ring_coordinates

    square = shapely.box(500_000, 3_577_000, 500_100, 3_577_100)
    holed = shapely.Polygon(
        [(0, 0), (10, 0), (10, 10), (0, 10)], [[(2, 2), (2, 4), (4, 4), (4, 2)]]
    )
    sliver = shapely.Polygon([(105.96, 32.32), (105.97, 32.32), (105.97, 32.32 + 1e-12)])
    geoms = np.array(
        [
            square,
            shapely.reverse(square),  # clockwise exterior
            holed,
            shapely.MultiPolygon([holed, shapely.box(20, 0, 21, 1)]),
            sliver,
            shapely.reverse(sliver),
        ],
        dtype=object,
    )
    coords, ring_of, owner, exterior = _ring_coordinates(geoms)
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    assert owner.tolist() == part_owner[ring_part].tolist()
    assert exterior.tolist() == np.r_[True, ring_part[1:] != ring_part[:-1]].tolist()
    np.testing.assert_array_equal(coords, shapely.get_coordinates(rings))
    step = np.flatnonzero(ring_of[1:] == ring_of[:-1])
    assert _ccw(coords, ring_of, step).tolist() == shapely.is_ccw(rings).tolist()
    assert _ccw(coords, ring_of, step).tolist()[-2:] == [True, False]  # the sliver, by GEOS
