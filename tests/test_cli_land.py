"""``parkgis buildable``, ``reserve``, ``gaps``, ``targets``, ``enforce`` as a user runs them."""

from __future__ import annotations

import codecs
import io
import json
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString, box

from parkgis.cli import cli
from parkgis.io.store import bundled_park_path, read_park, write_park
from parkgis.model.park import Manifest, Park
from tests.conftest import GK_X, GK_Y, gk_square, needs
from tests.test_buildable import HAND_NET_MU, SIDE, _gk_scale_squared
from tests.test_gaps import _park as gaps_park
from tests.test_reserve import _hand_park

BUNDLED = bundled_park_path().is_file()
needs_bundled = needs(BUNDLED, "data/parcels/yuanba.gpkg is missing (scripts/make_yuanba.py)")


def run(*args: str, ok: tuple[int, ...] = (0,)):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in ok, result.output
    return result


def csv_of(result) -> pd.DataFrame:
    """The CSV a command printed: UTF-8 with a BOM, for Excel."""
    assert result.stdout_bytes.startswith(codecs.BOM_UTF8)
    return pd.read_csv(io.BytesIO(result.stdout_bytes), encoding="utf-8-sig")


def header(book: Path, sheet: str) -> list[str]:
    """The first row of a sheet of a workbook."""
    return [cell.value for cell in openpyxl.load_workbook(book)[sheet][1]]


def _parcel() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"parcel_id": ["A"], "zone": ["东区"], "acquisition_status": ["acquired"]},
        geometry=[box(GK_X, GK_Y, GK_X + SIDE, GK_Y + SIDE)],
        crs="EPSG:4544",
    )


def _river(**fields: object) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["园区河"], **fields},
        geometry=[box(GK_X - 100, GK_Y - 40, GK_X + SIDE + 100, GK_Y)],
        crs="EPSG:4544",
    )


@pytest.fixture
def loose_files(tmp_path):
    """The issue's case as a surveyor hands it over: three files, three CRSs, kinds by name."""
    parcels = tmp_path / "parcels.gpkg"
    _parcel().to_crs(32648).to_file(parcels, layer="parcels")
    line = tmp_path / "高压线.geojson"
    x = GK_X + SIDE / 2
    gpd.GeoDataFrame(
        {"name": ["110kV 元坝线"], "走廊宽度": [50.0]},  # the FULL width: a 25 m setback
        geometry=[LineString([(x, GK_Y - 100), (x, GK_Y + SIDE + 100)])],
        crs="EPSG:4544",
    ).to_crs(4490).to_file(line)
    water = tmp_path / "water.gpkg"
    _river().to_file(water, layer="rivers")  # no setback field: the river default, 30 m
    return parcels, line, water


def test_buildable_loose_files_in_three_crss(loose_files):
    parcels, line, water = loose_files
    out = run(
        "buildable", str(parcels), "--constraints", str(line),
        "--constraints", f"{water}:rivers", "--format", "json",
    ).stdout  # fmt: skip
    figures = json.loads(out)
    assert set(figures) >= {"parcels", "total_net_mu"}
    row = figures["parcels"][0]
    assert set(row) >= {"parcel_id", "gross_mu", "constrained_mu", "net_mu"}
    assert row["net_mu"] == pytest.approx(HAND_NET_MU, rel=1e-5)
    assert figures["total_net_mu"] == pytest.approx(HAND_NET_MU, rel=1e-5)
    assert row["constrained_mu"] + row["net_mu"] == pytest.approx(row["gross_mu"], rel=1e-12)
    bases = [c["basis"] for c in figures["constraints"]]
    assert bases == ["feature corridor_width_m (50 m wide)", "rules: river (assumption)"]


def test_a_layer_named_after_no_kind_is_refused(tmp_path, loose_files):
    parcels, line, _ = loose_files
    other = tmp_path / "lines.geojson"
    gpd.read_file(line).to_file(other)
    result = run("buildable", str(parcels), "--constraints", str(other), ok=(1,))
    assert "no kind" in result.output
    result = run("buildable", str(parcels), "--constraints", f"{tmp_path}/none.gpkg", ok=(2,))
    assert "none.gpkg" in result.output and "文件或文件夹不存在" in result.output


