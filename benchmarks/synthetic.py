"""A deterministic synthetic park for benchmarks: a Voronoi parcel fabric near Yuanba.

``synthetic_park(n)`` returns a :class:`parkgis.Park` of ``n`` parcels around
105.96E 32.32N: Voronoi cells of random points (a fixed seed), clipped to a
square sized for ~45 mu a parcel on average (cells of about 5-300 mu), their
edges split every 25 m (so 9-55 vertices a parcel) with neighbours sharing
exact edges; stored in CGCS2000 lon/lat (EPSG:4490) as parks usually are.
Each parcel gets a zone (a grid of 40 blocks), an acquisition status, an
expected acquisition date when not yet acquired, and a project for most land
acquired or further; there are projects waiting for land, three HV lines
(110 and 220 kV) and a winding river (40 m wide) as constraints.

Same ``n`` and ``seed``, same park. Not a test fixture: the tests build their
own small parks in code.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString

from parkgis.model.park import Manifest, Park

__all__ = ["CENTRE", "synthetic_park"]

CENTRE = (105.96, 32.32)
_GK = "EPSG:4544"  # CGCS2000 3-degree GK CM 105E: the zone of the centre
_MEAN_SQM = 30_000.0  # ~45 mu a parcel
_SEGMENT_M = 25.0
_STATUSES = ("unacquired", "acquiring", "acquired", "leveled", "listed", "sold", "supplied")
_WEIGHTS = (0.20, 0.10, 0.08, 0.07, 0.05, 0.10, 0.40)
_STAGES = ("signed", "site_prep", "construction", "equipment", "trial", "operating", "stalled")


def synthetic_park(n: int, *, seed: int = 0) -> Park:
    """A park of ``n`` Voronoi parcels with statuses, projects and constraints.

    Parameters
    ----------
    n
        Number of parcels (at least 10).
    seed
        Seed of the random generator.
    """
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(n * _MEAN_SQM))
    to_gk = Transformer.from_crs("EPSG:4490", _GK, always_xy=True)
    cx, cy = to_gk.transform(*CENTRE)
    x0, y0 = cx - side / 2, cy - side / 2
    frame = shapely.box(x0, y0, x0 + side, y0 + side)
    points = rng.uniform((x0, y0), (x0 + side, y0 + side), size=(n, 2))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame, ordered=True)
    )
    cells = shapely.segmentize(shapely.intersection(cells, frame), _SEGMENT_M)

    ids = np.array([f"S{i:06d}" for i in range(n)], dtype=object)
    zone_col = np.minimum(((points[:, 0] - x0) / side * 8).astype(int), 7)
    zone_row = np.minimum(((points[:, 1] - y0) / side * 5).astype(int), 4)
    zones = np.array([f"Z{r}{c}" for r, c in zip(zone_row, zone_col, strict=True)], dtype=object)
    status = rng.choice(np.array(_STATUSES, dtype=object), size=n, p=_WEIGHTS)
    later = np.isin(status, ("unacquired", "acquiring"))
    quarters = rng.integers(0, 8, size=n)  # 2014Q1 .. 2015Q4
    expected = np.array(
        [f"{2014 + q // 4}-{3 * (q % 4) + 3:02d}-28" if late else None
         for q, late in zip(quarters, later, strict=True)],
        dtype=object,
    )  # fmt: skip
    expected[later & (rng.random(n) < 0.1)] = None  # some pipeline without a date
    step = np.where(status == "acquiring", "approved", None).astype(object)

    # Projects: most land acquired or further is held by one; a fifth of the projects wait.
    held = np.flatnonzero(np.isin(status, ("leveled", "listed", "sold", "supplied")))
    held = held[rng.random(len(held)) < 0.9]
    n_holding = max(1, len(held) // 2)
    owner = rng.integers(0, n_holding, size=len(held))
    project_of = np.full(n, None, dtype=object)
    project_of[held] = [f"P{o:05d}" for o in owner]
    n_waiting = max(1, n_holding // 5)
    pids = [f"P{i:05d}" for i in range(n_holding + n_waiting)]
    stages = rng.choice(np.array(_STAGES, dtype=object), size=len(pids))
    stages[n_holding:] = "signed"
    demand = np.round(rng.uniform(10, 120, size=len(pids)), 1)
    projects = pd.DataFrame(
        {
            "project_id": pids,
            "name": [f"项目{i}" for i in range(len(pids))],
            "stage": stages,
            "land_demand_mu": demand,
        }
    )
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ids,
            "zone": zones,
            "acquisition_status": status,
            "acquisition_step": step,
            "project_id": project_of,
            "expected_acquisition": expected,
        },
        geometry=gpd.GeoSeries(cells, crs=_GK).to_crs("EPSG:4490"),
    )
    return Park(
        manifest=Manifest(name=f"synthetic-{n}", title=f"合成园区 {n}"),
        parcels=parcels,
        constraints=_constraints(x0, y0, side, rng),
        projects=projects,
    )


def _constraints(x0: float, y0: float, side: float, rng: np.random.Generator) -> gpd.GeoDataFrame:
    lines = [
        LineString([(x0 - 10, y0 + 0.3 * side), (x0 + side + 10, y0 + 0.7 * side)]),
        LineString([(x0 + 0.6 * side, y0 - 10), (x0 + 0.4 * side, y0 + side + 10)]),
        LineString([(x0 - 10, y0 + 0.9 * side), (x0 + side + 10, y0 + 0.1 * side)]),
    ]
    t = np.linspace(0, 1, 400)
    wiggle = 0.04 * side * np.sin(t * 9 * np.pi + rng.uniform(0, np.pi))
    centre = LineString(np.column_stack([x0 - 10 + t * (side + 20), y0 + 0.55 * side + wiggle]))
    river = centre.buffer(20, cap_style="flat")
    frame = gpd.GeoDataFrame(
        {
            "constraint_id": ["C1", "C2", "C3", "C4"],
            "kind": ["hv_line", "hv_line", "hv_line", "river"],
            "name": ["110kV 一线", "220kV 二线", "110kV 三线", "合成河"],
            "voltage_kv": [110.0, 220.0, 110.0, np.nan],
            "setback_m": [25.0, 25.0, 25.0, 25.0],
        },
        geometry=gpd.GeoSeries([*lines, river], crs=_GK).to_crs("EPSG:4490"),
    )
    return frame
