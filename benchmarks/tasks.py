"""The timed tasks of ``python -m benchmarks``: each way of doing each task, in its own process.

A *job* is one task done one way (``parkgis`` or a plain geopandas way) at
one size. :func:`run_job` runs in a fresh process (the runner starts one per
job), loads the cached park, warms the way up on 100 parcels, times it
``repeat`` times and returns the median, every time, the resident memory
before (``VmRSS``, the park loaded) and its peak while the way ran
(``VmHWM``, reset after loading), plus what the runner needs to check that
both ways agree (areas, counts).

The synthetic parks are cached under ``benchmarks/.cache/``: a park folder
written by :func:`parkgis.io.store.write_park` (what ``read`` reads) and a
pickle of the park as :func:`parkgis.io.store.read_park` returns it (what
the other tasks start from, untimed). The cache key holds the size and a
hash of ``synthetic.py``, so changing the generator regenerates the parks.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import pickle
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks import bench_commands

__all__ = ["CACHE", "WAYS", "cache_paths", "prepare_park", "run_job"]

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
GK = "EPSG:4544"  # the synthetic parks' Gauss-Kruger zone: what a GIS analyst projects to

WAYS: dict[str, tuple[str, ...]] = {
    "read": ("parkgis", "read_file"),
    "measure": ("parkgis", "planar", "geod"),
    "validate": ("parkgis", "is_valid_sjoin"),
    "buildable": ("parkgis", "overlay"),
    "reserve": ("parkgis", "overlay"),
    "push": ("parkgis", "insert"),  # benchmarks/bench_postgis.py
    **bench_commands.WAYS,  # whole commands: benchmarks/bench_commands.py
    "status_set": ("parkgis", "rewrite"),  # benchmarks/bench_status.py
}
"""Each task's ways: parkgis first, then the plain ways it is compared with."""


def cache_paths(n: int, cache: Path = CACHE) -> tuple[Path, Path]:
    """The park folder and the pickle of the synthetic park of ``n`` parcels."""
    digest = hashlib.sha1((HERE / "synthetic.py").read_bytes()).hexdigest()[:10]
    stem = cache / f"synthetic-{n}-{digest}"
    return stem, stem.with_suffix(".pkl")


def prepare_park(n: int, cache: Path = CACHE) -> dict[str, Any]:
    """Generate, write and read back the synthetic park of ``n`` parcels, unless cached."""
    from benchmarks.synthetic import synthetic_park
    from parkgis.io.store import atomic_path, is_park_folder, read_park, write_park

    folder, pickled = cache_paths(n, cache)
    made = False
    if not is_park_folder(folder) or not pickled.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        write_park(synthetic_park(n), folder)
        park = read_park(folder)
        with atomic_path(pickled) as tmp, open(tmp, "wb") as handle:
            pickle.dump(park, handle, protocol=pickle.HIGHEST_PROTOCOL)
        made = time.perf_counter() - start
    gpkg = folder / "park.gpkg"
    return {"folder": str(folder), "gpkg_bytes": gpkg.stat().st_size, "generated_s": made}


def run_job(task: str, way: str, n: int, repeat: int, cache: str) -> dict[str, Any]:
    """Time one way of one task at ``n`` parcels; run in a process of its own."""
    folder, pickled = cache_paths(n, Path(cache))
    if task == "read":
        park = None
    else:
        with open(pickled, "rb") as handle:
            park = pickle.load(handle)
    call, check = _way(task, way, park, folder)
    call(True)  # warm-up on a few parcels: imports, PROJ set-up, file cache
    gc.collect()
    base_mb = _memory_mb("VmRSS")
    _reset_peak()
    times, result = [], None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = call(False)
        times.append(time.perf_counter() - start)
    return {
        "seconds": statistics.median(times),
        "times": times,
        "base_mb": base_mb,
        "peak_mb": _memory_mb("VmHWM"),
        "check": check(result),
    }


def _reset_peak() -> None:
    """Start the peak resident memory (VmHWM) afresh, so loading the park is not counted."""
    with contextlib.suppress(OSError):  # not Linux: the peak then includes loading
        Path("/proc/self/clear_refs").write_text("5")


def _memory_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_Call = Callable[[bool], Any]
_Check = Callable[[Any], dict[str, Any]]


def _way(task: str, way: str, park: Any, folder: Path) -> tuple[_Call, _Check]:
    """The timed call (``small=True``: the warm-up) and what to keep of its result."""
    if task == "read":
        return _read(way, folder)
    if task in bench_commands.WAYS:
        small_folder = Path(prepare_park(1_000, folder.parent)["folder"])
        return bench_commands.command_way(task, way, folder, small_folder)
    small = park.replace(parcels=park.parcels.head(100))
    pick = {True: small, False: park}
    if task == "measure":
        return _measure(way, pick)
    if task == "validate":
        return _validate(way, pick)
    if task == "buildable":
        return _buildable(way, pick)
    if task == "reserve":
        return _reserve(way, pick)
    if task == "status_set":
        from benchmarks.bench_status import status_way

        return status_way(way, park, folder)
    if task == "push":
        from benchmarks.bench_postgis import push_way

        return push_way(way, pick)
    raise ValueError(f"unknown task {task!r}")


