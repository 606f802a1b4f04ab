"""``parkgis info``, ``validate``, ``area`` and ``import`` as a user runs them."""

import codecs
import io
import json
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from parkgis.cli import cli
from parkgis.io.store import write_park
from tests.conftest import GK_X, GK_Y


def run(*args: str, ok: tuple[int, ...] = (0,)):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in ok, result.output
    return result


@pytest.fixture
def park_dir(tmp_path, small_park):
    return write_park(small_park, tmp_path / "tiny")


@pytest.fixture
def parcel_file(tmp_path, three_parcels):
    path = tmp_path / "parcels.geojson"
    three_parcels.to_crs(4490).to_file(path)
    return path


def test_area_json_contract(park_dir):
    rows = json.loads(run("area", str(park_dir), "--format", "json").stdout)
    assert [r["parcel_id"] for r in rows] == ["A", "B", "C"]
    assert set(rows[0]) >= {"parcel_id", "name", "acquisition_status", "area_mu", "area_m2"}
    assert rows[1]["acquisition_status"] == "unacquired"
    # 100 m squares 90 km from the CM: 10 000 m² planar, ~9 998 m² on the ellipsoid.
    assert rows[0]["area_m2"] == pytest.approx(
        10_000 / (1 + 90_000**2 / (2 * 6_371_000**2)) ** 2, rel=3e-5
    )
    assert rows[0]["area_mu"] == pytest.approx(rows[0]["area_m2"] * 15 / 10_000, rel=1e-12)


def test_area_by_status_csv_is_for_excel(park_dir):
    # UTF-8 with a BOM, headers and statuses as labels: Chinese by default.
    raw = run("area", str(park_dir), "--by", "acquisition_status", "--format", "csv").stdout_bytes
    assert raw.startswith(codecs.BOM_UTF8 + "征收状态,地块数,面积(亩),占比(%)\n".encode())
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert frame["征收状态"].tolist() == ["未征收", "已征收", "已供地"]  # chain order
    assert frame["地块数"].tolist() == [1, 1, 1]
    assert frame["占比(%)"].sum() == pytest.approx(100.0)
    args = ["--lang", "en", "area", str(park_dir), "--by", "acquisition_status", "--format", "csv"]
    frame = pd.read_csv(io.BytesIO(run(*args).stdout_bytes), encoding="utf-8-sig")
    assert list(frame.columns) == ["Acquisition status", "Parcels", "Area (mu)", "Share (%)"]
    assert frame["Acquisition status"].tolist() == ["Unacquired", "Acquired", "Supplied"]
    # JSON keeps the canonical names and codes, for tools.
    rows = json.loads(run("area", str(park_dir), "--by", "acquisition_status", "--format",
                          "json").stdout)  # fmt: skip
    assert [r["acquisition_status"] for r in rows] == ["unacquired", "acquired", "supplied"]


def test_area_text_is_chinese_by_default_and_english_on_request(park_dir):
    assert "未征收" in run("area", str(park_dir)).output
    out = run("--lang", "en", "area", str(park_dir)).output
    assert "Unacquired" in out and "Area (mu)" in out


def test_area_of_a_loose_file_without_ids(tmp_path, three_parcels):
    path = tmp_path / "no_ids.geojson"
    three_parcels.drop(columns="parcel_id").to_file(path)
    rows = json.loads(run("area", str(path), "--format", "json").stdout)
    assert [r["parcel_id"] for r in rows] == ["1", "2", "3"]
    rows = json.loads(run("area", str(path), "--id-field", "name", "--format", "json").stdout)
    assert [r["parcel_id"] for r in rows] == ["甲地块", "乙地块", "丙地块"]


def test_validate_clean_park_exits_0(park_dir):
    report = json.loads(run("validate", str(park_dir), "--format", "json").stdout)
    assert (report["ok"], report["problems"]) == (True, [])
    assert [(p["parcel_id"], p["counted"], p["note"]) for p in report["parcels"]] == [
        ("A", True, None), ("B", True, None), ("C", True, None)
    ]  # fmt: skip


