"""The 界址点坐标 TXT reader: the variants survey offices hand over, each with its exact area.

Every file is built here. The parcel is a 100 m × 100 m square on the central
meridian of its zone (105°E: 3-degree zone 35, 6-degree zone 18), where the
Gauss-Kruger scale is 1: planar area 10 000 m² = 1 公顷 = 15 mu, and on the
ellipsoid the same within 1e-6.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from parkgis.errors import CRSMissingError, InputError
from parkgis.io.boundary_txt import is_boundary_txt, read_boundary_txt
from parkgis.io.loose import read_parcel_file
from parkgis.io.vector import read_layer
from parkgis.measure.area import gross_area_mu, planar_area_mu

HEADER = [
    "[属性描述]",
    "格式版本号=1.01版本",
    "数据产生单位=测试单位",
    "数据产生日期=2024-05-01",
    "坐标系=2000国家大地坐标系",
    "几度分带=3",
    "投影类型=高斯克吕格",
    "计量单位=米",
    "带号=35",
    "精度=0.001",
    "转换参数=,,,,,,",
    "[地块坐标]",
]
# The square's corners, X (northing), Y (easting without zone), clockwise from the north-west.
SQUARE = [(3580100, 500000), (3580100, 500100), (3580000, 500100), (3580000, 500000)]


def points(corners, *, zone=35, ring=1, start=1, swap=False, close=True):
    rows = []
    listed = [*corners, corners[0]] if close else corners
    for i, (x, y) in enumerate(listed):
        number = start + (i % len(corners))
        east = y + zone * 1_000_000 if zone else y
        a, b = (east, x) if swap else (x, east)
        rows.append(f"J{number},{ring},{a:.3f},{b:.3f}")
    return rows


def write(tmp_path: Path, lines, *, name="parcel.txt", encoding="gbk", eol="\r\n") -> Path:
    path = tmp_path / name
    data = eol.join(lines) + eol
    path.write_bytes(data.encode(encoding) if encoding != "utf-8-sig" else codecs.BOM_UTF8 +
                     data.encode("utf-8"))  # fmt: skip
    return path


def square_file(tmp_path: Path, **options) -> Path:
    lines = [*HEADER, "5,1.0000,A-01,香香嘴,面,,工业用地,0601,@", *points(SQUARE)]
    return write(tmp_path, lines, **options)


def read(path: Path, **options):
    frame, decisions, issues = read_parcel_file(path, **options)
    return frame, " | ".join(decisions), issues


def assert_square(frame, mu=15.0):
    assert gross_area_mu(frame).iloc[0] == pytest.approx(mu, rel=1e-6)
    assert planar_area_mu(frame).iloc[0] == pytest.approx(mu, rel=1e-9)


def test_zone_prefix_gbk(tmp_path):
    frame, decisions, issues = read(square_file(tmp_path))
    assert frame.crs.to_epsg() == 4523
    assert frame["parcel_id"].tolist() == ["A-01"] and frame["name"].tolist() == ["香香嘴"]
    assert frame["declared_area_mu"].tolist() == [15.0]
    assert frame["地块用途"].tolist() == ["工业用地"] and frame["地类编码"].tolist() == ["0601"]
    assert_square(frame)
    assert "GB18030" in decisions and "zone 35 from the zone number in front of Y" in decisions
    assert not issues


def test_no_prefix_zone_from_header(tmp_path):
    lines = [*HEADER, "5,1.0000,A-01,香香嘴,面,,,,@", *points(SQUARE, zone=None)]
    frame, decisions, _ = read(write(tmp_path, lines))
    assert frame.crs.to_epsg() == 4544
    assert "no zone prefix on Y: zone 35 taken from 带号=35" in decisions
    assert_square(frame)


def test_no_prefix_no_zone_needs_crs(tmp_path):
    header = [h for h in HEADER if not h.startswith("带号")]
    path = write(tmp_path, [*header, "5,1.0000,A-01,香香嘴,面,,,,@", *points(SQUARE, zone=None)])
    with pytest.raises(CRSMissingError, match="--crs") as err:
        read(path)
    assert "带号" in str(err.value) and str(path) in str(err.value)
    frame, _, _ = read(path, crs="EPSG:4544")
    assert frame.crs.to_epsg() == 4544
    assert_square(frame)


def test_xy_swapped(tmp_path):
    lines = [*HEADER, "5,1.0000,A-01,香香嘴,面,,,,@", *points(SQUARE, swap=True)]
    frame, decisions, _ = read(write(tmp_path, lines))
    assert "X/Y swapped" in decisions and "look like eastings" in decisions
    assert frame.crs.to_epsg() == 4523
    assert frame.geometry.iloc[0].bounds == (35500000.0, 3580000.0, 35500100.0, 3580100.0)
    assert_square(frame)


def test_six_degree_zone(tmp_path):
    header = [h.replace("几度分带=3", "几度分带=6").replace("带号=35", "带号=18") for h in HEADER]
    lines = [*header, "5,1.0000,A-01,香香嘴,面,,,,@", *points(SQUARE, zone=18)]
    frame, decisions, _ = read(write(tmp_path, lines))
    assert frame.crs.to_epsg() == 4496  # CGCS2000 / Gauss-Kruger zone 18
    assert "6-degree zone 18 (central meridian 105°E)" in decisions
    assert_square(frame)


def test_hole_and_second_part(tmp_path):
    hole = [(3580060, 500020), (3580060, 500040), (3580040, 500040), (3580040, 500020)]  # 20 m
    part = [(3580100, 500200), (3580100, 500250), (3580050, 500250), (3580050, 500200)]  # 50 m
    lines = [
        *HEADER,
        "15,1.1900,A-01,带洞地块,面,,,,@",
        *points(SQUARE),
        *points(hole, ring=2, start=5),
        *points(part, ring=3, start=9),
    ]
    frame, _, issues = read(write(tmp_path, lines))
    geom = frame.geometry.iloc[0]
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms[0].interiors) == 1
    assert planar_area_mu(frame).iloc[0] == pytest.approx((10_000 - 400 + 2_500) * 15 / 10_000)
    assert gross_area_mu(frame).iloc[0] == pytest.approx(18.15, rel=1e-6)
    assert frame["declared_area_mu"].iloc[0] == pytest.approx(1.19 * 15)
    assert not issues


def test_blank_lines_no_at_unclosed_rings_lf(tmp_path):
    lines = [*HEADER, "", "4,1.0000,A-01,香香嘴,面,,,", "", *points(SQUARE, close=False), ""]
    frame, decisions, _ = read(write(tmp_path, lines, eol="\n"))
    assert "blank line(s) skipped" in decisions
    assert "without the trailing @" in decisions
    assert "without repeating the first point" in decisions and "A-01" in decisions
    assert_square(frame)


def test_utf8_bom(tmp_path):
    frame, decisions, _ = read(square_file(tmp_path, encoding="utf-8-sig"))
    assert "byte-order mark" in decisions
    assert frame["name"].tolist() == ["香香嘴"]
    assert_square(frame)


def test_utf8_without_bom(tmp_path):
    frame, decisions, _ = read(square_file(tmp_path, encoding="utf-8"))
    assert "UTF-8" in decisions and frame["name"].tolist() == ["香香嘴"]


def test_extra_and_missing_header_fields(tmp_path):
    header = [h for h in HEADER if not h.startswith(("格式版本号", "精度"))]
    header.insert(3, "项目名称=元坝工业园区")
    lines = [*header, "5,1.0000,A-01,香香嘴,面,,,,@", *points(SQUARE)]
    frame, decisions, _ = read(write(tmp_path, lines))
    assert "header fields missing: 格式版本号, 精度" in decisions
    assert "项目名称=元坝工业园区" in decisions
    assert_square(frame)


def test_recognised_by_content_not_suffix(tmp_path):
    path = square_file(tmp_path, name="报批坐标.dat")
    assert is_boundary_txt(path)
    read_ = read_layer(path)
    assert read_.frame.crs.to_epsg() == 4523 and len(read_.frame) == 1
    other = tmp_path / "notes.txt"
    other.write_text("地块说明\n[其他]\n", encoding="utf-8")
    assert not is_boundary_txt(other)


def test_area_mismatch_is_validated(tmp_path):
    from parkgis.check.problems import find_problems
    from parkgis.model.park import Manifest, Park

    lines = [*HEADER, "5,1.2000,A-01,香香嘴,面,,,,@", *points(SQUARE)]
    frame, _, _ = read(write(tmp_path, lines))
    assert frame["declared_area_mu"].iloc[0] == pytest.approx(18.0)
    park = Park(Manifest("t"), frame.assign(acquisition_status="acquired"))
    codes = {p.code for p in find_problems(park)}
    assert "area_mismatch" in codes


@pytest.mark.parametrize(
    ("bad", "line", "value"),
    [
        ("J3,1,3580000.000,abc", 16, "abc"),  # Y is not a number
        ("J3,x,3580000.000,35500100.000", 16, "J3,x"),  # 圈号 is not a whole number
        ("J3,1,500100.000,3580000.000", 16, "500100"),  # X/Y in the other order than line 14
    ],
)
def test_corrupt_point_line_refused_naming_the_line(tmp_path, bad, line, value):
    rows = points(SQUARE)
    rows[2] = bad
    path = write(tmp_path, [*HEADER, "5,1.0000,A-01,香香嘴,面,,,,@", *rows])
    with pytest.raises(InputError) as err:
        read(path)
    text = str(err.value)
    assert f"line {line}" in text and value in text and str(path) in text
    assert f"第 {line} 行" in err.value.zh


def test_missing_points_refused(tmp_path):
    # The header line declares 6 points, 4 follow and the ring is not closed: truncated?
    lines = [*HEADER, "6,1.0000,A-01,香香嘴,面,,,,@", *points(SQUARE, close=False)]
    with pytest.raises(InputError, match=r"line 13.*points may be missing"):
        read(write(tmp_path, lines))


def test_zone_conflict_refused(tmp_path):
    header = [h.replace("带号=35", "带号=36") for h in HEADER]
    lines = [*header, "5,1.0000,A-01,香香嘴,面,,,,@", *points(SQUARE)]
    with pytest.raises(InputError, match=r"line 9.*zone 36.*zone 35"):
        read(write(tmp_path, lines))


def test_layer_refused(tmp_path):
    with pytest.raises(InputError, match="one layer"):
        read_boundary_txt(square_file(tmp_path), layer="x")


def test_line_record_kept_without_geometry(tmp_path):
    lines = [*HEADER, "5,1.0000,A-01,香香嘴,线,,,,@", *points(SQUARE)]
    frame, _, issues = read(write(tmp_path, lines))
    assert frame.geometry.iloc[0] is None
    assert [i.code for i in issues] == ["broken_geometry"] and "线" in issues[0].message


def _parkgis(*args: str, cwd: Path):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "parkgis", *args], cwd=Path(__file__).resolve().parents[1],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_import_status_for_a_survey_file_that_gives_none(tmp_path):
    txt = square_file(tmp_path)
    bare = _parkgis("import", str(txt), "-o", str(tmp_path / "bare.gpkg"), cwd=tmp_path)
    assert bare.returncode == 0, bare.stderr
    refused = _parkgis("reserve", str(tmp_path / "bare.gpkg"), "--lang", "en", cwd=tmp_path)
    assert refused.returncode == 1 and "acquisition_status" in refused.stderr
    park = tmp_path / "park.gpkg"
    done = _parkgis("import", str(txt), "-o", str(park), "--status", "未征收", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "acquisition_status: unacquired (未征收, from --status) for 1 of 1 feature(s)" in (
        done.stdout
    )
    from parkgis.io.store import read_park

    assert read_park(park).parcels["acquisition_status"].tolist() == ["unacquired"]
    reserve = _parkgis("reserve", str(park), "--format", "json", cwd=tmp_path)
    assert reserve.returncode == 0, reserve.stderr
    wrong = _parkgis("--lang", "en", "import", str(txt), "-o", str(tmp_path / "w.gpkg"),
                     "--status", "征收", cwd=tmp_path)  # fmt: skip
    assert wrong.returncode == 2 and "expected one of: unacquired/未征收" in wrong.stderr
    assert not (tmp_path / "w.gpkg").exists()


def test_import_status_keeps_what_the_file_gives(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    from parkgis.io.importer import import_sources

    layer = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "acquisition_status": ["已征收", None]},
        geometry=[box(500_000, 3_577_000, 500_100, 3_577_100),
                  box(500_100, 3_577_000, 500_200, 3_577_100)],
        crs="EPSG:4544",
    )  # fmt: skip
    layer.to_file(tmp_path / "parcels.gpkg", layer="parcels")
    report = import_sources([tmp_path / "parcels.gpkg"], tmp_path / "p.gpkg", status="unacquired")
    assert report.park.parcels["acquisition_status"].tolist() == ["acquired", "unacquired"]
    assert any("for 1 of 2 feature(s) that give none" in line for line in report.lines)
