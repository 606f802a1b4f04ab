"""``parkgis export``: every format round-trips through ``parkgis import``; the TXT through a
parser written here."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from parkgis.cli import cli
from parkgis.errors import InputError
from parkgis.io.export import export_parcels, select_parcels
from parkgis.io.importer import import_sources
from parkgis.io.store import write_park
from parkgis.measure.area import gross_area_mu
from parkgis.model.park import Manifest, Park
from tests.conftest import GK_X, GK_Y, gk_square

VECTOR = [".txt", ".gpkg", ".shp", ".geojson", ".parquet", ".kml", ".kmz", ".dxf"]


@pytest.fixture
def parcels(three_parcels) -> gpd.GeoDataFrame:
    # A hole in B (20 m), and a private column.
    hole = gk_square(GK_X + 120 + 40, GK_Y + 40, 20)
    geoms = list(three_parcels.geometry)
    geoms[1] = geoms[1].difference(hole)
    return three_parcels.set_geometry(geoms).assign(owner_name=["张三", "李四", "王五"])


def reimported(path: Path, tmp_path: Path, **options) -> gpd.GeoDataFrame:
    return import_sources([path], tmp_path / "back.gpkg", **options).park.parcels


@pytest.mark.parametrize("suffix", VECTOR)
def test_round_trip_through_import(parcels, tmp_path, suffix):
    out = tmp_path / f"parcels{suffix}"
    decisions = export_parcels(parcels, out, private_fields=("owner_name",))
    options = {"crs": "EPSG:4544"} if suffix == ".dxf" else {}
    back = reimported(out, tmp_path, **options)
    assert back["parcel_id"].tolist() == ["A", "B", "C"]
    assert back["name"].tolist() == ["甲地块", "乙地块", "丙地块"]
    assert gross_area_mu(back).to_numpy() == pytest.approx(
        gross_area_mu(parcels).to_numpy(), rel=1e-6
    )
    assert "owner_name" not in back.columns
    assert any("private field(s) left out: owner_name" in d for d in decisions)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_tables_hold_ids_names_and_areas(parcels, tmp_path, suffix):
    out = tmp_path / f"parcels{suffix}"
    export_parcels(parcels, out, lang="zh")
    table = pd.read_csv(out) if suffix == ".csv" else pd.read_excel(out, engine="openpyxl")
    assert table["地块编号"].tolist() == ["A", "B", "C"]
    assert table["名称"].tolist() == ["甲地块", "乙地块", "丙地块"]
    assert table["面积(亩)"].to_numpy() == pytest.approx(gross_area_mu(parcels).to_numpy())
    assert table["owner_name"].tolist() == ["张三", "李四", "王五"]  # not named private: kept


def parse_txt(data: bytes) -> dict:
    """A parser of the 界址点 TXT written from the format's description alone."""
    lines = data.decode("gbk").split("\r\n")
    start = lines.index("[地块坐标]")
    header = dict(line.split("=", 1) for line in lines[1:start])
    parcels: dict = {}
    for line in lines[start + 1 :]:
        if not line:
            continue
        cells = line.split(",")
        if cells[-1] == "@":
            current = parcels[cells[2]] = {"count": int(cells[0]), "ha": float(cells[1]),
                                           "name": cells[3], "rings": {}}  # fmt: skip
        else:
            current["rings"].setdefault(int(cells[1]), []).append(
                (cells[0], float(cells[2]), float(cells[3]))
            )
    return {"header": header, "parcels": parcels}


def shoelace(points) -> float:
    xs, ys = [p[1] for p in points], [p[2] for p in points]
    return abs(sum(xs[i] * ys[i + 1] - xs[i + 1] * ys[i] for i in range(len(xs) - 1))) / 2


def test_txt_read_by_an_independent_parser(parcels, tmp_path):
    out = tmp_path / "报批.txt"
    export_parcels(parcels, out, producer="测试园区")
    parsed = parse_txt(out.read_bytes())
    assert parsed["header"]["坐标系"] == "2000国家大地坐标系"
    assert parsed["header"]["带号"] == "35" and parsed["header"]["几度分带"] == "3"
    assert parsed["header"]["数据产生单位"] == "测试园区"
    a = parsed["parcels"]["A"]
    # J1 at the north-west corner, clockwise (east first), closed by J1; Y with zone 35.
    assert a["rings"][1] == [
        ("J1", GK_Y + 100, 35_000_000 + GK_X),
        ("J2", GK_Y + 100, 35_000_000 + GK_X + 100),
        ("J3", GK_Y, 35_000_000 + GK_X + 100),
        ("J4", GK_Y, 35_000_000 + GK_X),
        ("J1", GK_Y + 100, 35_000_000 + GK_X),
    ]
    assert a["count"] == 5 and a["ha"] == 1.0 and a["name"] == "甲地块"
    b = parsed["parcels"]["B"]
    assert [p[0] for p in b["rings"][2]] == ["J5", "J6", "J7", "J8", "J5"]
    area = shoelace(b["rings"][1]) - shoelace(b["rings"][2])
    assert area == 9_600.0 and b["ha"] == 0.96 and b["count"] == 10


