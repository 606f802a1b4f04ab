"""A park's figures on dask-geopandas: partition by partition, on a local cluster or a remote one.

The parcels are cut into spatial partitions (runs of equal length along the
Hilbert curve of ``dask_geopandas``) and kept as GeoParquet, one file a
partition (:func:`to_partitioned_parquet`), or in memory
(:func:`partition_park`); the other tables of the park (constraints,
projects, allocations ...) are small and go to every task as they are.
Each figure is the single-machine function of parkgis run on each partition,
with what makes it depend on the whole layer fixed beforehand on the client:

- **areas** (:func:`area_table`) and **net buildable land**
  (:func:`buildable_table`): ``map_partitions`` of
  :func:`parkgis.land.tables.area_table` and :func:`parkgis.land.buildable.buildable_table`,
  measured in the equal-area and Gauss-Kruger CRSs chosen from the *whole*
  layer's bounds, so that every parcel is measured exactly as on one machine;
- **problems** (:func:`find_problems`): the checks of one geometry (null,
  empty, not a polygon, invalid, sliver, area mismatch) and overlaps run on
  each partition together with its *halo*, the parcels of neighbouring
  partitions whose envelope meets its own, so a pair of overlapping parcels
  in two partitions is found (and reported once, on the lower row, as on one
  machine); gaps, holes enclosed by parcels of several partitions, are found
  in the union of the partitions' unions, then checked again with the
  parcels around them; the fields and the other tables are checked on the
  client, over the parcels' attributes without geometry. Rows are the rows
  of the park's parcels, as on one machine;
- **reserve** (:func:`reserve_figures`): the per-parcel buildable table is
  gathered and the same pure :func:`parkgis.land.reserve.reserve_figures` runs on
  the client.

Results come back in the order of the park's parcels, with a RangeIndex.

Computations use the active ``distributed`` client if there is one (see
:func:`dask_client`), else dask's threads on this machine. The workers need
parkgis installed, and, for a dataset written with
:func:`to_partitioned_parquet`, to see its folder (a shared file system).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from parkgis.check.geometry import parcel_shapes
from parkgis.check.problems import CODES, Problem
from parkgis.check.problems import find_problems as _local_find_problems
from parkgis.errors import DataError, InputError, MissingDependencyError
from parkgis.land.buildable import buildable_table as _local_buildable_table
from parkgis.land.buildable import metric_crs
from parkgis.land.constraints import park_rules
from parkgis.land.reserve import reserve_figures as _local_reserve_figures
from parkgis.land.tables import area_table as _local_area_table
from parkgis.measure.area import equal_area_crs, gross_area_mu, planar_crs
from parkgis.measure.crs import diagnose_coordinates
from parkgis.measure.units import SQM_PER_MU
from parkgis.model.park import Park
from parkgis.model.schema import ValueIssue

__all__ = [
    "ROW",
    "PartitionedPark",
    "area_table",
    "buildable_table",
    "dask_client",
    "find_problems",
    "partition_park",
    "read_partitioned",
    "reserve_figures",
    "to_partitioned_parquet",
]

ROW = "_row"
"""Column of each parcel's 1-based row in the park's parcels layer."""

_PARCELS_DIR = "parcels"
_PARK_DIR = "park"
_INDEX_FILE = "partitions.json"
# Problems of one geometry, or of a pair of overlapping ones: found partition by partition.
_GEOMETRY_CODES = frozenset(
    {
        "null_geometry",
        "empty_geometry",
        "not_polygon",
        "invalid_geometry",
        "broken_geometry",
        "narrow_gap",
        "sliver",
        "area_mismatch",
        "overlap",
    }
)
_HOLE_MIN_SQM = 0.5  # holes below this are not gaps (1 m²): no need to look at them again


@dataclass(frozen=True)
class PartitionedPark:
    """A park whose parcels are a dask-geopandas GeoDataFrame in spatial partitions.

    Attributes
    ----------
    park
        The park's other tables; its ``parcels`` has the layer's columns and
        CRS and no rows.
    parcels
        The parcels, a ``dask_geopandas.GeoDataFrame`` with the column
        :data:`ROW`.
    bounds
        ``(minx, miny, maxx, maxy)`` of the whole layer, in its CRS.
    partition_bounds
        The bounds of each partition, one row each.
    count
        The number of parcels.
    """

    park: Park
    parcels: Any
    bounds: tuple[float, float, float, float]
    partition_bounds: np.ndarray
    count: int

    @property
    def npartitions(self) -> int:
        """The number of partitions."""
        return int(self.parcels.npartitions)

    def to_park(self) -> Park:
        """The whole park in memory, as :func:`parkgis.io.store.read_park` gives it."""
        parcels = _row_order(self.parcels.compute())
        return self.park.replace(parcels=parcels.drop(columns=ROW))


def partition_park(park: Park, *, npartitions: int) -> PartitionedPark:
    """Cut a park's parcels into ``npartitions`` spatial partitions, in memory.

    With an active ``distributed`` client the partitions are sent to its
    workers at once (and stay there while the client lives). For a park too
    large to send from the client, write it once with
    :func:`to_partitioned_parquet` where the workers can read it.
    """
    parts = _spatial_parts(park.parcels, npartitions)
    dd = _dask_dataframe()
    client = _active_client()
    with _as_they_are():
        if client is not None:  # the partitions go to the workers once, not with every graph
            frame = dd.from_delayed(client.scatter(parts), meta=parts[0].iloc[:0])
        else:
            frame = dd.from_map(_identity, parts, meta=parts[0].iloc[:0])
    return PartitionedPark(
        park=park.replace(parcels=park.parcels.iloc[:0]),
        parcels=frame,
        bounds=_bounds(park.parcels),
        partition_bounds=np.array([_bounds(p) for p in parts]),
        count=len(park.parcels),
    )


def to_partitioned_parquet(park: Park, path: str | os.PathLike[str], *, npartitions: int) -> Path:
    """Write a park as a spatially partitioned GeoParquet dataset.

    The folder holds ``parcels/part.NNNNN.parquet`` (one GeoParquet file a
    partition, with the column :data:`ROW`), ``park/`` (a park folder with
    the other tables and an empty parcels layer) and ``partitions.json``
    (bounds, count, and the values the reader could not understand).

    Parameters
    ----------
    park
        The park, e.g. from :func:`parkgis.io.store.read_park`.
    path
        A new or empty folder, which the workers will read.
    npartitions
        How many partitions to cut the parcels into.

    Returns
    -------
    pathlib.Path
        The folder written.
    """
    from parkgis.io.store import write_park
    from parkgis.io.writing import atomic_path

    folder = Path(path)
    target = folder / _PARCELS_DIR
    if target.exists() and any(target.iterdir()):
        msg = f"{folder}: already holds a partitioned park; write to a new or empty folder"
        zh = f"{folder}：已经存有一个分区园区；请写到新的或空的文件夹"
        raise InputError(msg, zh=zh)
    target.mkdir(parents=True, exist_ok=True)
    parts = _spatial_parts(park.parcels, npartitions)
    for k, part in enumerate(parts):
        with atomic_path(target / f"part.{k:05d}.parquet") as tmp:
            part.to_parquet(tmp, index=False)
    write_park(park.replace(parcels=park.parcels.iloc[:0], value_issues=()), folder / _PARK_DIR)
    index = {
        "count": len(park.parcels),
        "bounds": list(_bounds(park.parcels)),
        "partition_bounds": [list(_bounds(p)) for p in parts],
        "value_issues": [asdict(issue) for issue in park.value_issues],
    }
    with atomic_path(folder / _INDEX_FILE) as tmp:
        tmp.write_text(json.dumps(index, ensure_ascii=False, default=str, indent=1), "utf-8")
    return folder


def read_partitioned(path: str | os.PathLike[str]) -> PartitionedPark:
    """Open a dataset written by :func:`to_partitioned_parquet` (nothing is read yet).

    Raises
    ------
    InputError
        When ``path`` is not such a dataset.
    """
    from parkgis.io.store import read_park

    folder = Path(path)
    try:
        index = json.loads((folder / _INDEX_FILE).read_text("utf-8"))
    except FileNotFoundError:
        msg = (
            f"{folder}: not a partitioned park (no {_INDEX_FILE}); write one with "
            f"parkgis.engine.dask.to_partitioned_parquet"
        )
        zh = (
            f"{folder}：不是分区园区（没有 {_INDEX_FILE}）；请先用 "
            f"parkgis.engine.dask.to_partitioned_parquet 写出"
        )
        raise InputError(msg, zh=zh) from None
    files = sorted((folder / _PARCELS_DIR).glob("part.*.parquet"))
    if not files:
        raise InputError(
            f"{folder / _PARCELS_DIR}: no partition files (part.*.parquet)",
            zh=f"{folder / _PARCELS_DIR}：没有分区文件（part.*.parquet）",
        )
    park = read_park(folder / _PARK_DIR)
    issues = tuple(ValueIssue(**item) for item in index["value_issues"])
    meta = gpd.read_parquet(files[0]).iloc[:0]
    dd = _dask_dataframe()
    with _as_they_are():
        frame = dd.from_map(_read_partition, [str(f) for f in files], meta=meta)
    return PartitionedPark(
        park=park.replace(parcels=meta.drop(columns=ROW), value_issues=issues),
        parcels=frame,
        bounds=tuple(index["bounds"]),
        partition_bounds=np.array(index["partition_bounds"], dtype=float),
        count=int(index["count"]),
    )


@contextmanager
def dask_client(
    scheduler: str | None = None, *, workers: int = 2, processes: bool = True
) -> Iterator[Any]:
    """A ``distributed`` client: to ``scheduler``, or to a local cluster of ``workers``.

    Parameters
    ----------
    scheduler
        The scheduler's address, e.g. ``tcp://10.0.0.5:8786``; None starts a
        ``distributed.LocalCluster`` on this machine for as long as the block
        lasts.
    workers
        Workers of the local cluster, one thread each.
    processes
        Local workers as processes (True) or threads of this process.
    """
    distributed = _import("distributed")
    if scheduler:
        client = distributed.Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def area_table(parts: PartitionedPark, *, planar: bool = False) -> pd.DataFrame:
    """:func:`parkgis.land.tables.area_table` of the park's parcels, partition by partition."""
    whole = _whole(parts)
    crs = equal_area_crs(whole)
    flat = planar_crs(whole) if planar else None

    def one(part: gpd.GeoDataFrame) -> pd.DataFrame:
        table = _local_area_table(part, planar=planar, crs=crs, planar_crs=flat)
        return table.assign(**{ROW: part[ROW].to_numpy()})

    meta = one(parts.parcels._meta)
    return _gathered(parts.parcels.map_partitions(one, meta=meta))


