"""The dask engine gives the single-machine figures, on a local cluster of two worker processes.

One 10,000-parcel synthetic park (benchmarks/synthetic.py: a Voronoi fabric
with HV lines and a river), cut into 4 spatial partitions: areas, net
buildable land and reserve figures equal to 1e-9 mu per parcel; and the same
park with defects planted across partition boundaries (an overlap between
parcels of two partitions, a gap enclosed by parcels of several, a duplicate
id, an invalid geometry, ...) gives the same problems, in the same order.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon

from benchmarks.synthetic import synthetic_park
from parkgis.check.problems import find_problems
from parkgis.engine import dask as engine
from parkgis.land.buildable import buildable_table
from parkgis.land.reserve import reserve_figures
from parkgis.land.tables import area_table
from parkgis.measure.area import gross_area_mu

N = 10_000
PARTS = 4
TOLERANCE_MU = 1e-9


@pytest.fixture(scope="module")
def client():
    with engine.dask_client(workers=2, processes=True) as client:
        yield client


@pytest.fixture(scope="module")
def park():
    return synthetic_park(N)


@pytest.fixture(scope="module")
def parts(park):
    return engine.partition_park(park, npartitions=PARTS)


def partition_of(parts: engine.PartitionedPark) -> dict[int, int]:
    """Each parcel's partition, by its 1-based row."""
    frames = [p.compute() for p in parts.parcels.to_delayed()]
    return {int(r): k for k, frame in enumerate(frames) for r in frame[engine.ROW]}


def settled(parts: engine.PartitionedPark, *, margin: int = 3) -> set[int]:
    """Rows at least ``margin`` places from either end of their partition.

    Planting a defect moves a parcel one place along the curve at most (a
    parcel without geometry goes last), so these stay in their partition.
    """
    frames = [p.compute() for p in parts.parcels.to_delayed()]
    return {
        int(r) for frame in frames for r in frame[engine.ROW].iloc[margin : len(frame) - margin]
    }


def test_partitions_are_spatial_and_hold_every_parcel_once(parts):
    where = partition_of(parts)
    assert sorted(where) == list(range(1, N + 1))
    assert parts.npartitions == PARTS
    # Hilbert order: each partition is compact, its box far smaller than the park's.
    x0, y0, x1, y1 = parts.bounds
    park_box = (x1 - x0) * (y1 - y0)
    for b in parts.partition_bounds:
        assert (b[2] - b[0]) * (b[3] - b[1]) < 0.6 * park_box


def test_areas_equal_the_single_machine_path(client, park, parts):
    local = area_table(park.parcels, planar=True)
    dask = engine.area_table(parts, planar=True)
    assert list(dask["parcel_id"]) == list(local["parcel_id"])
    for column in ("area_mu", "planar_area_mu"):
        assert np.abs(dask[column] - local[column]).max() <= TOLERANCE_MU


def test_buildable_equals_the_single_machine_path(client, park, parts):
    local = buildable_table(park)
    dask = engine.buildable_table(parts)
    assert list(dask["parcel_id"]) == list(local["parcel_id"])
    assert (local["constrained_mu"] > 0).sum() > 100  # the corridors cross many parcels
    for column in ("gross_mu", "constrained_mu", "net_mu"):
        assert np.abs(dask[column].to_numpy() - local[column].to_numpy()).max() <= TOLERANCE_MU


def test_reserve_equals_the_single_machine_path(client, park, parts):
    local = reserve_figures(park, as_of="2014-06-30")
    dask = engine.reserve_figures(parts, as_of="2014-06-30")
    for key in ("available_mu", "pipeline_mu", "reserve_mu", "demand_mu", "shortfall_mu"):
        assert dask[key] == pytest.approx(local[key], abs=TOLERANCE_MU)
    assert local["demand_mu"] > 0
    assert [q["quarter"] for q in dask["by_quarter"]] == [q["quarter"] for q in local["by_quarter"]]
    for mine, theirs in zip(dask["by_quarter"], local["by_quarter"], strict=True):
        assert mine["supply_mu"] == pytest.approx(theirs["supply_mu"], abs=TOLERANCE_MU)


