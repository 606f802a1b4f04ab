"""Reading vector layers as survey offices hand them over.

Every file is written here (pyogrio, geopandas, or by hand for GeoJSON), then
spoiled the way real files are: .cpg removed, .prj missing, axes swapped, a
shape record or a GeoPackage blob corrupted. Parcels are 100 m squares in
EPSG:4544 near Yuanba (590 000 E, 3 577 000 N, about 105.96E 32.32N): 15 mu
each on the plane, 14.997 mu on the ellipsoid (90 km from the central meridian
the Gauss-Kruger plane is 1.0002 times larger in area).
"""

from __future__ import annotations

import json
import sqlite3
import struct
import zipfile
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from corpus.cases_files import HALF_DISC_MU, half_disc_wkb, polygon_wkb, write_wkb
from corpus.harness import GK_X as CM_X
from geopandas.testing import assert_geodataframe_equal
from pyproj import Transformer
from shapely.geometry import Polygon, box

from parkgis.errors import CRSMissingError, EncodingError, InputError, SuspectCoordinatesError
from parkgis.io.loose import split_layer
from parkgis.io.vector import BrokenFeature, FeatureWarning, read_layer
from parkgis.measure.area import gross_area_mu
from tests.conftest import GK_X, GK_Y

NAMES = ["香香嘴", "中纺油脂", "蜀丰酒业"]
IDS = ["P-1", "P-2", "P-3"]
TO_LONLAT = Transformer.from_crs(4544, 4490, always_xy=True)


def squares(n: int = 3, *, x: float = GK_X, y: float = GK_Y) -> list[Polygon]:
    """``n`` 100 m squares in a row, 20 m apart."""
    return [box(x + i * 120, y, x + i * 120 + 100, y + 100) for i in range(n)]


def parcels(crs: str | None = "EPSG:4544", geoms: list | None = None) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"DKBH": IDS, "MC": NAMES}, geometry=geoms or squares(), crs=crs)


def lonlat(x: float, y: float) -> list[float]:
    lon, lat = TO_LONLAT.transform(x, y)
    return [round(lon, 7), round(lat, 7)]


def write_gbk_shapefile(folder: Path, *, ldid: int = 0, frame=None) -> Path:
    path = folder / "parcels.shp"
    (frame if frame is not None else parcels()).to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").unlink()
    dbf = path.with_suffix(".dbf")
    raw = bytearray(dbf.read_bytes())
    raw[29] = ldid
    dbf.write_bytes(bytes(raw))
    return path


def geojson(folder: Path, features: list[dict], *, name: str = "parcels.geojson") -> Path:
    path = folder / name
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
        encoding="utf-8",
    )
    return path