def buildable_table(
    parts: PartitionedPark,
    constraints: gpd.GeoDataFrame | Sequence[gpd.GeoDataFrame] | None = None,
    *,
    rules: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """:func:`parkgis.land.buildable.buildable_table` of the park, partition by partition.

    The constraints (by default the park's) go to every partition; they are
    buffered in the Gauss-Kruger zone of the whole layer and every area is
    measured in its equal-area CRS: each parcel's figures are those of the
    single-machine path. ``progress`` is called with (parcels done, parcels
    in all) as partitions finish.
    """
    whole = _whole(parts)
    used_rules = park_rules(parts.park) if rules is None else rules
    if constraints is None:
        constraints = parts.park.constraints
    layers = [constraints] if isinstance(constraints, gpd.GeoDataFrame) else list(constraints)
    metric = metric_crs(whole) if any(len(layer) for layer in layers) else None
    area_crs = equal_area_crs(whole)

    def one(part: gpd.GeoDataFrame) -> pd.DataFrame:
        table = _local_buildable_table(
            part, constraints, rules=used_rules, crs=metric, area_crs=area_crs
        )
        return table.assign(**{ROW: part[ROW].to_numpy()})

    meta = one(parts.parcels._meta)
    frames = _computed(parts.parcels.map_partitions(one, meta=meta), parts.count, progress)
    return _row_order(pd.concat(frames, ignore_index=True)).drop(columns=ROW)


def reserve_figures(
    parts: PartitionedPark,
    *,
    assume: Mapping[str, str] | None = None,
    as_of: Any = None,
    tolerance_mu: float = 0.01,
    buildable: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """:func:`~parkgis.land.reserve.reserve_figures`, its buildable table made partition by
    partition.

    ``buildable`` is that table when it has been computed already
    (:func:`buildable_table`, e.g. with other constraints).
    """
    table = buildable_table(parts) if buildable is None else buildable
    park = parts.park.replace(parcels=_attributes(parts))
    return _local_reserve_figures(
        park, assume=assume, as_of=as_of, buildable=table, tolerance_mu=tolerance_mu
    )


def find_problems(
    parts: PartitionedPark,
    *,
    value_issues: Sequence[ValueIssue] = (),
    sliver_mu: float = 0.1,
    gap_max_mu: float = 5.0,
    area_tolerance: float = 0.01,
    gap_width_m: float = 3.0,
) -> list[Problem]:
    """:func:`parkgis.check.problems.find_problems` of the park, partition by partition.

    The same problems, in the same order, as on one machine (see the module's
    notes). When the layer has no CRS or its coordinates cannot be right for
    it, no area can be measured: the park is then checked on the client, as
    on one machine.
    """
    options = {
        "sliver_mu": sliver_mu,
        "gap_max_mu": gap_max_mu,
        "area_tolerance": area_tolerance,
        "gap_width_m": gap_width_m,
    }
    crs = parts.parcels.crs
    finite = np.isfinite(parts.bounds).all()
    if crs is None or (finite and diagnose_coordinates(parts.bounds, _crs(crs)) is not None):
        return _local_find_problems(parts.to_park(), value_issues=value_issues, **options)

    dask = _import("dask")
    delayed = parts.parcels.to_delayed()
    manifest = parts.park.manifest
    area_crs = equal_area_crs(_whole(parts))
    areas = [dask.delayed(_working_areas)(p, area_crs) for p in delayed]
    unions = [dask.delayed(_working_union)(p) for p in delayed]
    # A partition's halo reaches a gap's width beyond its envelope: a narrow gap between
    # parcels of two partitions is seen from both.
    reach = _reach(parts, gap_width_m)
    tasks = [
        dask.delayed(_partition_problems)(delayed[k], near, manifest, options, reach=reach)
        for k, near in enumerate(_halo_parts(parts, delayed, reach))
    ]
    found, measured, merged = dask.compute(tasks, areas, dask.delayed(_union)(unions))

    area_mu = _row_order(pd.concat(measured, ignore_index=True))["area_mu"].to_numpy()
    attributes = parts.park.replace(parcels=_attributes(parts, geometry=False))
    table_problems = _local_find_problems(
        attributes, value_issues=value_issues, area_mu=area_mu, **options
    )
    geometry_problems = [p for batch in found for p in batch]
    gaps = _gap_problems(parts, merged, manifest, options) if gap_max_mu > 0 else []
    # As on one machine, two neighbours around a reported gap are not a narrow gap too.
    around = [set(p.details["neighbour_rows"]) for p in gaps]
    geometry_problems = [
        p
        for p in geometry_problems
        if p.code != "narrow_gap"
        or not any(p.row in rows and p.details["other_row"] in rows for rows in around)
    ]
    return _merged(table_problems, geometry_problems, gaps)


def _reach(parts: PartitionedPark, gap_width_m: float) -> float:
    """``gap_width_m`` in the layer's units, at least (degrees: at the park's latitude)."""
    if gap_width_m <= 0 or not np.isfinite(parts.bounds).all():
        return 0.0
    if not _crs(parts.parcels.crs).is_geographic:
        return gap_width_m
    lat = min(max(abs(parts.bounds[1]), abs(parts.bounds[3])), 89.0)
    return 1.1 * gap_width_m / (110_574.0 * math.cos(math.radians(lat)))


def _halo_parts(parts: PartitionedPark, delayed: list[Any], reach: float) -> list[list[Any]]:
    """For each partition, the partitions whose envelope comes within ``reach`` of its own."""
    grown = parts.partition_bounds + np.array([-reach, -reach, reach, reach])
    return [
        [delayed[j] for j in range(len(delayed)) if j != k and _meet(grown[j], grown[k])]
        for k in range(len(delayed))
    ]


# -- partitions ---------------------------------------------------------------


def _spatial_parts(parcels: gpd.GeoDataFrame, npartitions: int) -> list[gpd.GeoDataFrame]:
    """The parcels with :data:`ROW`, cut into partitions along the Hilbert curve.

    The Hilbert distance of each parcel (of its envelope's centre, in the
    layer's bounds) comes from ``dask_geopandas``, as in its
    ``spatial_shuffle``; the parcels are then sorted by it exactly (ties by
    row) and cut into runs of equal length: balanced partitions, the same
    for the same data. Parcels without geometry come last.
    """
    if npartitions < 1:
        raise DataError(
            f"npartitions must be at least 1, not {npartitions}",
            zh=f"分区数 npartitions 至少为 1，不能是 {npartitions}",
        )
    if ROW in parcels.columns:
        raise InputError(
            f"the parcels have a column {ROW!r}, which parkgis uses; rename it",
            zh=f"地块中有一列名为 {ROW!r}，这是 parkgis 内部使用的列名；请给这一列改名",
        )
    dask = _import("dask")
    dg = _import("dask_geopandas")
    frame = parcels.reset_index(drop=True)
    frame[ROW] = np.arange(1, len(frame) + 1)
    geoms = frame.geometry
    drawn = ~(geoms.isna() | geoms.is_empty).to_numpy()
    distance = np.full(len(frame), np.iinfo(np.int64).max, dtype=np.int64)
    if drawn.any():
        with _as_they_are(), dask.config.set(scheduler="sync"):  # here, whatever the client
            curve = dg.from_geopandas(geoms[drawn], npartitions=1).hilbert_distance(
                total_bounds=geoms[drawn].total_bounds
            )
            distance[drawn] = curve.compute().to_numpy()
    order = np.lexsort((frame[ROW].to_numpy(), distance))
    count = max(1, min(npartitions, len(frame)))
    return [frame.iloc[run].reset_index(drop=True) for run in np.array_split(order, count)]


def _partition_problems(
    part: gpd.GeoDataFrame,
    neighbours: list[gpd.GeoDataFrame],
    manifest: Any,
    options: dict[str, float],
    *,
    reach: float = 0.0,
) -> list[Any]:
    """The geometry problems of one partition's parcels, overlaps and narrow gaps with its
    halo included (the parcels whose envelope comes within ``reach`` of the partition's)."""
    x0, y0, x1, y1 = _bounds(part)
    grown = (x0 - reach, y0 - reach, x1 + reach, y1 + reach)
    halo = [_meeting(other, grown) for other in neighbours]
    frame = _row_order(pd.concat([part, *halo], ignore_index=True)) if halo else _row_order(part)
    sub = Park(manifest=manifest, parcels=frame.drop(columns=ROW))
    own = set(part[ROW].tolist())
    found = _local_find_problems(sub, rows=frame[ROW].to_numpy(), **{**options, "gap_max_mu": 0.0})
    return [p for p in found if p.code in _GEOMETRY_CODES and p.row in own]


def _meeting(frame: gpd.GeoDataFrame, bounds: tuple[float, ...]) -> gpd.GeoDataFrame:
    """The rows of ``frame`` whose envelope meets ``bounds``."""
    if not len(frame) or not np.isfinite(bounds).all():
        return frame.iloc[:0]
    x0, y0, x1, y1 = shapely.bounds(np.asarray(frame.geometry.array, dtype=object)).T
    with np.errstate(invalid="ignore"):
        meet = (x0 <= bounds[2]) & (x1 >= bounds[0]) & (y0 <= bounds[3]) & (y1 >= bounds[1])
    return frame[meet]


def _meet(a: np.ndarray, b: np.ndarray) -> bool:
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return False
    return bool(a[0] <= b[2] and a[2] >= b[0] and a[1] <= b[3] and a[3] >= b[1])


def _working(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The geometries :func:`~parkgis.check.problems.find_problems` measures, and which."""
    shapes = parcel_shapes(geoms)
    return shapes.working, shapes.usable


def _working_areas(part: gpd.GeoDataFrame, area_crs: Any) -> pd.DataFrame:

    working, usable = _working(np.asarray(part.geometry.array, dtype=object))
    mu = np.full(len(part), np.nan)
    if usable.any():
        series = gpd.GeoSeries(working[usable], crs=part.crs)
        mu[usable] = gross_area_mu(series, crs=area_crs).to_numpy()
    return pd.DataFrame({ROW: part[ROW].to_numpy(), "area_mu": mu})


def _working_union(part: gpd.GeoDataFrame) -> Any:
    working, usable = _working(np.asarray(part.geometry.array, dtype=object))
    return shapely.union_all(working[usable])


def _union(unions: list[Any]) -> Any:
    return shapely.union_all(np.asarray(unions, dtype=object))


def _gap_problems(
    parts: PartitionedPark, union: Any, manifest: Any, options: dict[str, float]
) -> list[Any]:
    """The gaps: holes of the union of all parcels, checked again with the parcels around them."""

    crs = parts.parcels.crs
    polygons = shapely.get_parts(union)
    polygons = polygons[shapely.get_type_id(polygons) == 3]
    holes = np.array(
        [
            shapely.Polygon(shapely.get_interior_ring(poly, k))
            for poly, count in zip(polygons, shapely.get_num_interior_rings(polygons), strict=True)
            for k in range(count)
        ],
        dtype=object,
    )
    if not len(holes):
        return []
    mu = gross_area_mu(gpd.GeoSeries(holes, crs=crs)).to_numpy()
    # A little wider than validate's limits: the exact ones are applied by find_problems.
    keep = (mu * SQM_PER_MU >= _HOLE_MIN_SQM) & (mu < options["gap_max_mu"] * 1.01)
    holes = holes[keep]
    if not len(holes):
        return []
    dask = _import("dask")
    reach = 1e-6 if _crs(crs).is_geographic else 1e-2  # ten times validate's tolerance
    around = [dask.delayed(_around)(p, holes, reach) for p in parts.parcels.to_delayed()]
    frame = _row_order(pd.concat(dask.compute(*around), ignore_index=True))
    sub = Park(manifest=manifest, parcels=frame.drop(columns=ROW))
    found = _local_find_problems(sub, rows=frame[ROW].to_numpy(), **options)
    shapely.prepare(holes)
    out = []
    for problem in found:
        if problem.code != "gap":
            continue
        point = shapely.Point(problem.details["location"])
        if shapely.contains(holes, point).any():  # a hole of the whole layer, not of the subset
            out.append(problem)
    return out


def _around(part: gpd.GeoDataFrame, holes: np.ndarray, reach: float) -> gpd.GeoDataFrame:
    tree = shapely.STRtree(np.asarray(part.geometry.array, dtype=object))
    _, hit = tree.query(holes, predicate="dwithin", distance=reach)
    return part.iloc[np.unique(hit)]


def _merged(table: list[Any], geometry: list[Any], gaps: list[Any]) -> list[Any]:
    """Merge the problems of the client and of the partitions in find_problems' order.

    The client's list is in order already; the partitions' problems are all
    parcels problems of one row (gaps: of several rows, after every row's),
    with codes the client never reports, so a stable sort by (row, code)
    places them as one machine would.
    """

    rank = {code: k for k, code in enumerate(CODES)}
    geometry = sorted(geometry, key=lambda p: (p.row, rank[p.code], p.details.get("other_row", 0)))
    parcels = [p for p in table if p.table == "parcels"]
    whole = [p for p in parcels if p.row is None]
    rows = sorted(
        [p for p in parcels if p.row is not None] + geometry,
        key=lambda p: (p.row, rank[p.code]),
    )
    gaps = sorted(
        gaps,
        key=lambda p: (*p.details["neighbour_rows"], round(p.details["gap_m2"])),
    )
    others = [p for p in table if p.table != "parcels"]
    return [*whole, *rows, *gaps, *others]


# -- helpers ------------------------------------------------------------------


def _attributes(parts: PartitionedPark, *, geometry: bool = True) -> Any:
    """The parcels' attributes on the client, in row order (geometry: all None)."""
    frame = parts.parcels.drop(columns=parts.parcels.geometry.name)
    table = _row_order(pd.DataFrame(frame.compute())).drop(columns=ROW)
    if not geometry:
        return table
    return gpd.GeoDataFrame(
        table, geometry=gpd.GeoSeries([None] * len(table), crs=parts.parcels.crs)
    )


def _computed(
    frame: Any, count: int, progress: Callable[[int, int], None] | None
) -> list[pd.DataFrame]:
    """Each partition of ``frame`` computed; ``progress`` told as they finish (with a client)."""
    dask = _import("dask")
    parts = frame.to_delayed()
    client = _active_client() if progress is not None else None
    if client is None:
        frames = list(dask.compute(*parts))
    else:
        distributed = _import("distributed")
        futures = client.compute(parts)
        done = 0
        for future in distributed.as_completed(futures):
            done += len(future.result())
            progress(done, count)
        frames = [future.result() for future in futures]
    if progress is not None:
        progress(count, count)
    return frames


def _active_client() -> Any:
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:  # no client: dask's threads
        return None


def _gathered(frame: Any) -> pd.DataFrame:
    return _row_order(pd.DataFrame(frame.compute())).drop(columns=ROW)


def _row_order(frame: Any) -> Any:
    return frame.sort_values(ROW, kind="stable").reset_index(drop=True)


def _whole(parts: PartitionedPark) -> gpd.GeoSeries:
    """A stand-in for the whole layer: its bounds as one box, in its CRS."""
    return gpd.GeoSeries([shapely.box(*parts.bounds)], crs=parts.parcels.crs)


def _bounds(frame: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    if not len(frame):
        return (np.nan, np.nan, np.nan, np.nan)
    x0, y0, x1, y1 = frame.geometry.total_bounds
    return (float(x0), float(y0), float(x1), float(y1))


def _crs(crs: Any) -> Any:
    from pyproj import CRS

    return CRS.from_user_input(crs)


def _as_they_are() -> Any:
    """Keep the columns' types: dask would turn text into pyarrow strings, blanks into pd.NA."""
    return _import("dask").config.set({"dataframe.convert-string": False})


def _read_partition(path: str) -> gpd.GeoDataFrame:
    # Whole files: given to gpd.read_parquet directly, dask would ask for some columns only.
    return gpd.read_parquet(path)


def _identity(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame


def _dask_dataframe() -> Any:
    _import("dask_geopandas")  # registers the GeoDataFrame backend
    return _import("dask.dataframe")


def _import(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        package = name.split(".")[0]
        msg = (
            f"the dask engine needs {package}; install it with "
            f"pip install 'parkgis[dask]' (dask-geopandas and distributed)"
        )
        zh = (
            f"dask 引擎需要 {package}；请安装：pip install 'parkgis[dask]'"
            f"（dask-geopandas 与 distributed）"
        )
        raise MissingDependencyError(msg, zh=zh) from None