def test_park_folder_constraints_toml_sets_the_setbacks(tmp_path):
    park = Park(Manifest("rules"), _parcel(), constraints=_river(kind=["river"]))
    folder = write_park(park, tmp_path / "park")
    (folder / "constraints.toml").write_text(
        '["河流"]  # a kind by its Chinese name\nsetback_m = 60\n', "utf-8"
    )
    figures = json.loads(run("buildable", str(folder), "--format", "json").stdout)
    strip = SIDE * 60 / _gk_scale_squared(GK_X + 150, GK_Y + 30) / (10_000 / 15)
    assert figures["total_constrained_mu"] == pytest.approx(strip, rel=1e-5)
    assert figures["constraints"][0]["basis"] == "rules: river (park)"
    # --rules replaces the park's own rules.
    other = tmp_path / "strict.toml"
    other.write_text("[river]\nsetback_m = 90\nsource = 'local plan 2013'\n", "utf-8")
    figures = json.loads(run("buildable", str(folder), "--rules", str(other), "--format",
                             "json").stdout)  # fmt: skip
    assert figures["total_constrained_mu"] == pytest.approx(strip * 1.5, rel=1e-5)


def test_rules_round_trip_through_the_park_folder(tmp_path):
    rules = {"river": {"setback_m": 45.0, "source": "蓝线规划"}}
    park = Park(Manifest("rt", settings={"constraint_rules": rules}), _parcel())
    folder = write_park(park, tmp_path / "rt")
    assert "constraint_rules" not in (folder / "park.toml").read_text("utf-8")
    assert (folder / "constraints.toml").is_file()
    assert read_park(folder).manifest.settings["constraint_rules"] == rules


def test_buildable_text_csv_and_xlsx(tmp_path, loose_files):
    parcels, line, water = loose_files
    args = ["buildable", str(parcels), "--constraints", str(line), "--constraints", str(water)]
    text = run(*args).stdout
    assert "净可建面积(亩)" in text and "退让距离(m)" in text
    assert "Net buildable (mu)" in run("--lang", "en", *args).stdout
    # CSV for Excel: Chinese headers and labels by default, English with --lang en.
    csv = csv_of(run(*args, "--format", "csv"))
    assert list(csv.columns) == ["地块编号", "片区", "征收状态", "毛面积(亩)", "受限面积(亩)",
                                 "净可建面积(亩)"]  # fmt: skip
    assert set(csv["征收状态"]) <= {"已征收", "未征收", "已供地"}
    csv = csv_of(run("--lang", "en", *args, "--format", "csv"))
    assert list(csv.columns) == ["Parcel ID", "Zone", "Acquisition status", "Gross (mu)",
                                 "Constrained (mu)", "Net buildable (mu)"]  # fmt: skip
    by_zone = csv_of(run(*args, "--by", "zone", "--format", "csv"))
    assert by_zone["片区"].tolist() == ["东区"]
    book = tmp_path / "out" / "buildable.xlsx"
    run(*args, "--format", "xlsx", "-o", str(book))
    sheets = openpyxl.load_workbook(book).sheetnames
    assert sheets == ["parcels", "by_zone", "by_status", "constraints", "totals"]
    assert header(book, "parcels") == ["地块编号", "片区", "征收状态", "毛面积(亩)",
                                       "受限面积(亩)", "净可建面积(亩)"]  # fmt: skip
    assert header(book, "totals") == ["项目", "数值"]
    run("--lang", "en", *args, "--format", "xlsx", "-o", str(book))
    assert header(book, "by_zone")[:2] == ["Zone", "Parcels"]
    assert not [p for p in book.parent.iterdir() if p.name.startswith(".")]  # no temp left
    result = run(*args, "--format", "xlsx", ok=(2,))
    assert "-o FILE.xlsx" in result.output


@pytest.fixture
def hand_folder(tmp_path):
    """The hand park with B and C drawn large enough for their allocations (20 and 40 mu):
    a park whose allocations exceed its parcels is refused by reserve (over_allocated)."""
    park, _ = _hand_park()
    parcels = park.parcels.copy()
    for pid, side in (("B", 150.0), ("C", 170.0)):  # 33.7 and 43.3 mu: room for 20 and 40
        pos = parcels.index[parcels["parcel_id"] == pid][0]
        x0, y0 = parcels.geometry[pos].bounds[:2]
        parcels.loc[pos, "geometry"] = gk_square(x0, y0, side)
    return write_park(park.replace(parcels=parcels), tmp_path / "hand")