def feature(pid: str, name: str, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": {"DKBH": pid, "MC": name}, "geometry": geometry}


def _ring(i: int) -> list[tuple[float, float]]:
    return list(squares(3)[i].exterior.coords)


def square_ring(i: int) -> list[list[float]]:
    x0, y0, x1, y1 = squares(3)[i].bounds
    return [lonlat(x0, y0), lonlat(x1, y0), lonlat(x1, y1), lonlat(x0, y1), lonlat(x0, y0)]


# --- encodings -------------------------------------------------------------------------


def test_gdal_alone_reads_gbk_without_cpg_as_mojibake(tmp_path):
    """The trap this module exists for (if GDAL ever detects GBK itself, this fails)."""
    path = write_gbk_shapefile(tmp_path)
    assert pyogrio.read_dataframe(path)["MC"].tolist()[0] == "ÏãÏã×ì"


@pytest.mark.parametrize(("ldid", "encoding"), [(0, "GB18030"), (0x4D, "GBK")])
def test_gbk_shapefile_without_cpg_reads_right_chinese(tmp_path, ldid, encoding):
    read = read_layer(write_gbk_shapefile(tmp_path, ldid=ldid))
    assert read.frame["MC"].tolist() == NAMES
    assert read.decisions[0].startswith(f"encoding {encoding}:")


def test_folder_of_gbk_shapefiles(tmp_path):
    write_gbk_shapefile(tmp_path)
    parcels().iloc[:1].to_file(tmp_path / "reserve.shp", encoding="GBK", engine="pyogrio")
    (tmp_path / "reserve.cpg").unlink()
    with pytest.raises(InputError, match="2 layers with geometry"):
        read_layer(tmp_path)
    read = read_layer(tmp_path, layer="reserve")
    assert read.frame["MC"].tolist() == NAMES[:1]
    assert read.decisions[0].startswith("encoding GB18030:")
    assert "from the .prj" in read.decisions[-1]


def test_gb18030_only_characters_survive(tmp_path):
    frame = parcels().assign(MC=["刘䶮", "𠀀地块", "蜀丰"])
    path = tmp_path / "parcels.shp"
    frame.to_file(path, encoding="GB18030", engine="pyogrio")
    path.with_suffix(".cpg").unlink()
    assert read_layer(path).frame["MC"].tolist() == ["刘䶮", "𠀀地块", "蜀丰"]


def test_zipped_gbk_shapefile(tmp_path):
    """Offices send zips; GDAL reads them, and would read GBK as Latin-1 too."""
    write_gbk_shapefile(tmp_path)
    archive = tmp_path / "parcels.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in tmp_path.glob("parcels.*"):
            if part != archive:
                out.write(part, f"成果/{part.name}")
    read = read_layer(archive)
    assert read.frame["MC"].tolist() == NAMES
    assert read.decisions[0].startswith("encoding GB18030:")


def test_gbk_field_names_are_decoded(tmp_path):
    frame = parcels().rename(columns={"DKBH": "地块编号", "MC": "名称"})
    read = read_layer(write_gbk_shapefile(tmp_path, frame=frame))
    assert list(read.frame.columns) == ["地块编号", "名称", "geometry"]
    assert read.id_field == "地块编号"


def test_utf8_shapefile_without_cpg(tmp_path):
    path = tmp_path / "parcels.shp"
    parcels().to_file(path, engine="pyogrio")
    path.with_suffix(".cpg").unlink()
    read = read_layer(path)
    assert read.frame["MC"].tolist() == NAMES
    assert read.decisions[0].startswith("encoding UTF-8:")


def test_lying_cpg(tmp_path):
    path = write_gbk_shapefile(tmp_path)
    path.with_suffix(".cpg").write_text("UTF-8")
    read = read_layer(path)
    assert read.frame["MC"].tolist() == NAMES
    assert "not trusted" in read.decisions[0]


def test_encoding_override(tmp_path):
    path = write_gbk_shapefile(tmp_path)
    read = read_layer(path, encoding="GBK")
    assert read.frame["MC"].tolist() == NAMES
    assert read.decisions[0] == "encoding GBK: given with --encoding GBK"


def test_wrong_encoding_override_is_refused(tmp_path):
    with pytest.raises(EncodingError, match="--encoding"):
        read_layer(write_gbk_shapefile(tmp_path), encoding="UTF-8")


def test_gbk_geojson_is_decoded_not_garbled(tmp_path):
    path = tmp_path / "gbk.geojson"
    features = [
        feature(IDS[i], NAMES[i], {"type": "Polygon", "coordinates": [square_ring(i)]})
        for i in range(3)
    ]
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    path.write_bytes(text.encode("gbk"))
    read = read_layer(path)
    assert read.frame["MC"].tolist() == NAMES
    assert any(d.startswith("encoding GB18030, decoded before reading") for d in read.decisions)


# --- CRS ---------------------------------------------------------------------------------


def test_no_crs_is_refused_with_the_way_out(tmp_path):
    path = tmp_path / "parcels.shp"
    parcels().to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSMissingError) as err:
        read_layer(path)
    message = str(err.value)
    assert str(path) in message
    assert "--crs EPSG:4544" in message
    assert "no .prj" in message


