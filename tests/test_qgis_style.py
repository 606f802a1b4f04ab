"""The parcels' QGIS style and the fields' Chinese aliases in a GeoPackage.

A GeoPackage written by geopandas (pyogrio) gets parkgis's ``layer_styles``
and ``gpkg_data_columns`` rows; the QML is checked as XML, the file is read
back by GDAL, and real QGIS (Debian's python3-qgis, run by Debian's own
/usr/bin/python3, headless) loads the style and the aliases.
"""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pyogrio
import pytest

from parkgis.io.qgis_style import data_columns, layer_style_rows, write_qgis_metadata
from parkgis.model.vocab import ACQUISITION
from tests.conftest import needs

SYSTEM_PYTHON = Path("/usr/bin/python3")


def _has_qgis() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    found = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import qgis.core"],
        capture_output=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    return found.returncode == 0


@pytest.fixture
def gpkg(tmp_path, three_parcels):
    path = tmp_path / "park.gpkg"
    three_parcels.to_file(path, layer="parcels", driver="GPKG")
    with sqlite3.connect(path) as conn:
        write_qgis_metadata(conn, tables=["parcels", "projects"], lang="zh")
    return path


def test_layer_styles_holds_the_parcels_default_style(gpkg):
    with sqlite3.connect(gpkg) as conn:
        rows = conn.execute(
            "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML, styleSLD "
            "FROM layer_styles"
        ).fetchall()
        geometry_column = conn.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = 'parcels'"
        ).fetchone()[0]
    assert len(rows) == 1
    table, column, default, qml, sld = rows[0]
    assert (table, column, default) == ("parcels", geometry_column, 1)
    renderer = ET.fromstring(qml).find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol"
    assert renderer.get("attr") == "acquisition_status"
    categories = renderer.find("categories")
    assert [(c.get("value"), c.get("label")) for c in categories] == [
        (t.code, t.zh) for t in ACQUISITION
    ]
    assert len(categories) == 7
    symbols = {s.get("name"): s for s in renderer.find("symbols")}
    for category, term in zip(categories, ACQUISITION, strict=True):
        colour = symbols[category.get("symbol")].find("layer/Option/Option[@name='color']")
        h = term.colour.lstrip("#")
        rgb = ",".join(str(int(h[i : i + 2], 16)) for i in (0, 2, 4))
        assert colour.get("value").startswith(rgb + ",")
    se = "{http://www.opengis.net/se}"
    rules = ET.fromstring(sld).iter(f"{se}Rule")
    assert [(r.find(f"{se}Name").text, r.find(f".//{se}SvgParameter").text) for r in rules] == [
        (t.zh, t.colour) for t in ACQUISITION
    ]


def test_gdal_lists_the_style_table_and_reads_the_aliases(gpkg):
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    assert layers["parcels"] in ("Polygon", "MultiPolygon")
    assert "layer_styles" in layers and layers["layer_styles"] is None  # an attribute table
    assert pyogrio.read_dataframe(gpkg, layer="layer_styles")["useAsDefault"].tolist() == [1]
    with sqlite3.connect(gpkg) as conn:
        aliases = dict(
            conn.execute(
                "SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'parcels'"
            ).fetchall()
        )
        extension = conn.execute(
            "SELECT extension_name FROM gpkg_extensions WHERE table_name = 'gpkg_data_columns'"
        ).fetchone()
    # Only the columns the layer has; projects is not in this file.
    assert aliases == {
        "parcel_id": "地块编号",
        "name": "名称",
        "acquisition_status": "征收状态",
        "declared_area_mu": "申报面积(亩)",
    }
    assert extension == ("gpkg_schema",)


def test_writing_twice_keeps_one_default_style(gpkg):
    with sqlite3.connect(gpkg) as conn:
        write_qgis_metadata(conn, tables=["parcels"], lang="en")
        rows = conn.execute("SELECT styleName, useAsDefault FROM layer_styles").fetchall()
        n = conn.execute("SELECT count(*) FROM gpkg_data_columns").fetchone()[0]
    assert rows == [("Acquisition status", 1)]
    assert n == 4


def test_rows_have_the_columns_qgis_writes():
    (row,) = layer_style_rows(lang="en")
    assert list(row) == [
        "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
        "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
    ]  # fmt: skip
    assert 'label="Supplied"' in row["styleQML"]
    labels = [r["name"] for r in data_columns("projects")]
    assert len(labels) == len(set(labels))
    assert data_columns("events") == []


QGIS_SCRIPT = r"""
import json, os, sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
layer = QgsVectorLayer(sys.argv[1] + "|layername=parcels", "parcels", "ogr")
message, ok = layer.loadDefaultStyle()
renderer = layer.renderer()
out = {
    "valid": layer.isValid(),
    "loaded": ok,
    "type": renderer.type(),
    "attr": renderer.classAttribute() if renderer.type() == "categorizedSymbol" else None,
    "categories": [
        [c.value(), c.label(), c.symbol().color().name()] for c in renderer.categories()
    ] if renderer.type() == "categorizedSymbol" else [],
    "aliases": {f.name(): layer.attributeAlias(i) for i, f in enumerate(layer.fields())},
}
print(json.dumps(out, ensure_ascii=False), flush=True)
os._exit(0)  # exitQgis() can crash headless
"""


@needs(_has_qgis(), "QGIS is not installed (apt-get install python3-qgis)")
def test_qgis_opens_the_parcels_coloured_by_status(gpkg):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""}
    env.pop("VIRTUAL_ENV", None)
    run = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", QGIS_SCRIPT, str(gpkg)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["valid"] and out["loaded"], out
    assert out["type"] == "categorizedSymbol"
    assert out["attr"] == "acquisition_status"
    assert out["categories"] == [[t.code, t.zh, t.colour] for t in ACQUISITION]
    assert out["aliases"]["acquisition_status"] == "征收状态"
    assert out["aliases"]["parcel_id"] == "地块编号"


def test_no_qgis_module_in_this_interpreter():
    # QGIS is driven in Debian's own Python; parkgis never imports it.
    assert "qgis" not in sys.modules


def test_a_park_geopackage_carries_the_style_and_no_private_field(tmp_path):
    from parkgis.io.store import read_park, write_park

    park = read_park(private=True)
    assert park.manifest.private_fields
    path = write_park(park, tmp_path / "yuanba.gpkg")
    fields = set(pyogrio.read_info(path, layer="parcels")["fields"])
    assert "acquisition_status" in fields
    assert not fields & set(park.manifest.private_fields)
    with sqlite3.connect(path) as conn:
        (default,) = conn.execute(
            "SELECT styleQML FROM layer_styles WHERE f_table_name = 'parcels' AND useAsDefault"
        ).fetchone()
    assert ET.fromstring(default).find("renderer-v2").get("type") == "categorizedSymbol"
