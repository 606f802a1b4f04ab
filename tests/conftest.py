"""Shared fixtures: tiny parks built in code, near Yuanba (105.96E 32.32N)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from parkgis.model.park import Manifest, Park

# A point in the CM105E Gauss-Kruger zone (EPSG:4544) near Yuanba.
GK_X, GK_Y = 590_000.0, 3_577_000.0
REPO = Path(__file__).resolve().parents[1]


def gk_square(x: float, y: float, side: float):
    """A side × side metre square in EPSG:4544 with its south-west corner at (x, y)."""
    return box(x, y, x + side, y + side)


@pytest.fixture
def three_parcels() -> gpd.GeoDataFrame:
    """Three 100 m squares 20 m apart in EPSG:4544, with ids, names and statuses."""
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C"],
            "name": ["甲地块", "乙地块", "丙地块"],
            "acquisition_status": ["acquired", "unacquired", "supplied"],
            "declared_area_mu": [15.0, 15.0, 15.0],
        },
        geometry=[gk_square(GK_X + i * 120, GK_Y, 100) for i in range(3)],
        crs="EPSG:4544",
    )


@pytest.fixture
def small_park(three_parcels) -> Park:
    """A park of three parcels and one project holding parcel C."""
    projects = pd.DataFrame(
        {
            "project_id": ["P1"],
            "name": ["测试项目"],
            "stage": ["construction"],
            "land_demand_mu": [15.0],
            "parcel_ids": ["C"],
        }
    )
    return Park(
        manifest=Manifest(name="tiny", title="测试园区", private_fields=("owner_name",)),
        parcels=three_parcels.assign(owner_name=["张某某", None, None]),
        projects=projects,
    )