def test_no_crs_message_suggests_the_zone_of_prefixed_eastings(tmp_path):
    path = tmp_path / "parcels.fgb"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        parcels(crs=None, geoms=squares(x=35_000_000 + GK_X)).to_file(path, engine="pyogrio")
    with pytest.raises(CRSMissingError, match=r"would fit --crs EPSG:4523"):
        read_layer(path)


def test_crs_given_for_a_file_without(tmp_path):
    path = tmp_path / "parcels.shp"
    parcels().to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    read = read_layer(path, crs="EPSG:4544")
    assert read.frame.crs.to_epsg() == 4544
    assert (
        "CRS EPSG:4544 (CGCS2000 / 3-degree Gauss-Kruger CM 105E): given with --crs; "
        "the file declares none" in read.decisions
    )


def test_crs_given_replaces_the_files_only_with_override(tmp_path):
    path = tmp_path / "parcels.gpkg"
    parcels(geoms=squares(x=35_000_000 + GK_X)).set_crs(4544, allow_override=True).to_file(path)
    with pytest.raises(
        SuspectCoordinatesError, match=r"--crs EPSG:4523 --override-crs"
    ):  # the advice works: --crs alone would be refused
        read_layer(path)
    with pytest.raises(InputError) as err:
        read_layer(path, crs="EPSG:4523")
    assert str(err.value).startswith(
        f"{path}: the file declares EPSG:4544 (CGCS2000 / 3-degree Gauss-Kruger CM 105E), "
        "but --crs gives EPSG:4523 (CGCS2000 / 3-degree Gauss-Kruger zone 35)."
    )
    assert "add --override-crs" in str(err.value)
    assert "--override-crs" in err.value.text("zh") and "文件自带的坐标系" in err.value.text("zh")
    read = read_layer(path, crs="EPSG:4523", override_crs=True)
    assert read.frame.crs.to_epsg() == 4523
    assert read.frame.total_bounds[0] == 35_000_000 + GK_X  # not reprojected
    assert any("--override-crs, instead of the file's EPSG:4544" in d for d in read.decisions)


@pytest.mark.parametrize("suffix", [".shp", ".gpkg"])
def test_crs_given_equal_to_the_files_is_said(tmp_path, suffix):
    """A shapefile's .prj is ESRI WKT; it is still the same CRS as EPSG:4544."""
    path = tmp_path / f"parcels{suffix}"
    parcels().to_file(path, engine="pyogrio")
    read = read_layer(path, crs="EPSG:4544")
    assert read.frame.crs.to_epsg() == 4544
    assert (
        "CRS EPSG:4544 (CGCS2000 / 3-degree Gauss-Kruger CM 105E): given with --crs, "
        "as the file declares" in read.decisions
    )


def test_swap_axes_reads_a_lat_lon_file(tmp_path):
    ring = [[lat, lon] for lon, lat in square_ring(0)]
    path = geojson(tmp_path, [feature("P-1", "甲", {"type": "Polygon", "coordinates": [ring]})])
    with pytest.raises(SuspectCoordinatesError, match="read the file with --swap-axes"):
        read_layer(path)
    read = read_layer(path, swap_axes=True)
    assert read.frame.geometry[0].equals(Polygon(square_ring(0)))
    assert "x and y of every coordinate swapped (--swap-axes)" in read.decisions


def test_swapped_lat_lon(tmp_path):
    ring = [[lat, lon] for lon, lat in square_ring(0)]
    path = geojson(tmp_path, [feature("P-1", "甲", {"type": "Polygon", "coordinates": [ring]})])
    with pytest.raises(SuspectCoordinatesError, match="latitudes") as err:
        read_layer(path)
    assert str(path) in str(err.value)


def test_swapped_surveyor_xy_in_4544(tmp_path):
    swapped = [shapely.transform(g, lambda xy: xy[:, ::-1]) for g in squares()]
    path = tmp_path / "parcels.gpkg"
    parcels(geoms=swapped).to_file(path)
    with pytest.raises(SuspectCoordinatesError, match=r"X and Y swapped"):
        read_layer(path)


