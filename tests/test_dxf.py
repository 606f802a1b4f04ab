"""CASS drawings (DXF): parcels read from closed polylines and texts, written back.

Every drawing is made here with ezdxf the way CASS saves one: AutoCAD 2000
format, GBK text (``$DWGCODEPAGE = ANSI_936``), boundaries on layer ``JZX``,
ids on ``ZDH``. Parcels are squares on the central meridian of EPSG:4544
(x = 500 000), where the Gauss-Kruger plane is true: within 400 m of it a
planar area is the ellipsoidal one to 1e-8 (a 100 m square: 15 mu).
"""

from __future__ import annotations

from pathlib import Path

import ezdxf
import geopandas as gpd
import pytest
from click.testing import CliRunner
from ezdxf.enums import TextEntityAlignment
from shapely.geometry import box

from parkgis.cli import cli
from parkgis.errors import CRSMissingError, InputError
from parkgis.io.dxf import write_dxf
from parkgis.io.importer import import_sources
from parkgis.io.vector import read_layer
from parkgis.measure.area import gross_area_mu

X, Y = 500_000.0, 3_580_000.0


def _square(msp, x0, y0, w, h, *, layer="JZX", close=True, repeat=False):
    points = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
    if repeat:
        points.append((x0, y0))
    return msp.add_lwpolyline(points, close=close, dxfattribs={"layer": layer})


def _text(msp, text, x, y, layer):
    msp.add_text(text, height=2, dxfattribs={"layer": layer}).set_placement(
        (x, y), align=TextEntityAlignment.MIDDLE_CENTER
    )


def _save_gbk(doc, path: Path) -> Path:
    """Save as CASS does: GBK text, the header naming code page 936."""
    doc.encoding = "cp936"
    doc.saveas(path)
    path.write_bytes(path.read_bytes().replace(b"ANSI_1252", b"ANSI_936"))
    return path


@pytest.fixture
def cass_dxf(tmp_path) -> Path:
    """Two parcels, an island, and what is not a parcel: an open line, a text outside, a block."""
    doc = ezdxf.new("R2000")
    msp = doc.modelspace()
    _square(msp, X, Y, 100, 100)  # GY-001: 15 mu, its id on ZDH, its name a Chinese text
    _text(msp, "GY-001", X + 50, Y + 50, "ZDH")
    msp.add_text("中纺油脂", height=2, dxfattribs={"layer": "ZJ", "insert": (X + 20, Y + 20)})
    msp.add_text("J1", height=1, dxfattribs={"layer": "JZD", "insert": (X + 1, Y + 1)})
    # GY-002: 200 m x 100 m closed by coordinates (no closed flag), a 50 m island inside.
    _square(msp, X + 200, Y, 200, 100, close=False, repeat=True)
    _square(msp, X + 250, Y + 25, 50, 50)
    msp.add_mtext("宗地号：GY-002", dxfattribs={"layer": "ZJ", "insert": (X + 350, Y + 50)})
    msp.add_lwpolyline([(X, Y - 20), (X + 50, Y - 30), (X + 100, Y - 20)],
                       dxfattribs={"layer": "DLSS"})  # fmt: skip
    _text(msp, "GY-009", X + 1_000, Y + 50, "ZDH")
    block = doc.blocks.new("JZDSYMB")
    block.add_circle((0, 0), 0.5)
    msp.add_blockref("JZDSYMB", (X, Y), dxfattribs={"layer": "JZD"})
    return _save_gbk(doc, tmp_path / "cass.dxf")


def test_cass_drawing_reads_ids_names_and_exact_areas(cass_dxf):
    read = read_layer(cass_dxf, crs="EPSG:4544")
    frame = read.frame
    assert frame["parcel_id"].tolist() == ["GY-001", "GY-002"]
    assert frame["name"].iloc[0] == "中纺油脂" and frame["name"].isna().iloc[1]
    assert gross_area_mu(frame).tolist() == pytest.approx([15.0, 26.25], rel=1e-8)
    assert frame.geometry.iloc[1].interiors[0].length == pytest.approx(200.0)
    said = "\n".join(read.decisions)
    assert "ANSI_936" in said or "gbk" in said.lower()
    assert "1 open lines" in said and "handle" in said
    assert "texts outside every parcel ('GY-009'" in said
    assert "1 blocks (INSERT) (block 'JZDSYMB'" in said
    assert "taken as holes (islands)" in said
    assert "boundary-point number" in said
    assert not read.broken and not read.warned


def test_dxf_without_crs_is_refused_naming_the_option(cass_dxf):
    with pytest.raises(
        CRSMissingError, match=r"cass\.dxf: a DXF drawing carries no coordinate"
    ) as e:
        read_layer(cass_dxf)
    assert "--crs EPSG:4544" in str(e.value) and "--crs" in (e.value.zh or "")


