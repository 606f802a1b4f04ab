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
        tmp_path / "park",
        title="元坝(导入)",
    )
    text = "\n".join(report.lines)
    assert "GB" in text.upper()  # the encoding decision is said
    assert "column '宗地号' → parcel_id" in text and "column '现状' → acquisition_status" in text
    assert "constraint kind 'hv_line' taken from the layer name '高压线'" in text
    assert "合计" in text  # the totals row is skipped, and said

    park = read_park(tmp_path / "park")
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
    out = CliRunner().invoke(cli, ["validate", str(tmp_path / "park"), "--format", "json"])
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
            str(tmp_path / "park"),
        ],
    )
    assert result.exit_code == 2
    assert "odd.csv" in result.output and "matches no park table" in result.output
    assert not (tmp_path / "park").exists()  # nothing half-written