def test_zone_prefixed_eastings_under_4544(tmp_path):
    path = tmp_path / "parcels.shp"
    parcels(geoms=squares(x=35_000_000 + GK_X)).to_file(path, engine="pyogrio")
    with pytest.raises(SuspectCoordinatesError) as err:
        read_layer(path)
    message = str(err.value)
    assert "--crs EPSG:4523" in message
    assert "zone number 35" in message
    assert str(path) in message


@pytest.mark.parametrize(
    ("x", "swap", "crs", "expected"),
    [
        (35_000_000 + GK_X, True, 4544, "Swap the two coordinate columns .* --crs EPSG:4523"),
        (GK_X, True, 4523, "Swap the two coordinate columns .* --crs EPSG:4544"),
        (18_000_000 + GK_X, False, 4544, "zone number 18.* --crs EPSG:4496"),  # 6-degree zone
    ],
)
def test_surveyor_mixups_that_need_two_fixes(tmp_path, x, swap, crs, expected):
    geoms = squares(x=x)
    if swap:
        geoms = [shapely.transform(g, lambda xy: xy[:, ::-1]) for g in geoms]
    path = tmp_path / "parcels.gpkg"
    parcels(crs=f"EPSG:{crs}", geoms=geoms).to_file(path)
    with pytest.raises(SuspectCoordinatesError, match=expected):
        read_layer(path)


def test_projected_metres_in_a_geojson_that_declares_nothing(tmp_path):
    """GeoJSON without a crs member is WGS 84 by the standard; GK metres there are caught."""
    ring = [list(c) for c in squares(1, x=35_000_000 + GK_X)[0].exterior.coords]
    path = geojson(tmp_path, [feature("P-1", "甲", {"type": "Polygon", "coordinates": [ring]})])
    with pytest.raises(SuspectCoordinatesError, match=r"metres, not degrees.*EPSG:4523"):
        read_layer(path)


def test_geojson_default_crs_is_said(tmp_path):
    features = [feature("P-1", "甲", {"type": "Polygon", "coordinates": [square_ring(0)]})]
    read = read_layer(geojson(tmp_path, features))
    assert read.frame.crs.to_epsg() == 4326
    assert any("GeoJSON default (RFC 7946" in d for d in read.decisions)


# --- broken features ---------------------------------------------------------------------


def test_geojson_with_broken_features_loads_the_rest(tmp_path):
    # P-4's last corner stops 0.5 m (east) short of its first; P-6 lists its 4 corners
    # without repeating the first: closing it would add a 100 m edge (a ring cut short
    # looks the same), so it is broken, not guessed.
    x0, y0, x1, y1 = squares(3)[2].bounds
    unclosed = [
        lonlat(x0, y0),
        lonlat(x1, y0),
        lonlat(x1, y1),
        lonlat(x0, y1),
        lonlat(x0 + 0.5, y0),
    ]
    features = [
        feature("P-1", "甲", {"type": "Polygon", "coordinates": [square_ring(0)]}),
        feature("P-2", "乙", {"type": "Polygon", "coordinates": [square_ring(1)[:2]]}),
        feature("P-3", "丙", {"type": "Polygon", "coordinates": "105.96 32.32"}),
        feature("P-4", "丁", {"type": "Polygon", "coordinates": [unclosed]}),
        feature("P-5", "戊", None),
        feature("P-6", "己", {"type": "Polygon", "coordinates": [square_ring(1)[:-1]]}),
    ]
    read = read_layer(geojson(tmp_path, features))
    assert read.broken[:2] == [
        BrokenFeature(2, "P-2", "a ring has only 2 position(s); a ring needs 4 or more"),
        BrokenFeature(
            3,
            "P-3",
            'its geometry {"type": "Polygon", "coordinates": "105.96 32.32"} could not be read',
        ),
    ]
    assert [(b.feature, b.id) for b in read.broken] == [(2, "P-2"), (3, "P-3"), (6, "P-6")]
    assert read.broken[2].reason.startswith(
        "a ring is not closed: its last point is 100.00 m from its first."
    )
    assert "末点距首点 100.00 米" in read.broken[2].reason_zh
    [warned] = read.warned
    assert (warned.feature, warned.id, warned.code) == (4, "P-4", "unclosed_ring")
    gap = float(warned.reason.split("its last point ")[1].split(" m")[0])
    assert gap == pytest.approx(0.5, abs=0.02)  # 7-decimal lon/lat: about 1 cm
    frame = read.frame
    assert frame["DKBH"].tolist() == ["P-1", "P-2", "P-3", "P-4", "P-5", "P-6"]
    # Broken features are kept, without a geometry; P-4's ring was closed and kept.
    assert frame.geometry.isna().tolist() == [False, True, True, False, True, True]
    assert frame.geometry[3].equals(Polygon([*unclosed, unclosed[0]]))
    assert any(
        "closed it by repeating its first point: feature 4 (id P-4)" in d for d in read.decisions
    )
    assert any("no geometry in the file" in d and "feature 5 (id P-5)" in d for d in read.decisions)


