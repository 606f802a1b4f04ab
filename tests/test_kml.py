"""KML/KMZ for 奥维互动地图 and Google Earth: written, read back, and read as others write it.

Parcels are squares on the central meridian of EPSG:4544 (x = 500 000), as in
tests/test_dxf.py: a 100 m square is 15 mu.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import box

from parkgis.errors import InputError
from parkgis.io.importer import import_sources
from parkgis.io.kml import kml_colour, write_kml
from parkgis.io.vector import read_layer
from parkgis.measure.area import gross_area_mu
from parkgis.model.vocab import ACQUISITION

X, Y = 500_000.0, 3_580_000.0
NS = {"k": "http://www.opengis.net/kml/2.2"}


@pytest.fixture
def parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "parcel_id": ["GY-001", "GY-002", "GY-003"],
            "name": ["中纺油脂", "<script>alert('x')</script>", "A & B"],
            "acquisition_status": ["acquired", "supplied", "unacquired"],
            "owner_phone": ["13800000000", "13900000000", None],  # not a parcel field
            "notes": ["私密", None, None],
        },
        geometry=[
            box(X, Y, X + 100, Y + 100),
            box(X + 200, Y, X + 400, Y + 100).difference(box(X + 250, Y + 25, X + 300, Y + 75)),
            box(X + 500, Y, X + 550, Y + 50).union(box(X + 600, Y, X + 650, Y + 50)),
        ],
        crs=4544,
    )


def test_kmz_round_trip_keeps_ids_names_status_and_areas(parcels, tmp_path):
    write_kml(parcels, tmp_path / "park.kmz", kmz=True)
    with zipfile.ZipFile(tmp_path / "park.kmz") as archive:
        assert archive.namelist() == ["doc.kml"]
    back = read_layer(tmp_path / "park.kmz")
    frame = back.frame
    assert frame["parcel_id"].tolist() == parcels["parcel_id"].tolist()
    assert frame["name"].tolist() == parcels["name"].tolist()
    assert frame["acquisition_status"].tolist() == parcels["acquisition_status"].tolist()
    assert gross_area_mu(frame).tolist() == pytest.approx(gross_area_mu(parcels).tolist(), rel=1e-6)
    assert gross_area_mu(frame).tolist() == pytest.approx([15.0, 26.25, 7.5], rel=1e-8)
    assert frame.geometry.iloc[2].geom_type == "MultiPolygon"
    assert "owner_phone" not in frame.columns


def test_kml_is_lonlat_styled_by_status_and_escaped(parcels, tmp_path):
    write_kml(parcels, tmp_path / "park.kml", lang="zh", private_fields=("notes",))
    raw = (tmp_path / "park.kml").read_text(encoding="utf-8")
    assert "<script>" not in raw and "13800000000" not in raw and "私密" not in raw
    root = ET.fromstring(raw.encode("utf-8"))
    marks = root.findall(".//k:Placemark", NS)
    assert [m.findtext("k:name", namespaces=NS) for m in marks] == parcels["name"].tolist()
    style = root.find(".//k:Style[@id='status-supplied']/k:PolyStyle/k:color", NS)
    assert style.text == kml_colour(ACQUISITION.colour("supplied"), alpha=0x80)
    assert kml_colour("#1a9850") == "ff50981a"
    assert marks[1].findtext("k:styleUrl", namespaces=NS) == "#status-supplied"
    description = marks[1].findtext("k:description", namespaces=NS)
    # The description is HTML: the user's text in it is escaped once more.
    assert "<script>" not in description
    assert html.escape("<script>alert('x')</script>") in description
    assert "征收状态" in description and "已供地" in description and "26.25" in description
    lon, lat = map(
        float, marks[0].findtext(".//k:coordinates", namespaces=NS).split()[0].split(",")
    )
    # CGCS2000 written as it is, not shifted: the first corner is the parcel's in EPSG:4490.
    assert (lon, lat) == parcels.to_crs(4490).geometry.iloc[0].exterior.coords[0]


def test_kml_as_ovital_writes_it_name_as_id_points_reported(tmp_path):
    kml = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>地块</name>
<Placemark><name>GY-001</name><description>&lt;b&gt;工业&lt;/b&gt;</description>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
105.0,32.0,0 105.001,32.0,0 105.001,32.001,0 105.0,32.001,0 105.0,32.0,0
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
<Placemark><name>大门</name><Point><coordinates>105.0,32.0</coordinates></Point></Placemark>
<Placemark><name>中纺地块</name><MultiGeometry><Point><coordinates>105.002,32.0</coordinates></Point>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
105.002,32.0 105.003,32.0 105.003,32.001 105.002,32.001
</coordinates></LinearRing></outerBoundaryIs></Polygon></MultiGeometry></Placemark>
</Folder></Document></kml>"""
    path = tmp_path / "ovital.kml"
    path.write_text(kml, encoding="utf-8")
    read = read_layer(path)
    frame = read.frame
    assert frame["parcel_id"].iloc[0] == "GY-001" and frame["name"].iloc[1] == "中纺地块"
    assert frame["notes"].iloc[0] == "工业"
    said = "\n".join(read.decisions)
    assert "1 Placemark(s) with Point (Placemark 2 '大门')" in said
    assert "its Point left out" in said
    # The second ring lists its corners without closing: 111 m open, so it is not measured.
    assert [b.feature for b in read.broken] == [2] and "not closed" in read.broken[0].reason
    assert frame.geometry.iloc[1] is None
    expected = gpd.GeoSeries([box(105.0, 32.0, 105.001, 32.001)], crs=4326)
    assert gross_area_mu(frame).iloc[0] == pytest.approx(gross_area_mu(expected).iloc[0], rel=1e-12)
    assert read_layer(f"{path}", layer="地块").frame.shape[0] == 2
    with pytest.raises(InputError, match="no Folder named 'x'"):
        read_layer(path, layer="x")


def test_kml_with_a_doctype_or_bad_xml_is_refused_naming_the_file(tmp_path):
    bomb = tmp_path / "bomb.kml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaa">]><kml>&a;</kml>')
    with pytest.raises(InputError, match=r"bomb\.kml: the file declares a DOCTYPE"):
        read_layer(bomb)
    broken = tmp_path / "broken.kml"
    broken.write_text("<kml>\n<Document>\n<Placemark></Document></kml>")
    with pytest.raises(InputError, match=r"broken\.kml: not well-formed XML at line 3"):
        read_layer(broken)


def test_import_reads_a_kmz(parcels, tmp_path):
    write_kml(parcels, tmp_path / "park.kmz", kmz=True)
    report = import_sources([tmp_path / "park.kmz"], tmp_path / "imported.gpkg")
    assert report.park.parcels["parcel_id"].tolist() == ["GY-001", "GY-002", "GY-003"]
    assert report.park.parcels["acquisition_status"].tolist() == [
        "acquired", "supplied", "unacquired"
    ]  # fmt: skip
