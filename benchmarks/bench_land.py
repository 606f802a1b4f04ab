"""Benchmark ``buildable`` and ``reserve`` against a plain geopandas overlay, same data, same run.

The plain way is what a GIS analyst writes first: reproject parcels and
constraints to the Gauss-Kruger zone, buffer the constraints,
``geopandas.overlay(parcels, buffers, how="difference")``, and take the
planar ``.area`` of what is left; for the reserve, the same overlay and then
sums by status and project with pandas. parkgis does the same work with an
STRtree query and vectorised shapely intersections, measuring on the
ellipsoid.

Run from the repository root::

    python benchmarks/bench_land.py                  # 10k and 100k parcels, 3 runs each
    python benchmarks/bench_land.py --sizes 10000 --repeat 5

Medians and ratios (plain / parkgis) go to ``benchmarks/results/bench_land.json``
and to the terminal. The totals of the two ways are compared too: parkgis's
ellipsoidal net area against the overlay's result measured the same way
(they must agree), and against its planar area (GK scale: about +0.02 %).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj
import shapely

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from synthetic import synthetic_park  # noqa: E402

from parkgis.io.store import atomic_path  # noqa: E402
from parkgis.land.buildable import buildable_table  # noqa: E402
from parkgis.land.reserve import DEMAND_STAGES, reserve_figures  # noqa: E402
from parkgis.measure.area import area_m2  # noqa: E402
from parkgis.measure.units import SQM_PER_MU  # noqa: E402
from parkgis.model.park import Park  # noqa: E402

__all__ = ["main", "plain_buildable", "plain_reserve"]

GK = "EPSG:4544"


def plain_buildable(park: Park) -> gpd.GeoDataFrame:
    """Parcels minus buffered constraints with ``geopandas.overlay``; planar area in mu."""
    parcels = park.parcels.to_crs(GK)
    constraints = park.constraints.to_crs(GK)
    buffers = gpd.GeoDataFrame(
        geometry=constraints.buffer(constraints["setback_m"].astype(float)), crs=GK
    )
    net = gpd.overlay(parcels, buffers, how="difference")
    return net.assign(net_mu=net.area / SQM_PER_MU)


def plain_reserve(park: Park) -> dict[str, float]:
    """Available, pipeline, reserve, demand and shortfall the plain way."""
    net = plain_buildable(park)
    free = net["project_id"].isna()
    status = net["acquisition_status"]
    available = float(net.loc[status.isin(["acquired", "leveled"]) & free, "net_mu"].sum())
    pipeline = float(net.loc[status.eq("acquiring"), "net_mu"].sum())
    reserve = float(net.loc[status.eq("unacquired"), "net_mu"].sum())
    gross = park.parcels.to_crs(GK).area / SQM_PER_MU
    held = gross.groupby(park.parcels["project_id"]).sum()
    projects = park.projects[park.projects["stage"].isin(DEMAND_STAGES)]
    need = (projects["land_demand_mu"] - projects["project_id"].map(held).fillna(0)).clip(lower=0)
    demand = float(need.sum())
    return {
        "available_mu": available,
        "pipeline_mu": pipeline,
        "reserve_mu": reserve,
        "demand_mu": demand,
        "shortfall_mu": max(0.0, demand - available),
    }


def _median_seconds(task: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = task()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def bench(n: int, repeat: int) -> list[dict[str, Any]]:
    """Time both ways at ``n`` parcels; return one record per task."""
    park = synthetic_park(n)
    buildable_table(park.replace(parcels=park.parcels.head(100)))  # warm-up: imports, PROJ
    t_table, table = _median_seconds(lambda: buildable_table(park), repeat)
    t_geom, net_geom = _median_seconds(lambda: buildable_table(park, geometry=True), repeat)
    t_overlay, overlay = _median_seconds(lambda: plain_buildable(park), repeat)
    overlay_ellipsoidal = float(area_m2(overlay.geometry).sum() / SQM_PER_MU)
    ours = float(table["net_mu"].sum())
    records = [
        {
            "n": n,
            "task": "buildable",
            "parkgis_s": t_table,
            "parkgis_with_geometry_s": t_geom,
            "overlay_s": t_overlay,
            "ratio": t_overlay / t_table,
            "ratio_with_geometry": t_overlay / t_geom,
            "total_net_mu": ours,
            "overlay_net_mu_ellipsoidal": overlay_ellipsoidal,
            "overlay_net_mu_planar": float(overlay["net_mu"].sum()),
            "relative_difference_ellipsoidal": ours / overlay_ellipsoidal - 1,
            "relative_difference_planar": ours / float(overlay["net_mu"].sum()) - 1,
            "net_geometry_mu": float(area_m2(net_geom.geometry).sum() / SQM_PER_MU),
        }
    ]
    t_reserve, figures = _median_seconds(lambda: reserve_figures(park), repeat)
    t_plain, plain = _median_seconds(lambda: plain_reserve(park), repeat)
    records.append(
        {
            "n": n,
            "task": "reserve",
            "parkgis_s": t_reserve,
            "overlay_s": t_plain,
            "ratio": t_plain / t_reserve,
            "parkgis": {k: figures[k] for k in plain},
            "plain": plain,
            "note": "the plain way counts a parcel with a project_id as fully allocated and "
            "ignores allocations, earmarks, stalled projects and quarters; figures differ by "
            "design, timings compare the same overlay work",
        }
    )
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("-o", "--output", type=Path, default=HERE / "results" / "bench_land.json")
    args = parser.parse_args(argv)
    records = []
    for n in args.sizes:
        for record in bench(n, args.repeat):
            records.append(record)
            print(
                f"{record['task']:9s} n={n:>7,}  parkgis {record['parkgis_s']:7.3f} s  "
                f"overlay {record['overlay_s']:7.3f} s  x{record['ratio']:.1f}",
                flush=True,
            )
    result = {
        "benchmark": "bench_land",
        "run_at": dt.datetime.now().isoformat(timespec="seconds"),
        "repeat": args.repeat,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "geopandas": gpd.__version__,
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
            "pyproj": pyproj.__version__,
            "pandas": pd.__version__,
        },
        "records": records,
    }
    with atomic_path(args.output) as tmp:
        tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"written {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