def test_geopackage_with_corrupt_blobs_loads_the_rest(tmp_path):
    path = tmp_path / "parcels.gpkg"
    frame = gpd.GeoDataFrame(
        {"DKBH": ["P-1", "P-2", "P-3", "P-4"], "MC": ["甲", "乙", "丙", "丁"]},
        geometry=squares(4),
        crs=4544,
    )
    frame.to_file(path, layer="parcels", SPATIAL_INDEX="NO")
    with closing(sqlite3.connect(path)) as con:
        # P-2 cut short (GDAL's Arrow reader hands over the stump and shapely fails the whole
        # batch); P-4 overwritten (GDAL says nothing and gives no geometry).
        con.execute("UPDATE parcels SET geom = substr(geom, 1, 60) WHERE fid = 2")
        con.execute("UPDATE parcels SET geom = x'00112233' WHERE fid = 4")
        con.commit()
    read = read_layer(path)
    assert read.frame["DKBH"].tolist() == ["P-1", "P-2", "P-3", "P-4"]
    assert [(b.feature, b.id) for b in read.broken] == [(2, "P-2"), (4, "P-4")]
    assert read.broken[0].reason == "its geometry blob (60 bytes, fid 2) could not be decoded"
    assert read.broken[1].reason == "its geometry blob (4 bytes, fid 4) could not be decoded"
    assert gross_area_mu(read.frame.dropna(subset=["geometry"])).round(3).tolist() == [
        14.997,
        14.997,
    ]


def test_geopackage_with_one_silently_unreadable_blob(tmp_path):
    """Without a stump to trip shapely, GDAL alone would turn the blob into 'no geometry'."""
    path = tmp_path / "parcels.gpkg"
    parcels().to_file(path, layer="parcels", SPATIAL_INDEX="NO")
    with closing(sqlite3.connect(path)) as con:
        con.execute("UPDATE parcels SET geom = x'4750000300000000' WHERE fid = 3")
        con.commit()
    assert pyogrio.read_dataframe(path).geometry.isna().tolist() == [False, False, True]
    read = read_layer(path)
    assert [(b.feature, b.id) for b in read.broken] == [(3, "P-3")]
    assert read.frame.geometry.isna().tolist() == [False, False, True]


def shp_record_offset(path: Path, record: int) -> int:
    """Byte offset of the content (shape type first) of record ``record`` (1-based)."""
    index = path.with_suffix(".shx").read_bytes()
    (offset,) = struct.unpack(">i", index[100 + 8 * (record - 1) : 104 + 8 * (record - 1)])
    return 2 * offset + 8