def test_reserve_json_contract_and_scenario(hand_folder, tmp_path):
    # Without --as-of the figures are for today: the hand park's 2014 dates would be overdue.
    f = json.loads(run("reserve", str(hand_folder), "--as-of", "2014-01-01", "--format",
                       "json").stdout)  # fmt: skip
    keys = {
        "available_mu",
        "pipeline_mu",
        "reserve_mu",
        "demand_mu",
        "shortfall_mu",
        "shortfall_after_pipeline_mu",
        "shortfall_after_reserve_mu",
        "surplus_mu",
        "by_quarter",
    }
    assert keys <= set(f)  # fmt: skip
    assert all(f[k] >= 0 for k in keys - {"by_quarter"})
    assert [q["quarter"] for q in f["by_quarter"]] == ["2014Q1", "2014Q2", "2014Q3", "2014Q4"]
    assert all({"quarter", "supply_mu", "demand_mu", "shortfall_mu"} <= set(q)
               for q in f["by_quarter"])  # fmt: skip
    # Each 100 m square is ~15 mu: available A 15 (B is fully allocated); demand as by hand 280
    # less what P2 holds (G, ~15 mu); the shortfall is their difference.
    assert f["demand_mu"] == pytest.approx(150 + 60 + 100 - f["projects_waiting"][0]["held_mu"])
    assert f["shortfall_mu"] == pytest.approx(f["demand_mu"] - f["available_mu"], rel=1e-12)
    s = json.loads(run("reserve", str(hand_folder), "--assume", "东区=acquired", "--as-of",
                       "2014-05-10", "--format", "json").stdout)  # fmt: skip
    assert s["reserve_mu"] == 0
    assert s["available_mu"] == pytest.approx(f["available_mu"] + f["reserve_mu"], rel=1e-12)
    assert s["by_quarter"][0]["quarter"] == "2014Q2"
    assert s["assumptions"][0]["zone"] == "东区"
    result = run("reserve", str(hand_folder), "--assume", "东区", ok=(2,))
    assert "ZONE=STATUS" in result.output
    result = run("reserve", str(hand_folder), "--assume", "南区=acquired", ok=(1,))
    assert "南区" in result.output


def test_reserve_loose_parcels_with_a_ledger(tmp_path):
    park, _ = _hand_park()
    parcels = tmp_path / "parcels.geojson"
    park.parcels.to_crs(4490).to_file(parcels)
    ledger = tmp_path / "projects.csv"
    park.projects.rename(columns={"name": "项目名称", "land_demand_mu": "用地需求(亩)",
                                  "stage": "阶段"}).to_csv(ledger, index=False)  # fmt: skip
    f = json.loads(run("reserve", str(parcels), "--projects", str(ledger), "--format",
                       "json").stdout)  # fmt: skip
    # No allocations table in loose files: P1 no longer holds B, P4 no earmark on C.
    waiting = {p["project_id"] for p in f["projects_waiting"]}
    assert waiting == {"P1", "P2", "P3", "P4"}
    assert f["available_mu"] == pytest.approx(30, rel=1e-3)  # A and B, ~15 mu each


def test_reserve_text_xlsx_and_output_file(hand_folder, tmp_path):
    text = run("reserve", str(hand_folder)).stdout
    assert "缺口(亩)" in text and "按季度" in text and "三号" in text
    book = tmp_path / "reserve.xlsx"
    run("reserve", str(hand_folder), "--format", "xlsx", "-o", str(book))
    assert openpyxl.load_workbook(book).sheetnames == [
        "summary", "by_quarter", "projects_waiting", "projects_excluded", "supply_parcels",
        "assumptions",
    ]  # fmt: skip
    out = tmp_path / "reserve.json"
    run("reserve", str(hand_folder), "--format", "json", "-o", str(out))
    assert json.loads(out.read_text("utf-8"))["demand_mu"] > 0


def test_gaps_with_a_fixed_today(tmp_path):
    folder = write_park(gaps_park(), tmp_path / "gaps")
    f = json.loads(run("gaps", str(folder), "--today", "2013-06-30", "--format", "json").stdout)
    by = {g["gap"]: g["parcel_ids"] for g in f["gaps"]}
    assert by == {"approved_not_acquired": ["A", "B"], "acquired_not_supplied": ["D", "E"],
                  "supplied_not_built": ["F", "G", "H"]}  # fmt: skip
    assert [a["parcel_id"] for a in f["idle_alerts"]] == ["F"]
    text = run("gaps", str(folder), "--today", "2013-06-30").stdout
    assert "批而未征" in text and "供而未用" in text
    csv = csv_of(run("gaps", str(folder), "--today", "2013-06-30", "--format", "csv"))
    assert csv["滞留天数"].tolist()[:2] == [150, 0]
    assert run("gaps", str(folder), "--today", "June", ok=(2,)).exit_code == 2


def test_targets_json_and_text(tmp_path):
    targets = pd.DataFrame(
        {"metric": ["基础设施投入", "新入园项目", "标准化厂房"], "target": [10000, 8, 5000],
         "actual": [9102, 5, 0], "unit": ["万元", "个", "平方米"], "period": ["2013"] * 3}
    )  # fmt: skip
    park = Park(Manifest("t"), _parcel(), targets=targets)
    folder = write_park(park, tmp_path / "t")
    f = json.loads(run("targets", str(folder), "--today", "2013-06-30", "--format",
                       "json").stdout)  # fmt: skip
    assert [t["pct"] for t in f["targets"]] == pytest.approx([91.02, 62.5, 0.0])
    assert f["behind"] == ["标准化厂房"]
    text = run("--lang", "en", "targets", str(folder), "--today", "2013-06-30").stdout
    assert "On track" in text and "91.0" in text


