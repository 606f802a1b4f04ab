"""Areas on the GRS80 ellipsoid, checked against pyproj.Geod computed here."""

import geopandas as gpd
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, box

from parkgis.errors import CRSMissingError
from parkgis.measure.area import area_m2, gross_area_mu, planar_area_mu
from parkgis.measure.units import SQM_PER_MU
from tests.conftest import GK_X, GK_Y

GEOD = Geod(ellps="GRS80")


def geodesic_mu(geom_lonlat) -> float:
    """Reference: pyproj.Geod, ring by ring (shell minus holes), in mu."""
    polys = getattr(geom_lonlat, "geoms", [geom_lonlat])
    total = 0.0
    for poly in polys:
        area, _ = GEOD.polygon_area_perimeter(*poly.exterior.xy)
        total += abs(area)
        for ring in poly.interiors:
            hole, _ = GEOD.polygon_area_perimeter(*ring.xy)
            total -= abs(hole)
    return total / SQM_PER_MU


@pytest.fixture
def shapes_4544() -> gpd.GeoSeries:
    square = box(GK_X, GK_Y, GK_X + 200, GK_Y + 200)
    with_hole = Polygon(
        square.exterior.coords,
        [
            [
                (GK_X + 50, GK_Y + 50),
                (GK_X + 150, GK_Y + 50),
                (GK_X + 150, GK_Y + 150),
                (GK_X + 50, GK_Y + 150),
            ]
        ],
    )
    multi = MultiPolygon(
        [
            box(GK_X + 300, GK_Y, GK_X + 400, GK_Y + 100),
            box(GK_X + 500, GK_Y, GK_X + 550, GK_Y + 300),
        ]
    )
    irregular = Polygon(
        [
            (GK_X, GK_Y + 400),
            (GK_X + 310, GK_Y + 420),
            (GK_X + 260, GK_Y + 700),
            (GK_X + 40, GK_Y + 650),
        ]
    )
    return gpd.GeoSeries([square, with_hole, multi, irregular], crs="EPSG:4544")


@pytest.mark.parametrize("epsg", [4490, 4326, 4544, 4523, 32648, 3857])
def test_same_area_in_every_crs(shapes_4544, epsg):
    lonlat = shapes_4544.to_crs(4490)
    reference = [geodesic_mu(g) for g in lonlat]
    measured = gross_area_mu(shapes_4544.to_crs(epsg))
    for got, want in zip(measured, reference, strict=True):
        assert got == pytest.approx(want, rel=1e-4)  # 0.01 %


def test_square_known_answer():
    # 200 m × 200 m planar in EPSG:4544 is 60.00 mu; ~79 km from the CM the grid
    # scale makes the ellipsoidal area 39 993.8 m² (CHINA_GIS.md, checked).
    square = gpd.GeoSeries(
        [box(500_000 + 79_000, 3_577_000, 500_000 + 79_200, 3_577_200)], crs=4544
    )
    assert area_m2(square).iloc[0] == pytest.approx(39_993.8, abs=1.0)
    assert planar_area_mu(square).iloc[0] == pytest.approx(60.0, abs=1e-9)


def test_hole_is_subtracted_whatever_the_orientation(shapes_4544):
    with_hole = shapes_4544.iloc[1]
    reversed_rings = Polygon(with_hole.exterior.coords[::-1], [with_hole.interiors[0].coords])
    series = gpd.GeoSeries(
        [with_hole, shapely.orient_polygons(with_hole), reversed_rings], crs=4544
    )
    areas = area_m2(series)
    # 200² − 100² = 30 000 m² planar; 90 km east of the CM the GK grid scale is
    # k ≈ 1 + x²/2R² (R ≈ 6 371 km), so the ground area is 30 000 / k² ≈ 29 994.0 m².
    k = 1 + 90_000**2 / (2 * 6_371_000**2)
    assert areas.iloc[0] == pytest.approx(30_000 / k**2, rel=2e-5)
    assert areas.iloc[1] == pytest.approx(areas.iloc[0], rel=1e-12)
    assert areas.iloc[2] == pytest.approx(areas.iloc[0], rel=1e-12)


def test_multipolygon_sums_parts(shapes_4544):
    multi = shapes_4544.iloc[2]
    parts = gpd.GeoSeries(list(multi.geoms), crs=4544)
    assert area_m2(gpd.GeoSeries([multi], crs=4544)).iloc[0] == pytest.approx(
        area_m2(parts).sum(), rel=1e-12
    )


def test_3d_coordinates_ignore_z(shapes_4544):
    flat = shapes_4544.iloc[[0]]
    lifted = gpd.GeoSeries(shapely.force_3d(flat.array, z=812.5), crs=4544)
    assert area_m2(lifted).iloc[0] == pytest.approx(area_m2(flat).iloc[0], rel=1e-12)


def test_null_and_empty():
    series = gpd.GeoSeries([None, Polygon(), box(GK_X, GK_Y, GK_X + 10, GK_Y + 10)], crs=4544)
    out = area_m2(series)
    assert out.isna().tolist() == [True, False, False]
    assert out.iloc[1] == 0.0


def test_missing_crs_is_refused():
    with pytest.raises(CRSMissingError, match="--crs"):
        gross_area_mu(gpd.GeoSeries([box(0, 0, 1, 1)]))


def test_result_is_named_and_aligned(three_parcels):
    shuffled = three_parcels.set_index("parcel_id").iloc[[2, 0, 1]]
    out = gross_area_mu(shuffled)
    assert out.name == "area_mu"
    assert list(out.index) == ["C", "A", "B"]
    assert three_parcels.crs.to_epsg() == 4544  # input untouched


def test_simple_polygons_measure_as_shapely_does_after_projecting(shapes_4544):
    # Polygons without holes take the shoelace path; those with holes and
    # multipolygons take shapely.transform + shapely.area: both must agree.
    from pyproj import Transformer

    from parkgis.measure.area import equal_area_crs

    geoms = shapes_4544.to_crs(4490)
    tr = Transformer.from_crs(4490, equal_area_crs(geoms), always_xy=True)
    projected = shapely.transform(
        geoms.array, lambda xy: shapely.get_coordinates(shapely.points(*tr.transform(*xy.T)))
    )
    for got, want in zip(area_m2(geoms), shapely.area(projected), strict=True):
        assert got == pytest.approx(want, rel=1e-12)


def test_a_part_measured_in_the_wholes_crs_gives_the_wholes_areas(shapes_4544):
    from parkgis.measure.area import equal_area_crs

    far = box(106.3, 32.6, 106.31, 32.61)  # 40 km away: the layer's centre moves
    whole = gpd.GeoSeries([*shapes_4544.to_crs(4490), far], crs=4490)
    crs = equal_area_crs(whole)
    part = whole.iloc[[3]]
    assert equal_area_crs(part) != crs  # the part alone has another centre
    assert area_m2(part, crs=crs).iloc[0] == area_m2(whole).iloc[3]


def test_planar_area_is_measured_in_planar_crs():
    from parkgis.measure.area import planar_crs

    lonlat = gpd.GeoSeries([box(106.59, 32.30, 106.60, 32.31)], crs=4490)
    assert planar_crs(lonlat).to_epsg() == 4545  # CM 108E: the zone of 106.6E
    assert planar_crs(lonlat.to_crs(4544)).to_epsg() == 4544  # a GK CRS is kept
    assert planar_area_mu(lonlat).iloc[0] == pytest.approx(
        float(lonlat.to_crs(4545).area.iloc[0]) / SQM_PER_MU, rel=1e-12
    )