def test_shapefile_with_unclosed_ring_and_corrupt_record(tmp_path):
    """What GDAL 3.12 does: passes the unclosed ring through, nulls the corrupt record silently."""
    path = tmp_path / "parcels.shp"
    parcels().to_file(path, engine="pyogrio")
    shp = bytearray(path.read_bytes())
    # Record 2: a polygon of 1 part, 5 points; move its last point off the first.
    start = shp_record_offset(path, 2)
    nparts, npoints = struct.unpack("<ii", shp[start + 36 : start + 44])
    last = start + 44 + 4 * nparts + 16 * (npoints - 1)
    first_x, first_y = struct.unpack("<dd", shp[start + 44 + 4 * nparts : start + 60 + 4 * nparts])
    shp[last : last + 16] = struct.pack("<dd", first_x + 0.25, first_y)
    # Record 3: claims 1000 parts.
    start = shp_record_offset(path, 3)
    shp[start + 36 : start + 40] = struct.pack("<i", 1000)
    path.write_bytes(bytes(shp))

    with (
        pytest.raises(shapely.errors.GEOSException),
        pytest.warns(RuntimeWarning, match="Non closed ring detected"),
    ):
        pyogrio.read_dataframe(path)  # one bad ring loses the whole file

    read = read_layer(path)
    assert read.frame.geometry.isna().tolist() == [False, False, True]
    assert read.broken == [
        BrokenFeature(3, "P-3", "its shape record (type 5) is corrupt and could not be decoded")
    ]
    assert read.warned == [
        FeatureWarning(
            2,
            "P-2",
            "unclosed_ring",
            "a ring was not closed (its last point 0.250 m from its first); closed by "
            "repeating its first point, and measured so; close it in the source file",
        )
    ]
    assert any("feature 2 (id P-2)" in d and "not closed" in d for d in read.decisions)
    ring = read.frame.geometry[1].exterior
    assert ring.is_closed and len(ring.coords) == 6


def test_null_shape_is_kept_as_no_geometry(tmp_path):
    frame = parcels()
    frame.loc[1, "geometry"] = None
    path = tmp_path / "parcels.shp"
    frame.to_file(path, engine="pyogrio")
    read = read_layer(path)
    assert read.broken == []
    assert read.frame.geometry.isna().tolist() == [False, True, False]


def test_geoparquet_with_a_corrupt_blob(tmp_path):
    path = tmp_path / "parcels.parquet"
    parcels().to_parquet(path)
    table = pq.read_table(path)
    blobs = table.column("geometry").to_pylist()
    blobs[1] = blobs[1][:30]
    table = table.set_column(
        table.schema.get_field_index("geometry"), "geometry", pa.array(blobs, pa.binary())
    )
    pq.write_table(table, path)
    read = read_layer(path)
    assert read.frame.geometry.isna().tolist() == [False, True, False]
    assert [(b.feature, b.id) for b in read.broken] == [(2, "P-2")]
    assert read.frame.crs.to_epsg() == 4544


# --- formats -----------------------------------------------------------------------------


def test_flatgeobuf_round_trip(tmp_path):
    """FlatGeobuf's spatial index may reorder features: compare by id."""
    path = tmp_path / "parcels.fgb"
    parcels().to_file(path, engine="pyogrio")
    read = read_layer(path)
    got = read.frame.sort_values("DKBH").reset_index(drop=True)
    assert_geodataframe_equal(got, parcels(), check_dtype=False, check_index_type=False)
    assert (
        "CRS EPSG:4544 (CGCS2000 / 3-degree Gauss-Kruger CM 105E): declared in the file"
        in read.decisions
    )


def test_geoparquet_round_trip(tmp_path):
    path = tmp_path / "parcels.parquet"
    parcels().to_parquet(path)
    read = read_layer(path)
    assert_geodataframe_equal(read.frame, parcels(), check_dtype=False)
    assert any(d.endswith("from the GeoParquet metadata") for d in read.decisions)


def test_geoparquet_without_crs(tmp_path):
    path = tmp_path / "parcels.parquet"
    parcels(crs=None).to_parquet(path)
    with pytest.raises(CRSMissingError, match="--crs"):
        read_layer(path)