def _read(way: str, folder: Path) -> tuple[_Call, _Check]:
    from parkgis.io.store import read_park

    gpkg = folder / "park.gpkg"
    if way == "parkgis":
        return (lambda small: read_park(folder)), (lambda park: {"parcels": len(park.parcels)})
    return (lambda small: gpd.read_file(gpkg, layer="parcels")), (
        lambda frame: {"parcels": len(frame)}
    )


def _measure(way: str, pick: dict[bool, Any]) -> tuple[_Call, _Check]:
    from parkgis.measure.area import gross_area_mu
    from parkgis.measure.units import SQM_PER_MU

    def areas(values: Any) -> dict[str, Any]:
        return {"area_mu": np.asarray(values, dtype=float)}

    if way == "parkgis":
        return (lambda small: gross_area_mu(pick[small].parcels)), areas
    if way == "planar":
        return (lambda small: pick[small].parcels.to_crs(GK).area / SQM_PER_MU), areas
    from pyproj import Geod

    geod = Geod(ellps="GRS80")

    def loop(small: bool) -> list[float]:
        geoms = pick[small].parcels.geometry
        if not geoms.crs.is_geographic:
            geoms = geoms.to_crs("EPSG:4490")
        return [abs(geod.geometry_area_perimeter(g)[0]) / SQM_PER_MU for g in geoms]

    return loop, areas


def _validate(way: str, pick: dict[bool, Any]) -> tuple[_Call, _Check]:
    if way == "parkgis":
        from parkgis.check.problems import find_problems

        def problems(found: list[Any]) -> dict[str, Any]:
            codes = pd.Series([p.code for p in found], dtype=object).value_counts()
            return {"problems": len(found), "codes": {str(k): int(v) for k, v in codes.items()}}

        return (lambda small: find_problems(pick[small])), problems

    def plain(small: bool) -> tuple[int, gpd.GeoDataFrame]:
        parcels = pick[small].parcels[["parcel_id", "geometry"]]
        invalid = int((~parcels.is_valid).sum())
        return invalid, gpd.sjoin(parcels, parcels, predicate="overlaps")

    def overlaps(result: tuple[int, gpd.GeoDataFrame]) -> dict[str, Any]:
        # Untimed: the overlaps of 1 m² or more, the ones parkgis reports (smaller ones
        # are the floating-point noise of edges shared by neighbours).
        from parkgis.measure.area import area_m2

        invalid, pairs = result
        geoms = pick[False].parcels.geometry
        left = pairs.index.to_numpy()
        right = pairs["index_right"].to_numpy()
        once = left < right
        left, right = left[once], right[once]
        inter = gpd.GeoSeries(
            shapely.intersection(geoms.loc[left].array, geoms.loc[right].array), crs=geoms.crs
        )
        sqm = area_m2(inter).to_numpy() if len(inter) else np.zeros(0)
        return {
            "invalid": invalid,
            "overlapping_pairs": len(left),
            "overlapping_pairs_1m2": int((sqm >= 1.0).sum()),
        }

    return plain, overlaps


def _buildable(way: str, pick: dict[bool, Any]) -> tuple[_Call, _Check]:
    from parkgis.measure.area import area_m2, equal_area_crs
    from parkgis.measure.units import SQM_PER_MU

    parcels = pick[False].parcels
    ids = parcels["parcel_id"].to_numpy(dtype=object)
    if way == "parkgis":
        from parkgis.land.buildable import buildable_table

        return (lambda small: buildable_table(pick[small])), (
            lambda table: {"net_mu": table["net_mu"].to_numpy(dtype=float)}
        )
    from benchmarks.bench_land import plain_buildable

    def net_by_parcel(net: gpd.GeoDataFrame) -> dict[str, Any]:
        # Measured the way parkgis measures (untimed), so only the overlay is compared.
        crs = equal_area_crs(parcels.geometry)
        mu = area_m2(net.geometry, crs=crs).to_numpy() / SQM_PER_MU
        by_id = pd.Series(mu).groupby(net["parcel_id"].to_numpy(dtype=object)).sum()
        return {"net_mu": pd.Series(ids).map(by_id).fillna(0.0).to_numpy(dtype=float)}

    return (lambda small: plain_buildable(pick[small])), net_by_parcel


def _reserve(way: str, pick: dict[bool, Any]) -> tuple[_Call, _Check]:
    keys = ("available_mu", "pipeline_mu", "reserve_mu", "demand_mu", "shortfall_mu")
    if way == "parkgis":
        from parkgis.land.reserve import reserve_figures

        call: _Call = lambda small: reserve_figures(pick[small])  # noqa: E731
    else:
        from benchmarks.bench_land import plain_reserve

        call = lambda small: plain_reserve(pick[small])  # noqa: E731
    return call, lambda figures: {k: float(figures[k]) for k in keys}
