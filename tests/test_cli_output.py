"""``-o OUT`` of the figure commands: layers and spreadsheets by extension (parkgis.cli.output).

Each file is opened with an independent reader (pyogrio/geopandas for
layers, openpyxl for workbooks) and its content compared with the
command's own JSON.
"""

from __future__ import annotations

import json

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
from click.testing import CliRunner

import parkgis
from parkgis.cli import cli
from parkgis.measure.area import gross_area_mu
from parkgis.sample import build_yuanba
from tests.test_landuse import dltb, gdb, parcels  # noqa: F401 - fixtures

DAY = "2013-06-30"


def run(*args: str, ok: tuple[int, ...] = (0,)):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in ok, result.output
    return result


def as_json(*args: str):
    return json.loads(run(*args, "--format", "json").stdout)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet", ".shp"])
def test_area_writes_a_layer_with_each_parcels_geometry(tmp_path, suffix):
    out = tmp_path / f"areas{suffix}"
    run("area", "-o", str(out))
    rows = {r["parcel_id"]: r["area_mu"] for r in as_json("area")}
    layer = gpd.read_parquet(out) if suffix == ".parquet" else pyogrio.read_dataframe(out)
    assert layer.crs.to_epsg() == 4490 and len(layer) == len(rows) == 26
    assert dict(zip(layer["parcel_id"], layer["area_mu"], strict=True)) == pytest.approx(rows)
    # The geometry is the parcel's: measured again, the same mu.
    again = gross_area_mu(layer)
    assert again.tolist() == pytest.approx(layer["area_mu"].tolist(), rel=1e-6)
    if suffix == ".gpkg":
        assert pyogrio.list_layers(out)[0][0] == "areas"
    if suffix == ".shp":
        assert out.with_suffix(".cpg").read_text() == "GBK"


def test_area_xlsx_is_for_people(tmp_path):
    book = tmp_path / "areas.xlsx"
    run("area", "-o", str(book))
    sheet = openpyxl.load_workbook(book)["parcels"]
    head = [c.value for c in sheet[1]]
    assert head[:5] == ["地块编号", "名称", "片区", "征收状态", "面积(亩)"]
    assert sheet.freeze_panes == "A2"
    mu = head.index("面积(亩)") + 1
    pct = head.index("差异(%)") + 1
    assert sheet.cell(2, mu).number_format == "#,##0.00"
    assert sheet.cell(2, pct).number_format == "0.0%"
    assert sheet.cell(2, 4).value == "已摘牌"  # codes as labels
    total = sheet.cell(sheet.max_row, 1)
    assert total.value == "合计" and total.font.bold
    rows = [sheet.cell(r, mu).value for r in range(2, sheet.max_row)]
    assert len(rows) == 26
    assert sheet.cell(sheet.max_row, mu).value == pytest.approx(sum(rows))
    assert sheet.cell(sheet.max_row, mu).value == pytest.approx(1656.0, abs=0.01)
    assert sheet.column_dimensions["B"].width >= 14  # Chinese names fit
    by = tmp_path / "by.xlsx"
    run("--lang", "en", "area", "--by", "acquisition_status", "-o", str(by))
    sheet = openpyxl.load_workbook(by)["by_acquisition_status"]
    assert [c.value for c in sheet[1]][:3] == ["Acquisition status", "Parcels", "Area (mu)"]
    assert sheet.cell(sheet.max_row, 1).value == "Total"


