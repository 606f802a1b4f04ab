"""Shapefile and CSV text encodings: .cpg, language-driver byte, bytes, and refusing mojibake.

Every shapefile is written here with pyogrio, then its .cpg removed or
replaced and its DBF bytes patched, as survey offices' files come.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from parkgis.errors import EncodingError
from parkgis.io.encoding import detect_shapefile_encoding, detect_text_encoding

NAMES = ["香香嘴", "中纺油脂"]
# On EPSG:4544's central meridian near Yuanba, where a layer's coordinates are checked.
GK_X, GK_Y = 500_000.0, 3_577_000.0
# Chinese whose GBK bytes happen to be valid UTF-8 (C9BD CBAE D1A7 D0A3 read
# as UTF-8 are ɽ ˮ ѧ У): the classic case that decodes "fine" and is wrong.
TRICKY = "山水学校"


def write_shapefile(
    folder: Path,
    names: list[str],
    *,
    encoding: str,
    ldid: int | None = 0,
    cpg: str | None = None,
    name: str = "parcels",
    x0: float = 0.0,
    y0: float = 0.0,
) -> Path:
    """A two-field shapefile in ``encoding``; .cpg replaced by ``cpg`` (None: removed).

    Its squares start at ``x0, y0`` (put them near Yuanba to read the layer).
    """
    frame = gpd.GeoDataFrame(
        {"DKBH": [f"P-{i + 1}" for i in range(len(names))], "MC": names},
        geometry=[box(x0 + i, y0, x0 + i + 1, y0 + 1) for i in range(len(names))],
        crs="EPSG:4544",
    )
    path = folder / f"{name}.shp"
    frame.to_file(path, encoding=encoding, engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    if ldid is not None:
        patch_dbf(path, 29, bytes([ldid]))
    return path


def patch_dbf(shp: Path, offset: int, data: bytes) -> None:
    dbf = shp.with_suffix(".dbf")
    raw = bytearray(dbf.read_bytes())
    raw[offset : offset + len(data)] = data
    dbf.write_bytes(bytes(raw))


def record_offset(shp: Path, record: int, field: int) -> int:
    """Byte offset of field ``field`` (0-based) of record ``record`` (1-based) in the DBF."""
    raw = shp.with_suffix(".dbf").read_bytes()
    header_len = int.from_bytes(raw[8:10], "little")
    record_len = int.from_bytes(raw[10:12], "little")
    widths = [raw[32 + 32 * i + 16] for i in range(field)]
    return header_len + (record - 1) * record_len + 1 + sum(widths)


def test_pyogrio_writes_no_language_driver_byte(tmp_path):
    """What the tests rely on: GDAL writes LDID 0 and a .cpg; the .cpg is what goes missing."""
    path = tmp_path / "p.shp"
    gpd.GeoDataFrame({"MC": NAMES}, geometry=[box(0, 0, 1, 1)] * 2, crs=4544).to_file(
        path, encoding="GBK", engine="pyogrio"
    )
    assert path.with_suffix(".dbf").read_bytes()[29] == 0
    assert path.with_suffix(".cpg").read_text() == "GBK"


def test_gbk_without_cpg_or_ldid_is_decided_from_the_bytes(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK", ldid=0)
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("GB18030", "gbk")
    assert "no language-driver byte" in choice.reason
    assert "香香嘴" in choice.reason  # the reader sees what the text says


@pytest.mark.parametrize("ldid", [0x4D, 0x7A])
def test_gbk_with_language_driver_byte(tmp_path, ldid):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK", ldid=ldid)
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("GBK", "ldid")
    assert f"0x{ldid:02X}" in choice.reason


def test_gbk_language_driver_byte_with_gb18030_only_characters(tmp_path):
    """刘䶮: 䶮 is outside GBK; GB18030, its superset, has it."""
    path = write_shapefile(tmp_path, ["刘䶮", "𠀀地块"], encoding="GB18030", ldid=0x4D)
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("GB18030", "ldid")
    assert "needs GB18030" in choice.reason


def test_ansi_language_driver_byte_is_ignored(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK", ldid=0x57)
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("GB18030", "gbk")
    assert "0x57" in choice.reason and "ignored" in choice.reason


def test_utf8_without_cpg(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="UTF-8")
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("UTF-8", "utf-8")


def test_ascii_is_utf8(tmp_path):
    path = write_shapefile(tmp_path, ["a", "b"], encoding="UTF-8")
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("UTF-8", "utf-8")
    assert "ASCII" in choice.reason


@pytest.mark.parametrize("cpg", ["GBK", "936", "ANSI 936", "gb2312"])
def test_honest_gbk_cpg_is_trusted(tmp_path, cpg):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK", cpg=cpg)
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("GBK", "cpg")


def test_honest_utf8_cpg_is_trusted(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="UTF-8", cpg="UTF-8")
    assert detect_shapefile_encoding(path).source == "cpg"


def test_lying_utf8_cpg_over_gbk_is_not_trusted(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK", cpg="UTF-8")
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("GB18030", "gbk")
    assert "the .cpg says 'UTF-8'" in choice.reason
    assert "not trusted" in choice.reason
    assert "field 'MC' of record 1" in choice.reason


def test_latin1_cpg_over_gbk_would_be_mojibake(tmp_path):
    """Latin-1 decodes any bytes: the check is that the text is GBK Chinese."""
    path = write_shapefile(tmp_path, NAMES, encoding="GBK", cpg="ISO-8859-1")
    choice = detect_shapefile_encoding(path)
    assert choice.encoding == "GB18030"
    assert "ÏãÏã×ì" in choice.reason  # what Latin-1 would have made of 香香嘴
    assert "not trusted" in choice.reason


def test_lying_gbk_cpg_over_utf8_is_not_trusted(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="UTF-8", cpg="GBK")
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("UTF-8", "utf-8")
    assert "valid UTF-8 Chinese" in choice.reason


def test_lying_language_driver_byte_is_not_trusted(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="UTF-8", ldid=0x4D)
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("UTF-8", "utf-8")
    assert "0x4D" in choice.reason and "not trusted" in choice.reason


def test_gbk_that_is_valid_utf8_is_still_gbk(tmp_path):
    path = write_shapefile(tmp_path, [TRICKY], encoding="GBK")
    raw = TRICKY.encode("gbk")
    assert raw.decode("utf-8") == "ɽˮѧУ"  # the trap: it decodes
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("GB18030", "gbk")
    assert TRICKY in choice.reason


def test_utf8_cpg_over_gbk_that_is_valid_utf8_is_not_trusted(tmp_path):
    path = write_shapefile(tmp_path, [TRICKY], encoding="GBK", cpg="UTF-8")
    choice = detect_shapefile_encoding(path)
    assert choice.encoding == "GB18030"
    assert "not trusted" in choice.reason


def test_override_wins(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK", cpg="UTF-8")
    choice = detect_shapefile_encoding(path, override="GBK")
    assert choice == type(choice)("GBK", "override", "given with --encoding GBK")


def test_override_that_cannot_decode_is_refused(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK")
    with pytest.raises(EncodingError, match=r"field 'MC' of record 1 .* not valid UTF-8"):
        detect_shapefile_encoding(path, override="UTF-8")


def test_unknown_override_is_refused(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK")
    with pytest.raises(EncodingError, match="'KLINGON' is not an encoding"):
        detect_shapefile_encoding(path, override="KLINGON")


def test_undecodable_text_names_file_field_record_and_the_way_out(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK")
    # Record 2's MC: 0xFF is neither UTF-8 nor GB18030.
    patch_dbf(path, record_offset(path, 2, 1), b"\xff\xff\xff")
    with pytest.raises(EncodingError) as err:
        detect_shapefile_encoding(path)
    message = str(err.value)
    assert str(path.with_suffix(".dbf")) in message
    assert "field 'MC' of record 2" in message
    assert "--encoding" in message


def test_deleted_records_are_not_read(tmp_path):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK")
    patch_dbf(path, record_offset(path, 2, 1), b"\xff\xff\xff")
    patch_dbf(path, record_offset(path, 2, 0) - 1, b"*")  # deletion flag of record 2
    assert detect_shapefile_encoding(path).encoding == "GB18030"


def test_chinese_field_names_count(tmp_path):
    """Field names are text too: GBK names with ASCII values are GBK."""
    path = tmp_path / "names.shp"
    gpd.GeoDataFrame({"地块编号": ["P-1"]}, geometry=[box(0, 0, 1, 1)], crs=4544).to_file(
        path, encoding="GBK", engine="pyogrio"
    )
    path.with_suffix(".cpg").unlink()
    choice = detect_shapefile_encoding(path)
    assert choice.encoding == "GB18030"
    assert "地块编号" in choice.reason


def test_missing_dbf(tmp_path):
    with pytest.raises(EncodingError, match=r"no \.dbf"):
        detect_shapefile_encoding(tmp_path / "nothing.shp")


@pytest.mark.parametrize(
    ("data", "encoding", "source"),
    [
        ("地块编号,名称\nP-1,香香嘴\n".encode("gbk"), "GB18030", "gbk"),
        ("地块编号,名称\nP-1,香香嘴\n".encode(), "UTF-8", "utf-8"),
        ("地块编号,名称\n".encode("utf-8-sig"), "utf-8-sig", "bom"),
        ("地块编号,名称\n".encode("utf-16"), "UTF-16", "bom"),
        (b"id,name\n1,a\n", "UTF-8", "utf-8"),
        (f"id,name\n1,{TRICKY}\n".encode("gbk"), "GB18030", "gbk"),
    ],
)
def test_text_encoding(data, encoding, source):
    choice = detect_text_encoding(data, where="ledger.csv")
    assert (choice.encoding, choice.source) == (encoding, source)
    assert data.decode(choice.encoding).lstrip("\ufeff").startswith(("地块编号", "id"))


def test_text_encoding_error_names_the_line():
    data = "id,name\n1,香香嘴\n".encode("gbk") + b"2,\xff\xfe\n"
    with pytest.raises(EncodingError, match=r"ledger\.csv: line 3 .*--encoding"):
        detect_text_encoding(data, where="ledger.csv")


# -- Big5 (Taiwan, Hong Kong) told from GBK by content ----------------------------

BIG5_NAMES = ["中紡油脂", "香香嘴", "已徵收"]


def test_big5_without_cpg_is_read_as_big5_with_a_warning(tmp_path):
    path = write_shapefile(tmp_path, BIG5_NAMES, encoding="BIG5")
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("CP950", "big5")
    assert "reads as Big5 Chinese ('中紡油脂" in choice.reason
    assert choice.warning is not None and "Big5" in choice.warning
    assert "field 'MC' of record 1" in choice.warning and "--encoding GBK" in choice.warning
    assert choice.warning_at == ("MC", 1)
    assert "Big5" in (choice.warning_zh or "")


@pytest.mark.parametrize(("cpg", "ldid"), [("BIG5", 0), ("950", 0), (None, 0x4F), (None, 0x78)])
def test_big5_claim_on_gbk_text_is_not_trusted(tmp_path, cpg, ldid):
    path = write_shapefile(tmp_path, NAMES, encoding="GBK", cpg=cpg, ldid=ldid)
    choice = detect_shapefile_encoding(path)
    assert choice.encoding == "GB18030"
    assert "reads as GBK Chinese ('香香嘴 中纺油脂')" in choice.reason
    assert "not trusted" in choice.reason
    assert choice.warning is None


def test_gbk_claim_on_big5_text_is_not_trusted(tmp_path):
    path = write_shapefile(tmp_path, BIG5_NAMES, encoding="BIG5", cpg="GBK")
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("CP950", "big5")
    assert "the .cpg says 'GBK' but the text reads as Big5 Chinese" in choice.reason


def test_honest_big5_cpg_is_trusted_and_still_warned(tmp_path):
    path = write_shapefile(tmp_path, BIG5_NAMES, encoding="BIG5", cpg="BIG5")
    choice = detect_shapefile_encoding(path)
    assert (choice.encoding, choice.source) == ("CP950", "cpg")
    assert choice.warning is not None


def test_big5_override_is_not_warned(tmp_path):
    path = write_shapefile(tmp_path, BIG5_NAMES, encoding="BIG5")
    choice = detect_shapefile_encoding(path, override="BIG5")
    assert (choice.encoding, choice.source, choice.warning) == ("BIG5", "override", None)


def test_gbk_or_big5_undecidable_is_refused_naming_file_field_and_both_readings(tmp_path):
    # 贾玲 in GBK (BCD6 C1E1) is 樂鍍 in Big5: one short name cannot tell.
    path = write_shapefile(tmp_path, ["贾玲"], encoding="GBK")
    with pytest.raises(EncodingError) as err:
        detect_shapefile_encoding(path)
    message = str(err.value)
    assert str(path.with_suffix(".dbf")) in message
    assert "field 'MC' of record 1" in message
    assert "'贾玲' in GBK and as '樂鍍' in Big5" in message
    assert message.endswith("pass --encoding GBK or --encoding BIG5")
    assert "--encoding GBK 或 --encoding BIG5" in err.value.zh
    assert detect_shapefile_encoding(path, override="GBK").encoding == "GBK"


@pytest.mark.parametrize(
    ("values", "encoding"),
    [
        (["刘德华", "赵丽颖", "元坝镇", "柏林沟镇"], "GB18030"),  # names and places, GBK
        (["劉德華", "趙麗穎", "台北市", "沙田"], "CP950"),  # the same kind, Big5
    ],
)
def test_columns_of_names_are_told_apart(values, encoding):
    data = "\n".join(["id,name", *[f"{i},{v}" for i, v in enumerate(values)]])
    raw = data.encode("gbk" if encoding == "GB18030" else "big5")
    assert detect_text_encoding(raw, where="names.csv").encoding == encoding


def test_big5_csv():
    data = "項目名稱,用地需求(畝)\n中紡糧油項目,220\n".encode("big5")
    choice = detect_text_encoding(data, where="big5.csv")
    assert (choice.encoding, choice.source) == ("CP950", "big5")
    assert choice.warning_at == ("text", 1)
    assert "line 1" in (choice.warning or "")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(codec):
    data = "项目名称,用地需求(亩)\r\n中纺粮油项目,220\r\n".encode(codec)
    choice = detect_text_encoding(data, where="u16.csv")
    assert choice.encoding == codec.upper()
    assert data.decode(choice.encoding).startswith("项目名称")


# -- DBF field names cut inside a character at 10 bytes ---------------------------


def rename_field(shp: Path, index: int, name: bytes) -> None:
    patch_dbf(shp, 32 + 32 * index, name.ljust(11, b"\x00"))


@pytest.mark.parametrize(
    ("codec", "name", "read"),
    [
        ("UTF-8", "面积（亩）", "面积（"),  # 15 bytes, cut inside 亩
        ("GBK", "x面积（亩）", "x面积（亩"),  # 11 bytes, cut inside ）
    ],
)
def test_field_name_cut_inside_a_character(tmp_path, codec, name, read):
    path = write_shapefile(tmp_path, NAMES, encoding=codec)
    raw = name.encode(codec)[:10]
    rename_field(path, 1, raw)
    choice = detect_shapefile_encoding(path)
    assert choice.cut_names == ((raw, read),)
    assert f"field name {raw!r} cut inside a character: read as {read!r}" in choice.reason


def test_layer_with_a_cut_field_name_is_read_and_matched(tmp_path):
    from parkgis.io.loose import read_parcel_file

    path = write_shapefile(tmp_path, NAMES, encoding="UTF-8", cpg="UTF-8", x0=GK_X, y0=GK_Y)
    rename_field(path, 1, "面积（亩）".encode()[:10])  # the MC column, now 面积（
    patch_dbf(path, record_offset(path, 1, 1), "30".ljust(12).encode())
    frame, decisions, _ = read_parcel_file(path, crs="EPSG:4544")
    assert "column '面积（' → declared_area_mu" in decisions
    assert frame["declared_area_mu"].iloc[0] == 30.0
    assert frame["parcel_id"].tolist() == ["P-1", "P-2"]  # the other values decoded alike


def test_import_of_gbk_names_under_a_utf8_cpg(tmp_path):
    """It ended in a UnicodeDecodeError traceback before the encoding was decided."""
    from parkgis.io.importer import import_sources

    path = tmp_path / "宗地.shp"
    gpd.GeoDataFrame(
        {"地块编号": ["P1"], "现状": ["已征收"]},
        geometry=[box(GK_X, GK_Y, GK_X + 100, GK_Y + 100)],
        crs="EPSG:4544",
    ).to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").write_text("UTF-8")
    report = import_sources([path], tmp_path / "park.gpkg")
    assert report.park.parcels["parcel_id"].tolist() == ["P1"]
    assert report.park.parcels["acquisition_status"].tolist() == ["acquired"]
    assert any("the .cpg says 'UTF-8'" in line and "not trusted" in line for line in report.lines)