def test_validate_with_errors_exits_1(tmp_path, three_parcels):
    bad = three_parcels.assign(acquisition_status=["已征收", "征收", "已供地"])
    path = tmp_path / "bad.geojson"
    bad.to_file(path)
    result = run("validate", str(path), "--format", "json", ok=(1,))
    report = json.loads(result.stdout)
    assert report["ok"] is False
    [problem] = report["problems"]
    assert problem["code"] == "unknown_status" and problem["parcel_id"] == "B"
    assert "'征收'" in problem["message"]


def test_validate_against_a_project_ledger(tmp_path, parcel_file):
    ledger = tmp_path / "projects.csv"
    pd.DataFrame(
        {
            "项目编号": ["P1", "P1"],
            "项目名称": ["甲", "乙"],
            "用地需求(亩)": ["约30亩", "-5"],
            "地块编号": ["A", "Z"],
        }
    ).to_csv(ledger, index=False, encoding="gbk")
    report = json.loads(
        run(
            "validate", str(parcel_file), "--projects", str(ledger), "--format", "json", ok=(1,)
        ).stdout
    )
    codes = sorted(p["code"] for p in report["problems"])
    # 约30亩 is read as 30 with a warning; -5 is not a land demand
    assert codes == ["approximate_value", "bad_land_demand", "duplicate_project_id",
                     "unknown_project"]  # fmt: skip


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_file_without_crs_exits_2_naming_crs(tmp_path):
    # A shapefile without .prj: the survey office forgot to say its CRS.
    shp = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame(
        {"parcel_id": ["A"], "状态": ["已征收"]}, geometry=[box(GK_X, GK_Y, GK_X + 100, GK_Y + 100)]
    ).to_file(shp)
    proc = subprocess.run(
        [sys.executable, "-m", "parkgis", "validate", str(shp)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "--crs" in proc.stderr and "nocrs.shp" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "parkgis", "validate", str(shp), "--crs", "EPSG:4544"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def test_info(park_dir):
    info = json.loads(run("info", str(park_dir), "--format", "json").stdout)
    assert info["parcels"] == 3 and info["projects"] == 1
    assert info["local_gk_crs"] == "EPSG:4544"
    assert info["total_area_mu"] == pytest.approx(3 * 14.997, abs=0.01)


def test_import_builds_a_park_and_reports_decisions(tmp_path, three_parcels):
    src = tmp_path / "survey.shp"
    three_parcels.rename(
        columns={"parcel_id": "宗地号", "acquisition_status": "现状", "declared_area_mu": "面积"}
    ).to_file(src, encoding="GBK")
    ledger = tmp_path / "ledger.csv"
    pd.DataFrame(
        {"项目编号": ["P1"], "项目名称": ["测试"], "项目阶段": ["在建"], "地块编号": ["C"]}
    ).to_csv(ledger, index=False, encoding="utf-8-sig")
    out = run(
        "import", str(src), str(ledger), "-o", str(tmp_path / "park.gpkg"), "--title", "测试园区"
    ).output
    assert "column '宗地号' → parcel_id" in out
    assert "column '现状' → acquisition_status" in out
    assert "GBK" in out.upper() or "936" in out
    info = json.loads(run("info", str(tmp_path / "park.gpkg"), "--format", "json").stdout)
    assert info["parcels"] == 3 and info["projects"] == 1 and info["title"] == "测试园区"
    again = CliRunner().invoke(cli, ["import", str(src), "-o", str(tmp_path / "park.gpkg")])
    assert again.exit_code == 2 and "--overwrite" in again.output


def test_one_broken_feature_does_not_lose_the_file(tmp_path, three_parcels):
    good = json.loads(three_parcels.to_crs(4490).to_json())
    good["features"][1]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[105.96, 32.32], [105.97, 32.32]]],
    }
    path = tmp_path / "one_broken.geojson"
    path.write_text(json.dumps(good, ensure_ascii=False), "utf-8")
    rows = json.loads(run("area", str(path), "--format", "json").stdout)
    # B is listed, unmeasured and saying why; A and C are measured
    assert [(r["parcel_id"], r["area_mu"] is not None) for r in rows] == [
        ("A", True), ("C", True), ("B", False)
    ]  # fmt: skip
    report = json.loads(run("validate", str(path), "--format", "json", ok=(1,)).stdout)
    [problem] = report["problems"]
    assert problem["code"] == "broken_geometry" and problem["parcel_id"] == "B"
    assert "feature 2" in problem["message"]