def test_geopackage_with_several_layers(tmp_path):
    path = tmp_path / "park.gpkg"
    parcels().to_file(path, layer="parcels")
    parcels().iloc[:1].to_file(path, layer="reserve")
    with pytest.raises(InputError, match=r"2 layers with geometry: parcels .*reserve.*--layer"):
        read_layer(path)
    read = read_layer(path, layer="reserve")
    assert read.frame["DKBH"].tolist() == ["P-1"]
    assert read.source == f"{path} layer 'reserve'"
    with pytest.raises(InputError, match="no layer 'roads'"):
        read_layer(path, layer="roads")


def test_geopackage_with_one_layer_and_a_table(tmp_path):
    path = tmp_path / "park.gpkg"
    parcels().to_file(path, layer="parcels")
    pyogrio.write_dataframe(parcels().drop(columns="geometry"), path, layer="ledger")
    read = read_layer(path)
    assert read.frame["DKBH"].tolist() == IDS
    assert any(d.startswith("layer 'parcels': the only one with geometry") for d in read.decisions)


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".shp"])
def test_3d_polygons_keep_z_and_area_ignores_it(tmp_path, suffix):
    flat = parcels() if suffix != ".geojson" else parcels().to_crs(4326)
    lifted = flat.set_geometry(shapely.force_3d(flat.geometry, z=512.5))
    path = tmp_path / f"parcels{suffix}"
    lifted.to_file(path, engine="pyogrio")
    read = read_layer(path)
    assert read.frame.has_z.all()
    assert shapely.get_coordinates(read.frame.geometry, include_z=True)[0, 2] == 512.5
    assert gross_area_mu(read.frame).round(3).tolist() == [14.997] * 3


# --- ids and errors ----------------------------------------------------------------------


def test_id_field_given(tmp_path):
    path = tmp_path / "parcels.gpkg"
    parcels().rename(columns={"DKBH": "ZDDM"}).to_file(path)
    read = read_layer(path, id_field="ZDDM")
    assert read.id_field == "ZDDM"
    assert "id field 'ZDDM': given with --id-field" in read.decisions
    with pytest.raises(InputError, match=r"no field 'BH' for --id-field; its fields: ZDDM, MC"):
        read_layer(path, id_field="BH")


def test_no_id_field(tmp_path):
    path = tmp_path / "parcels.gpkg"
    parcels().rename(columns={"DKBH": "XH"}).to_file(path)
    read = read_layer(path)
    assert read.id_field is None
    assert list(read.frame.columns) == ["XH", "MC", "geometry"]  # nothing renamed here


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_layer(tmp_path / "nothing.shp")