def test_two_id_texts_in_one_parcel_are_refused_naming_both(tmp_path):
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    _square(msp, X, Y, 100, 100)
    _text(msp, "GY-001", X + 30, Y + 50, "ZDH")
    _text(msp, "GY-007", X + 70, Y + 50, "ZDH")
    doc.saveas(tmp_path / "two.dxf")
    with pytest.raises(InputError, match=r"'GY-001' and 'GY-007'") as e:
        read_layer(tmp_path / "two.dxf", crs=4544)
    assert "two.dxf" in str(e.value) and "handle" in str(e.value)


def test_closed_polylines_on_two_layers_need_the_layer(tmp_path):
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    _square(msp, X, Y, 100, 100, layer="JZX")
    _text(msp, "GY-001", X + 50, Y + 50, "ZDH")
    _square(msp, X + 10, Y + 10, 10, 10, layer="JMD")  # a house
    doc.saveas(tmp_path / "two_layers.dxf")
    with pytest.raises(InputError, match=r"2 CAD layers: 'JZX' \(1\), 'JMD' \(1\)"):
        read_layer(tmp_path / "two_layers.dxf", crs=4544)
    read = read_layer(tmp_path / "two_layers.dxf", crs=4544, layer="JZX")
    assert read.frame["parcel_id"].tolist() == ["GY-001"]
    assert gross_area_mu(read.frame).iloc[0] == pytest.approx(15.0, rel=1e-9)
    assert "closed polylines on CAD layer 'JMD'" in "\n".join(read.decisions)
    for spec, layer in (
        (f"{tmp_path / 'two_layers.dxf'}:JZX", None),
        (tmp_path / "two_layers.dxf", "JZX"),
    ):
        out = tmp_path / f"park{layer}.gpkg"
        report = import_sources([spec], out, crs="EPSG:4544", layer=layer)
        assert report.park.parcels["parcel_id"].tolist() == ["GY-001"]


def test_open_boundaries_are_joined_when_close_else_kept_without_geometry(tmp_path):
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    near = [(X, Y), (X + 100, Y), (X + 100, Y + 100), (X, Y + 100), (X, Y + 0.5)]
    msp.add_lwpolyline(near, dxfattribs={"layer": "JZX"})
    _text(msp, "GY-001", X + 50, Y + 50, "ZDH")
    far = [(X + 200, Y), (X + 300, Y), (X + 300, Y + 100), (X + 210, Y + 100)]
    msp.add_lwpolyline(far, dxfattribs={"layer": "JZX"})
    _square(msp, X + 400, Y, 100, 100)  # a closed one, so that JZX is the parcels' layer
    doc.saveas(tmp_path / "open.dxf")
    read = read_layer(tmp_path / "open.dxf", crs=4544)
    assert read.frame["parcel_id"].iloc[0] == "GY-001"
    assert read.frame["parcel_id"].isna().tolist() == [False, True, True]
    assert [w.code for w in read.warned] == ["unclosed_ring"]
    assert "0.500 m" in read.warned[0].reason
    assert [b.feature for b in read.broken] == [3]
    assert "100.50 m apart" in read.broken[0].reason
    assert read.frame.geometry.iloc[2] is None


def test_write_dxf_round_trip_in_the_gk_zone(tmp_path):
    holed = box(X + 200, Y, X + 400, Y + 100).difference(box(X + 250, Y + 25, X + 300, Y + 75))
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["GY-001", "GY-002"], "name": ["中纺油脂", "Plot <B>"]},
        geometry=[box(X, Y, X + 100, Y + 100), holed],
        crs=4544,
    ).to_crs(4490)
    crs = write_dxf(parcels, tmp_path / "out.dxf")
    assert crs.to_epsg() == 4544
    doc = ezdxf.readfile(tmp_path / "out.dxf")
    lines = doc.modelspace().query("LWPOLYLINE")
    assert len(lines) == 3 and all(line.closed for line in lines)
    assert {t.dxf.text for t in doc.modelspace().query("TEXT")} == {
        "GY-001", "GY-002", "中纺油脂", "Plot <B>"
    }  # fmt: skip
    back = read_layer(tmp_path / "out.dxf", crs=4544)
    assert back.frame["parcel_id"].tolist() == ["GY-001", "GY-002"]
    assert back.frame["name"].tolist() == ["中纺油脂", "Plot <B>"]
    assert gross_area_mu(back.frame).tolist() == pytest.approx(
        gross_area_mu(parcels).tolist(), rel=1e-6
    )
    assert gross_area_mu(back.frame).tolist() == pytest.approx([15.0, 26.25], rel=1e-6)


def test_import_and_area_read_a_dxf(cass_dxf, tmp_path):
    report = import_sources([cass_dxf], tmp_path / "park.gpkg", crs="EPSG:4544")
    said = "\n".join(report.lines)
    assert "2 feature(s) as parcels" in said and "1 open lines" in said
    assert report.park.parcels["parcel_id"].tolist() == ["GY-001", "GY-002"]
    # A CASS drawing has no acquisition status: validate reads it and says so.
    result = CliRunner().invoke(
        cli, ["--lang", "en", "validate", str(cass_dxf), "--crs", "EPSG:4544"]
    )
    assert result.exit_code == 1 and "acquisition_status" in result.output
    assert "Traceback" not in result.output