def test_txt_zone_options(parcels, tmp_path):
    out = tmp_path / "a.txt"
    export_parcels(parcels, out, crs="EPSG:4544")
    parsed = parse_txt(out.read_bytes())
    assert parsed["parcels"]["A"]["rings"][1][0] == ("J1", GK_Y + 100, GK_X)  # no zone prefix
    assert parsed["header"]["带号"] == "35"
    export_parcels(parcels, out, zone=18)
    parsed = parse_txt(out.read_bytes())
    assert parsed["header"]["几度分带"] == "6" and parsed["header"]["带号"] == "18"
    assert parsed["parcels"]["A"]["rings"][1][0] == ("J1", GK_Y + 100, 18_000_000 + GK_X)


def test_boundary_points_workbook(parcels, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "points.xlsx"
    export_parcels(parcels, out, boundary_points=True, lang="zh")
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][0] == "地块编号 A  甲地块"
    assert rows[2][:5] == ("J1", 1, GK_Y + 100, 35_000_000 + GK_X, 100.0)
    assert rows[7][:4] == ("平面面积（高斯投影）", "10000.00 平方米", "1.0000 公顷", "15.0000 亩")
    assert rows[8][0].startswith("椭球面积")
    with pytest.raises(InputError, match="xlsx"):
        export_parcels(parcels, tmp_path / "points.csv", boundary_points=True)


def test_select_by_ids_and_status(parcels):
    assert select_parcels(parcels, parcel_ids=["A", "C"])["parcel_id"].tolist() == ["A", "C"]
    assert select_parcels(parcels, statuses=["已征收"])["parcel_id"].tolist() == ["A"]
    assert select_parcels(parcels, statuses=["储备", "supplied"])["parcel_id"].tolist() == [
        "B",
        "C",
    ]
    with pytest.raises(InputError, match="'Z'"):
        select_parcels(parcels, parcel_ids=["Z"])
    with pytest.raises(ValueError, match="征收"):
        select_parcels(parcels, statuses=["征收"])


def test_unknown_extension_refused(parcels, tmp_path):
    with pytest.raises(InputError, match=r"\.docx"):
        export_parcels(parcels, tmp_path / "a.docx")


def test_failed_write_leaves_nothing(parcels, tmp_path, monkeypatch):
    import parkgis.io.boundary_txt as txt

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    out = tmp_path / "a.txt"
    out.write_bytes(b"old")
    monkeypatch.setattr(txt, "txt_text", lambda *a, **k: "[地块坐标]\r\n")
    monkeypatch.setattr(Path, "write_bytes", broken)
    with pytest.raises(RuntimeError):
        export_parcels(parcels, out)
    monkeypatch.undo()
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_cli_export_and_private(small_park, tmp_path):
    folder = tmp_path / "park"
    park = small_park
    parcels = park.parcels.assign(owner_name=["张三", "李四", "王五"])
    write_park(Park(Manifest("tiny", "测试园区", ("owner_name",)), parcels, projects=park.projects),
               folder)  # fmt: skip
    runner = CliRunner()
    out = tmp_path / "out.gpkg"
    result = runner.invoke(cli, ["--lang", "en", "export", str(folder), "-o", str(out),
                                 "--status", "已征收", "--status", "supplied"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "owner_name" in result.output and "wrote" in result.output
    back = gpd.read_file(out)
    assert back["parcel_id"].tolist() == ["A", "C"] and "owner_name" not in back.columns
    result = runner.invoke(cli, ["export", str(folder), "-o", str(out), "--private"])
    assert result.exit_code == 0, result.output
    assert gpd.read_file(out)["owner_name"].tolist() == ["张三", "李四", "王五"]
    bad = ["--lang", "en", "export", str(folder), "-o", str(tmp_path / "x.txt"), "--zone", "99"]
    result = runner.invoke(cli, bad)
    assert result.exit_code == 2 and "--zone 99" in result.output
    assert "Traceback" not in result.output