def test_area_csv_and_json_by_extension(tmp_path):
    run("area", "-o", str(tmp_path / "a.csv"))
    raw = (tmp_path / "a.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "面积(亩)".encode() in raw
    run("area", "-o", str(tmp_path / "a.json"))
    rows = json.loads((tmp_path / "a.json").read_text("utf-8"))
    assert len(rows) == 26 and "geometry" not in rows[0]


def test_a_summary_has_no_layer_and_a_format_must_agree(tmp_path):
    result = run("area", "--by", "zone", "-o", str(tmp_path / "z.gpkg"), ok=(2,))
    assert "no geometry" in result.output
    result = run("area", "--format", "csv", "-o", str(tmp_path / "a.json"), ok=(2,))
    assert "--format csv" in result.output


def test_buildable_layer_is_the_net_buildable_part(tmp_path):
    out = tmp_path / "net.gpkg"
    run("buildable", "-o", str(out))
    layer = pyogrio.read_dataframe(out, layer="buildable")
    net = {r["parcel_id"]: r["net_mu"] for r in as_json("buildable")["parcels"]}
    assert dict(zip(layer["parcel_id"], layer["net_mu"], strict=True)) == pytest.approx(net)
    measured = gross_area_mu(layer)
    assert measured.tolist() == pytest.approx(layer["net_mu"].tolist(), rel=1e-4, abs=1e-3)
    assert (layer["net_mu"] < layer["gross_mu"] - 1).any()  # the corridors are cut out
    book = tmp_path / "net.xlsx"
    run("buildable", "-o", str(book))
    sheet = openpyxl.load_workbook(book)["parcels"]
    head = [c.value for c in sheet[1]]
    col = head.index("净可建面积(亩)") + 1
    values = [sheet.cell(r, col).value for r in range(2, sheet.max_row)]
    assert sheet.cell(sheet.max_row, 1).value == "合计"
    assert sheet.cell(sheet.max_row, col).value == pytest.approx(sum(values))
    assert sum(values) == pytest.approx(sum(net.values()))


def test_enforce_layer_holds_the_patch_pieces(tmp_path):
    out = tmp_path / "findings.geojson"
    run("enforce", "--illustrative", "-o", str(out))
    layer = pyogrio.read_dataframe(out)
    findings = as_json("enforce", "--illustrative")["findings"]
    assert len(layer) == len(findings) > 0
    assert gross_area_mu(layer).tolist() == pytest.approx(layer["overlap_mu"].tolist(), rel=1e-3)


def test_reserve_gaps_and_targets(tmp_path):
    run("reserve", "--as-of", DAY, "-o", str(tmp_path / "r.gpkg"))
    supply = pyogrio.read_dataframe(tmp_path / "r.gpkg", layer="supply_parcels")
    figures = as_json("reserve", "--as-of", DAY)
    assert sorted(supply["parcel_id"]) == sorted(p["parcel_id"] for p in figures["supply_parcels"])
    assert supply.geometry.notna().all()
    run("reserve", "--as-of", DAY, "-o", str(tmp_path / "r.json"))
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["demand_mu"] == 190.0
    run("gaps", "--today", DAY, "-o", str(tmp_path / "g.geojson"))
    gaps = pyogrio.read_dataframe(tmp_path / "g.geojson")
    assert len(gaps) and gaps.geometry.notna().all()
    book = tmp_path / "t.xlsx"
    run("targets", "--today", DAY, "-o", str(book))
    sheet = openpyxl.load_workbook(book)["targets"]
    head = [c.value for c in sheet[1]]
    assert sheet.cell(2, head.index("完成率(%)") + 1).number_format == "0.0%"
    result = run("targets", "--today", DAY, "-o", str(tmp_path / "t.gpkg"), ok=(2,))
    assert "no geometry" in result.output


def test_landuse_layer(parcels, gdb, tmp_path):  # noqa: F811 - the imported fixtures
    parcels.to_file(tmp_path / "parcels.gpkg", layer="parcels")
    out = tmp_path / "landuse.gpkg"
    run("landuse", str(tmp_path / "parcels.gpkg"), "--landuse", str(gdb), "-o", str(out))
    layer = pyogrio.read_dataframe(out, layer="landuse")
    assert list(layer["parcel_id"]) == ["P1", "P2"] and layer.crs.to_epsg() == 4544
    assert layer.geometry.area.tolist() == pytest.approx([20_000, 10_000])


def test_the_api_tables_are_layers(tmp_path):
    park = build_yuanba()
    areas = parkgis.area_table(park.parcels)
    assert isinstance(areas, gpd.GeoDataFrame) and areas.crs == park.parcels.crs
    areas.to_file(tmp_path / "areas.gpkg")
    assert len(pyogrio.read_dataframe(tmp_path / "areas.gpkg")) == 26
    assert type(parkgis.area_by(areas, "zone")) is not gpd.GeoDataFrame  # a summary stays a table
    table = parkgis.buildable_table(park)
    assert isinstance(table, gpd.GeoDataFrame)
    assert table.geometry.equals(park.parcels.geometry.set_axis(table.index))