def test_not_a_vector_file(tmp_path):
    path = tmp_path / "notes.geojson"
    path.write_text("this is not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"notes\.geojson"):
        read_layer(path)


# --- geometry that cannot be read right, named per feature --------------------------------


def test_nan_and_collapsed_features_are_named_and_kept_without_geometry(tmp_path):
    bad_nan = _ring(1)
    bad_nan[2] = (float("nan"), bad_nan[2][1])
    blobs = [
        polygon_wkb(_ring(0)),
        polygon_wkb(bad_nan),
        polygon_wkb([(GK_X, GK_Y)] * 4),
        polygon_wkb([(GK_X, GK_Y), (GK_X + 50, GK_Y + 5), (GK_X + 100, GK_Y + 10), (GK_X, GK_Y)]),
    ]
    read = read_layer(write_wkb(tmp_path / "p.gpkg", blobs))
    assert [(b.feature, b.id) for b in read.broken] == [(2, "P2"), (3, "P3"), (4, "P4")]
    assert read.broken[0].reason == (
        "vertex 3 is (nan, 3577100): a coordinate that is not a finite number; "
        "correct it in the source file"
    )
    assert read.broken[0].reason_zh.startswith("第 3 个顶点为 (nan, 3577100)")
    assert read.broken[1].reason.startswith("its ring has only 1 distinct point(s)")
    assert read.broken[2].reason.startswith("all its 3 points lie on one line")
    assert read.frame.geometry.isna().tolist() == [False, True, True, True]
    assert gross_area_mu(read.frame.iloc[:1]).round(3).tolist() == [14.997]


def test_curve_polygon_is_linearised_and_flagged(tmp_path):
    # On EPSG:4544's central meridian, where plane and ellipsoid areas agree.
    square = list(box(CM_X, GK_Y, CM_X + 100, GK_Y + 100).exterior.coords)
    blobs = [polygon_wkb(square), half_disc_wkb(CM_X + 200, GK_Y)]
    path = write_wkb(tmp_path / "curve.gpkg", blobs)
    with pytest.raises(NotImplementedError, match="Nonlinear"):
        pyogrio.read_dataframe(path, use_arrow=True)  # what refused the whole file before
    read = read_layer(path)
    assert read.broken == []
    [warned] = read.warned
    assert (warned.feature, warned.id, warned.code) == (2, "P2", "curved_geometry")
    assert warned.reason.startswith("a CURVEPOLYGON (curves, as CAD and FME write them)")
    measured = gross_area_mu(read.frame)
    assert measured[0] == pytest.approx(15.0, rel=1e-9)
    # pi * 50² / 2 m²; at a point every 0.5° of arc the chords miss 1.3e-5 of it.
    assert measured[1] == pytest.approx(HALF_DISC_MU, rel=2e-5)
    assert "differs from the curve's by about 0.0001 mu" in warned.reason


def test_a_feature_across_the_antimeridian_is_named_not_the_file_refused(tmp_path):
    good = box(105.96, 32.32, 105.961, 32.321)
    wrapped = Polygon([(179.9, 32.3), (-179.9, 32.3), (-179.9, 32.31), (179.9, 32.31)])
    path = tmp_path / "wrap.gpkg"
    parcels(crs="EPSG:4490", geoms=[good, wrapped, good]).to_file(path)
    read = read_layer(path)
    [broken] = read.broken
    assert (broken.feature, broken.id) == (2, "P-2")
    assert "longitudes jump from -179.9 to 179.9 across the antimeridian" in broken.reason
    assert read.frame.geometry.isna().tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("成果.zip", {"说明.docx": b"PK"}, r"成果\.zip: .*holds no shapefile .*only: 说明\.docx"),
        ("parcels.zip", None, r"parcels\.zip: .*not a zip archive"),
        ("界址点.txt", b"[\xca\xf4\xd0\xd4]", r"界址点\.txt: .*a text file"),
        ("projects.csv", b"project_id\nJ1\n", r"projects\.csv: a table without geometry"),
    ],
)
def test_files_that_are_not_layers_are_refused_naming_what_they_hold(
    tmp_path, name, content, expected
):
    path = tmp_path / name
    if isinstance(content, dict):
        with zipfile.ZipFile(path, "w") as archive:
            for member, data in content.items():
                archive.writestr(member, data)
    else:
        path.write_bytes(content or b"Rar!\x1a\x07\x00")
    with pytest.raises(InputError, match=expected) as err:
        read_layer(path)
    assert "GeoPackage (.gpkg)" in str(err.value)
    assert "CSV:path" not in str(err.value)
    assert str(path) in err.value.text("zh")


def test_path_layer_is_split_only_when_the_whole_does_not_exist(tmp_path):
    path = tmp_path / "park.gpkg"
    parcels().to_file(path, layer="parcels")
    assert split_layer(f"{path}:parcels") == (path, "parcels")
    assert split_layer(str(path)) == (path, None)
    odd = tmp_path / "a:b.gpkg"  # a name with a colon is taken whole
    odd.write_bytes(b"")
    assert split_layer(str(odd)) == (odd, None)
    with pytest.raises(InputError, match=r"PATH:LAYER"):
        split_layer(f"{tmp_path / 'none.gpkg'}:parcels")
    with pytest.raises(InputError):
        split_layer(f"{path}:sub/dir")  # a layer holds no path separator
