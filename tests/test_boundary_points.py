"""The 界址点成果表: J1 at the north-west corner, clockwise, edges and areas exact."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box

from parkgis.errors import InputError
from parkgis.land.boundary_points import boundary_areas, boundary_crs, boundary_points


def square(*, ccw: bool = True) -> gpd.GeoDataFrame:
    # 100 m square on the central meridian of 105°E (EPSG:4544), drawn from the south-east corner.
    ring = [(500100, 3580000), (500100, 3580100), (500000, 3580100), (500000, 3580000)]
    geom = Polygon(ring if ccw else ring[::-1])
    return gpd.GeoDataFrame({"parcel_id": ["A"], "name": ["甲"]}, geometry=[geom], crs=4544)


@pytest.mark.parametrize("ccw", [True, False])
def test_square_points_clockwise_from_north_west(ccw):
    table = boundary_points(square(ccw=ccw), crs=4523)  # zone 35, Y with the zone number
    assert table["point"].tolist() == ["J1", "J2", "J3", "J4", "J1"]
    assert table["x_m"].tolist() == [3580100.0, 3580100.0, 3580000.0, 3580000.0, 3580100.0]
    assert table["y_m"].tolist() == [35500000.0, 35500100.0, 35500100.0, 35500000.0, 35500000.0]
    assert table["edge_m"].tolist()[:4] == [100.0, 100.0, 100.0, 100.0]
    assert table["edge_m"].isna().tolist() == [False] * 4 + [True]


def test_square_areas():
    areas = boundary_areas(square(), crs=4523).iloc[0]
    assert areas["points"] == 4
    assert areas["planar_area_m2"] == 10_000.0
    assert areas["planar_area_ha"] == 1.0
    assert areas["planar_area_mu"] == 15.0
    assert areas["area_mu"] == pytest.approx(15.0, rel=1e-6)  # on the ellipsoid, on the CM


def test_hole_numbered_after_the_outer_ring():
    outer = box(500000, 3580000, 500100, 3580100)
    hole = box(500020, 3580040, 500040, 3580060)
    frame = gpd.GeoDataFrame({"parcel_id": ["H"]}, geometry=[outer.difference(hole)], crs=4544)
    table = boundary_points(frame, crs=4544)
    holes = table[table["ring"] == 2]
    assert holes["point"].tolist() == ["J5", "J6", "J7", "J8", "J5"]
    assert (holes["x_m"].iloc[0], holes["y_m"].iloc[0]) == (3580060.0, 500020.0)  # its NW corner
    assert holes["y_m"].iloc[1] == 500040.0  # clockwise: east first
    assert boundary_areas(frame, crs=4544)["planar_area_m2"].iloc[0] == 9_600.0


def test_default_zone_and_options():
    frame = square()
    assert boundary_crs(frame).to_epsg() == 4523
    assert boundary_crs(frame, zone=36).to_epsg() == 4524
    assert boundary_crs(frame, zone=18).to_epsg() == 4496
    assert boundary_crs(frame, crs="EPSG:4544").to_epsg() == 4544
    with pytest.raises(InputError, match="--zone 50"):
        boundary_crs(frame, zone=50)
    with pytest.raises(InputError, match="not a CGCS2000 Gauss-Kruger"):
        boundary_crs(frame, crs="EPSG:4490")
    with pytest.raises(InputError, match="not both"):
        boundary_crs(frame, zone=35, crs=4523)


def test_briefing_appendix(small_park):
    import datetime as dt

    from parkgis.brief.content import brief_content

    content = brief_content(small_park, today=dt.date(2024, 6, 30), lang="en", boundary_points=True)
    first = content.boundary_points[0]
    assert first.crs == "EPSG:4523"
    assert first.rows[0] == ("J1", "3577100.000", "35590000.000", "100.000")
    assert "Planar Gauss-Kruger area 10,000.00 m² = 1.0000 ha = 15.0000 mu" in first.area
    assert brief_content(small_park, today=dt.date(2024, 6, 30)).boundary_points == ()
