import pytest

from parkgis.errors import SuspectCoordinatesError
from parkgis.measure.crs import check_coordinates, gk_crs, local_gk_crs

YUANBA_LONLAT = (105.94, 32.30, 105.98, 32.34)
YUANBA_4544 = (590_000.0, 3_575_000.0, 593_000.0, 3_579_000.0)


def test_zone_codes():
    assert gk_crs(105).to_epsg() == 4544
    assert gk_crs(108).to_epsg() == 4545
    assert gk_crs(105, zone_prefix=True).to_epsg() == 4523
    assert gk_crs(75).to_epsg() == 4534
    assert gk_crs(135, zone_prefix=True).to_epsg() == 4533
    with pytest.raises(ValueError, match="3-degree"):
        gk_crs(104)


@pytest.mark.parametrize(
    ("lon", "epsg"), [(105.96, 4544), (106.49, 4544), (106.51, 4545), (103.4, 4543), (104.2, 4544)]
)
def test_local_zone(lon, epsg):
    assert local_gk_crs(lon).to_epsg() == epsg


@pytest.mark.parametrize(
    ("bounds", "crs"),
    [
        (YUANBA_LONLAT, 4490),
        (YUANBA_LONLAT, 4326),
        (YUANBA_4544, 4544),
        ((35_590_000, 3_575_000, 35_593_000, 3_579_000), 4523),
        ((680_000, 3_570_000, 690_000, 3_580_000), 32648),
    ],
)
def test_right_coordinates_pass(bounds, crs):
    check_coordinates(bounds, crs, where="ok.shp")


@pytest.mark.parametrize(
    ("bounds", "crs", "expected"),
    [
        ((32.30, 105.94, 32.34, 105.98), 4490, "axis order swapped"),
        ((3_575_000, 590_000, 3_579_000, 593_000), 4544, "X and Y swapped"),
        ((35_590_000, 3_575_000, 35_593_000, 3_579_000), 4544, "EPSG:4523"),
        ((590_000, 3_575_000, 593_000, 3_579_000), 4523, "EPSG:4544"),
        (YUANBA_LONLAT, 4544, "EPSG:4490"),
        (YUANBA_4544, 4490, "metres, not degrees"),
        ((2.35, 48.85, 2.36, 48.86), 4490, "outside China"),
    ],
)
def test_suspect_coordinates_name_the_fix(bounds, crs, expected):
    with pytest.raises(SuspectCoordinatesError, match=r"bad\.shp") as info:
        check_coordinates(bounds, crs, where="bad.shp")
    assert expected in str(info.value)


def test_antimeridian_is_named():
    with pytest.raises(
        SuspectCoordinatesError, match=r"jump from -179\.9 to 179\.9 .*antimeridian"
    ):
        check_coordinates((-179.9, 32.3, 179.9, 32.31), "EPSG:4490", where="w.gpkg")


def test_fix_for_a_files_own_crs_says_override():
    """--crs alone does not replace a CRS the file declares: the advice must add --override-crs."""
    bounds = (35_590_000.0, 3_575_000.0, 35_593_000.0, 3_579_000.0)
    with pytest.raises(SuspectCoordinatesError, match=r"--crs EPSG:4523 --override-crs$"):
        check_coordinates(bounds, "EPSG:4544", where="p.gpkg", declared=True)
    with pytest.raises(SuspectCoordinatesError, match=r"--crs EPSG:4523$"):
        check_coordinates(bounds, "EPSG:4544", where="p.gpkg")