def test_enforce_patch_file_and_findings_file(tmp_path):
    from tests.test_enforce import _park as enforce_park
    from tests.test_enforce import _patches

    folder = write_park(enforce_park(), tmp_path / "e")
    patches = tmp_path / "图斑.geojson"
    _patches().to_file(patches)
    gpkg = tmp_path / "evidence" / "findings.gpkg"
    f = json.loads(run("enforce", str(folder), "--patches", str(patches), "--findings-file",
                       str(gpkg), "--format", "json").stdout)  # fmt: skip
    assert [(r["patch_id"], r["reason"]) for r in f["findings"]] == [
        ("T1", "not_approved"), ("T3", "no_title"), ("T4", "no_title"), ("T4", "outside_park"),
    ]  # fmt: skip
    assert {r["project_id"] for r in f["title_risks"]} == {"P1", "P2", "P3"}
    written = pyogrio.read_dataframe(gpkg, layer="findings")
    assert written["reason"].tolist() == [r["reason"] for r in f["findings"]]
    text = run("enforce", str(folder), "--patches", str(patches)).stdout
    assert "未批先建" in text and "园区外用地" in text


def test_a_patch_that_cannot_be_read_refuses_the_patch_layer(tmp_path):
    # A patch left out would be a finding missed: the layer is refused, naming the feature.
    from tests.test_enforce import _park as enforce_park
    from tests.test_enforce import _patches

    folder = write_park(enforce_park(), tmp_path / "e")
    collection = json.loads(_patches().to_json())
    collection["features"][1]["geometry"]["coordinates"][0][2] = [None, None]
    patches = tmp_path / "图斑.geojson"
    patches.write_text(json.dumps(collection), "utf-8")
    result = run("--lang", "en", "enforce", str(folder), "--patches", str(patches), ok=(1,))
    assert "图斑.geojson" in result.stderr and "1 patch(es) cannot be read" in result.stderr
    assert "feature 2" in result.stderr and "Traceback" not in result.output


def test_enforce_without_patches_lists_title_risks(tmp_path):
    from tests.test_enforce import _park as enforce_park

    folder = write_park(enforce_park(), tmp_path / "e")
    f = json.loads(run("enforce", str(folder), "--format", "json").stdout)
    assert f["findings"] == [] and f["note"] == "no patch layer given"
    csv = csv_of(run("enforce", str(folder), "--format", "csv"))
    assert csv["风险"].tolist()[0] == "无证建设"
    csv = csv_of(run("--lang", "en", "enforce", str(folder), "--format", "csv"))
    assert csv["Risk"].tolist()[0] == "Building without a title"


@needs_bundled
def test_bundled_park_from_the_command_line():
    f = json.loads(run("reserve", "--format", "json").stdout)
    assert f["available_mu"] == 0 and f["pipeline_mu"] == 0
    assert f["shortfall_mu"] > 0 and f["projects_waiting"]
    t = json.loads(run("targets", "--today", "2013-06-30", "--format", "json").stdout)
    pct = {r["metric"]: r["pct"] for r in t["targets"]}
    assert round(pct["新增基础设施投入"]) == 91
    assert pct["新入园项目"] == 62.5 and pct["新增标准化厂房面积"] == 0
    e = json.loads(run("enforce", "--illustrative", "--format", "json").stdout)
    assert sorted(r["company"] for r in e["findings"]) == ["武媚娘酒业", "白龙酒业"]
    assert "illustrative" in e["note"]
    building = [r["company"] for r in e["title_risks"] if r["risk"] == "building_without_title"]
    assert sorted(building) == ["武媚娘酒业", "白龙酒业"]


def test_csv_written_to_a_file_has_a_bom_and_labels(tmp_path):
    folder = write_park(gaps_park(), tmp_path / "gaps")
    out = tmp_path / "gaps.csv"
    args = ["gaps", str(folder), "--today", "2013-06-30", "--format", "csv", "-o", str(out)]
    run(*args)
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8 + "问题类型,地块编号,".encode())
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert frame["问题类型"].tolist()[0] == "批而未征"
    run("--lang", "en", *args)
    assert out.read_bytes().startswith(codecs.BOM_UTF8 + b"Gap,Parcel ID,")
    # JSON stays for tools: canonical names and codes whatever the language.
    f = json.loads(run("gaps", str(folder), "--today", "2013-06-30", "--format", "json").stdout)
    assert f["gaps"][0]["gap"] == "approved_not_acquired"