def test_a_partitioned_parquet_dataset_gives_the_same_figures(client, park, tmp_path):
    folder = engine.to_partitioned_parquet(park, tmp_path / "ds", npartitions=3)
    assert len(list((folder / "parcels").glob("part.*.parquet"))) == 3
    parts = engine.read_partitioned(folder)
    local = buildable_table(park)
    dask = engine.buildable_table(parts)
    assert np.abs(dask["net_mu"].to_numpy() - local["net_mu"].to_numpy()).max() <= TOLERANCE_MU
    assert engine.find_problems(parts) == find_problems(park) == []


def _neighbours(parcels: gpd.GeoDataFrame, pos: int) -> np.ndarray:
    geoms = np.asarray(parcels.geometry.array, dtype=object)
    tree = shapely.STRtree(geoms)
    near = tree.query(geoms[pos], predicate="intersects")
    return near[near != pos]


@pytest.fixture(scope="module")
def defective(park, parts):
    """The park with defects planted across partition boundaries; and its partitions."""
    where = partition_of(parts)  # by 1-based row
    steady = settled(parts)
    parcels = park.parcels.copy()
    geoms = np.asarray(parcels.geometry.array, dtype=object).copy()
    gk = gpd.GeoSeries(geoms, crs=parcels.crs).to_crs(4544)
    area = gross_area_mu(parcels).to_numpy()
    inner = shapely.within(geoms, shapely.buffer(shapely.box(*parts.bounds), -0.01))  # ~1 km in
    inner &= np.isin(np.arange(1, N + 1), list(steady))
    # A parcel grown by 3 m over neighbours in another partition: overlaps.
    grow = next(
        i
        for i in range(N)
        if inner[i] and {where[j + 1] for j in _neighbours(parcels, i) if inner[j]} - {where[i + 1]}
    )
    geoms[grow] = gpd.GeoSeries([gk.iloc[grow].buffer(3.0)], crs=4544).to_crs(parcels.crs)[0]
    # A disc of 12 m radius cut out of the edge shared by parcels of two partitions: a gap.
    gk_geoms = np.asarray(gk.array, dtype=object)
    tree = shapely.STRtree(gk_geoms)
    near_grow = set(_neighbours(parcels, grow)) | {grow}
    for a in range(N):
        if not inner[a] or a in near_grow:
            continue
        others = [b for b in _neighbours(parcels, a) if where[b + 1] != where[a + 1] and inner[b]]
        others = [b for b in others if b not in near_grow]
        edge = [shapely.line_merge(shapely.intersection(gk_geoms[a], gk_geoms[b])) for b in others]
        lines = [(b, e) for b, e in zip(others, edge, strict=True) if e.geom_type == "LineString"]
        lines = [(b, e) for b, e in lines if e.length > 60]
        if lines:
            b, edge = lines[0]
            disc = edge.interpolate(0.5, normalized=True).buffer(12.0)
            if set(tree.query(disc, predicate="intersects")) == {a, b}:
                break
    else:
        raise AssertionError("no edge between parcels of two partitions to cut a gap in")
    hole_ring = np.array([a, b])
    cut = gpd.GeoSeries(shapely.difference(gk_geoms[[a, b]], disc), crs=4544).to_crs(parcels.crs)
    geoms[[a, b]] = np.asarray(cut.array, dtype=object)
    # A parcel on the park's outline, with a neighbour in another partition, shrunk by 1 m:
    # open strips 1 m wide between it and its neighbours, narrow gaps (open to the outside,
    # so not a gap).
    taken = near_grow | {a, b} | set(_neighbours(parcels, a)) | set(_neighbours(parcels, b))
    outline = shapely.boundary(shapely.union_all(gk_geoms))
    calm = np.isin(np.arange(1, N + 1), list(steady))
    for c in np.flatnonzero(calm & shapely.intersects(gk_geoms, outline)):
        others = [d for d in _neighbours(parcels, c) if where[d + 1] != where[c + 1] and calm[d]]
        if c not in taken and others and not taken & set(_neighbours(parcels, c)):
            d = others[0]
            break
    else:
        raise AssertionError("no parcel on the outline beside another partition to shrink")
    strip = np.array([c, d])
    geoms[c] = gpd.GeoSeries([shapely.buffer(gk_geoms[c], -1.0)], crs=4544).to_crs(parcels.crs)[0]
    # A bow-tie: two vertices of a parcel far from the others swapped.
    tie = int(np.argmax(np.where(inner, area, 0)))
    ring = list(shapely.get_coordinates(geoms[tie]))
    ring[1], ring[2] = ring[2], ring[1]
    geoms[tie] = Polygon(ring)
    # A parcel of 10 mu or more without geometry (a hole too large to be a gap).
    used = {grow, a, b, c, d, tie} | near_grow | set(_neighbours(parcels, a))
    void = next(i for i in range(N // 2, N) if inner[i] and area[i] > 10 and i not in used)
    geoms[void] = None
    parcels = parcels.set_geometry(gpd.GeoSeries(geoms, crs=parcels.crs))
    # Attribute defects, some on the rows with geometry defects.
    status = np.array(parcels["acquisition_status"], dtype=object)
    status[grow] = "征收中心"  # not a term
    parcels["acquisition_status"] = status
    ids = np.array(parcels["parcel_id"], dtype=object)
    twin = next(i for i in range(N - 1, 0, -1) if where[i + 1] != where[1])
    ids[twin] = ids[0]  # a duplicate id in another partition
    parcels["parcel_id"] = ids
    declared = np.full(N, np.nan)
    declared[5] = round(area[5] * 1.2, 2)  # 20 % off: area_mismatch
    parcels["declared_area_mu"] = declared
    project = park.projects["project_id"].iloc[0]
    allocations = pd.DataFrame(
        {"project_id": [project], "parcel_id": [ids[7]], "mu": [round(area[7] * 2, 1)]}
    )
    bad = park.replace(parcels=parcels, allocations=allocations)
    planted = {
        "grow": grow,
        "grow_neighbours": _neighbours(parcels, grow),
        "hole_ring": hole_ring,
        "strip": strip,
    }
    return bad, engine.partition_park(bad, npartitions=PARTS), planted


def test_defects_straddle_partitions(defective):
    _, parts, planted = defective
    where = partition_of(parts)
    grown = planted["grow"] + 1
    assert {where[j + 1] for j in planted["grow_neighbours"]} - {where[grown]}
    assert len({where[j + 1] for j in planted["hole_ring"]}) > 1
    assert len({where[j + 1] for j in planted["strip"]}) > 1


def test_problems_equal_the_single_machine_path(client, defective):
    bad, parts, planted = defective
    local = find_problems(bad)
    dask = engine.find_problems(parts)
    codes = {p.code for p in local}
    assert {
        "overlap",
        "gap",
        "invalid_geometry",
        "null_geometry",
        "duplicate_parcel_id",
        "unknown_status",
        "area_mismatch",
        "over_allocated",
        "narrow_gap",
    } <= codes
    narrow = {(p.row, p.details["other_row"]) for p in local if p.code == "narrow_gap"}
    assert tuple(sorted(planted["strip"] + 1)) in narrow
    overlaps = [p for p in local if p.code == "overlap"]
    assert planted["grow"] + 1 in {p.row for p in overlaps} | {
        p.details["other_row"] for p in overlaps
    }
    assert [_key(p) for p in dask] == [_key(p) for p in local]
    for mine, theirs in zip(dask, local, strict=True):
        assert mine.details.keys() == theirs.details.keys()
        for name, value in theirs.details.items():
            if isinstance(value, float) and math.isfinite(value):
                assert mine.details[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
            else:
                assert mine.details[name] == value, name


def _key(p):
    return (p.code, p.severity, p.table, p.row, p.parcel_id, p.project_id, p.message)


def _same(a, b, path="") -> None:
    """JSON values equal, numbers to TOLERANCE_MU."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            _same(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{k}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, abs=TOLERANCE_MU), path
    else:
        assert a == b, path


@pytest.mark.parametrize(
    "command",
    [["area", "--planar"], ["validate"], ["buildable"], ["reserve", "--as-of", "2014-06-30"]],
)
def test_cli_engine_dask_prints_the_local_figures(client, tmp_path, command):
    import json

    from click.testing import CliRunner

    from parkgis.cli import cli
    from parkgis.io.store import write_park

    folder = write_park(synthetic_park(800, seed=3), tmp_path / "park")
    runner = CliRunner()
    args = [*command, str(folder), "--format", "json"]
    local = runner.invoke(cli, args, catch_exceptions=False)
    on_dask = runner.invoke(
        cli,
        [*args, "--engine", "dask", "--scheduler", client.scheduler.address, "--partitions", "3"],
        catch_exceptions=False,
    )
    assert on_dask.exit_code == local.exit_code
    _same(json.loads(on_dask.stdout), json.loads(local.stdout))
