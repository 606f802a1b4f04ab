"""``parkgis import`` on files as a survey office hands them over, built from the bundled park."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from parkgis.cli import cli
from parkgis.io.importer import import_sources
from parkgis.io.store import read_park
from parkgis.measure.area import gross_area_mu


@pytest.fixture(scope="module")
def yuanba():
    return read_park()


def test_survey_office_delivery(tmp_path, yuanba):
    # Parcels as a GBK shapefile in the zone-prefixed GK CRS, with Chinese headers.
    parcels = yuanba.parcels[
        ["parcel_id", "name", "acquisition_status", "declared_area_mu", "geometry"]
    ]
    parcels = parcels.assign(
        acquisition_status=parcels["acquisition_status"].map(
            {"unacquired": "储备", "leveled": "净地", "sold": "已摘牌", "supplied": "已供地"}
        )
    )
    parcels.rename(
        columns={
            "parcel_id": "宗地号",
            "name": "宗地名称",
            "acquisition_status": "现状",
            "declared_area_mu": "面积亩",
        }
    ).to_crs(4523).to_file(tmp_path / "宗地.shp", encoding="GBK")
    (tmp_path / "宗地.cpg").unlink(missing_ok=True)
    # The HV line alone, in a layer named after its kind and without a kind field.
    hv = yuanba.constraints.loc[
        yuanba.constraints["kind"] == "hv_line", ["name", "voltage_kv", "setback_m", "geometry"]
    ]
    hv.to_crs(4544).to_file(tmp_path / "高压线.shp", encoding="UTF-8")
    # The project ledger as an office keeps it: a title row above the header, a 合计 row.
    projects = yuanba.projects[["project_id", "name", "stage", "investment_wan"]].rename(
        columns={
            "project_id": "项目编号",
            "name": "项目名称",
            "stage": "项目阶段",
            "investment_wan": "总投资(万元)",
        }
    )
    ledger = tmp_path / "项目台账.xlsx"
    with pd.ExcelWriter(ledger) as writer:
        pd.DataFrame([["元坝工业园区项目台账"]]).to_excel(writer, header=False, index=False)
        projects.to_excel(writer, startrow=2, index=False)
        total = pd.DataFrame([["合计", "", "", projects["总投资(万元)"].sum()]])
        total.to_excel(writer, startrow=3 + len(projects), header=False, index=False)

    report = import_sources(
        [tmp_path / "宗地.shp", tmp_path / "高压线.shp", ledger],
        tmp_path / "park.gpkg",
        title="元坝(导入)",
    )
    text = "\n".join(report.lines)
    assert "GB" in text.upper()  # the encoding decision is said
    assert "column '宗地号' → parcel_id" in text and "column '现状' → acquisition_status" in text
    assert "constraint kind 'hv_line' taken from the layer name '高压线'" in text
    assert "合计" in text  # the totals row is skipped, and said

    park = read_park(tmp_path / "park.gpkg")
    assert len(park.parcels) == len(yuanba.parcels)
    assert len(park.projects) == len(yuanba.projects)
    assert park.constraints["kind"].tolist() == ["hv_line"]
    assert park.parcels["name"].tolist() == yuanba.parcels["name"].tolist()  # Chinese text intact
    assert (
        park.parcels["acquisition_status"].tolist() == yuanba.parcels["acquisition_status"].tolist()
    )
    # Reprojected to 4523 and back through a shapefile: the same mu.
    assert gross_area_mu(park.parcels).sum() == pytest.approx(
        gross_area_mu(yuanba.parcels).sum(), rel=1e-7
    )
    out = CliRunner().invoke(cli, ["validate", str(tmp_path / "park.gpkg"), "--format", "json"])
    assert json.loads(out.output)["ok"] is True


def test_a_ledger_that_matches_no_table(tmp_path, three_parcels):
    three_parcels.to_file(tmp_path / "p.geojson")
    pd.DataFrame({"甲": [1], "乙": [2]}).to_csv(tmp_path / "odd.csv", index=False)
    result = CliRunner().invoke(
        cli,
        [
            "import",
            str(tmp_path / "p.geojson"),
            str(tmp_path / "odd.csv"),
            "-o",
            str(tmp_path / "park.gpkg"),
        ],
    )
    assert result.exit_code == 2
    assert "odd.csv" in result.output and "matches no park table" in result.output
    assert not (tmp_path / "park.gpkg").exists()  # nothing half-written


def test_one_layer_of_a_geopackage_as_file_colon_layer(tmp_path, three_parcels):
    path = tmp_path / "survey.gpkg"
    three_parcels.to_file(path, layer="parcels")
    three_parcels.iloc[:1].assign(parcel_id="R1").to_file(path, layer="reserve")
    report = import_sources([f"{path}:reserve"], tmp_path / "park.gpkg")
    assert report.park.parcels["parcel_id"].tolist() == ["R1"]
    assert f"read {path} layer 'reserve': 1 feature(s) as parcels" in report.lines
    # The same with --layer, through the command line.
    result = CliRunner().invoke(
        cli, ["import", str(path), "--layer", "parcels", "-o", str(tmp_path / "park2.gpkg")]
    )
    assert result.exit_code == 0, result.output
    assert read_park(tmp_path / "park2.gpkg").parcels["parcel_id"].tolist() == ["A", "B", "C"]


def test_import_refuses_a_crs_that_disagrees_with_the_file(tmp_path, three_parcels):
    path = tmp_path / "p.gpkg"
    three_parcels.to_file(path)
    args = ["import", str(path), "--crs", "EPSG:4545", "-o", str(tmp_path / "park.gpkg")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "文件自带的坐标系是 EPSG:4544" in result.output
    assert "--override-crs" in result.output
    assert not (tmp_path / "park.gpkg").exists()
    result = CliRunner().invoke(cli, [*args, "--override-crs"])
    assert result.exit_code == 0, result.output
    assert read_park(tmp_path / "park.gpkg").parcels.crs.to_epsg() == 4545
    assert any(
        "--override-crs, instead of the file's EPSG:4544" in line
        for line in result.output.splitlines()
    )


def test_a_fresh_import_writes_one_geopackage(tmp_path, small_park):
    """One .gpkg: GDAL lists its layers, the other tables are attribute tables of gpkg_contents."""
    import sqlite3

    import pyogrio

    source = tmp_path / "ledger.gpkg"
    small_park.parcels.to_file(source, layer="parcels")
    out = tmp_path / "park.gpkg"
    result = CliRunner().invoke(cli, ["import", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.gpkg", "park.gpkg"]
    layers = dict(pyogrio.list_layers(out).tolist())
    assert {"parcels", "constraints", "parcel_versions", "retired_parcels"} <= set(layers)
    assert layers["parcels"] == "Polygon"
    for table in ("projects", "allocations", "targets", "events", "park", "private_fields"):
        assert table in layers and layers[table] is None, table
    with sqlite3.connect(out) as con:
        kinds = dict(con.execute("SELECT table_name, data_type FROM gpkg_contents"))
    assert kinds["events"] == kinds["park"] == kinds["projects"] == "attributes"
    parcels = pyogrio.read_dataframe(out, layer="parcels")
    assert parcels["parcel_id"].tolist() == ["A", "B", "C"] and parcels.crs.to_epsg() == 4544
    assert parcels.geometry.area.round(6).tolist() == [10000.0] * 3
