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
) -> Path:
    """A two-field shapefile in ``encoding``; .cpg replaced by ``cpg`` (None: removed)."""
    frame = gpd.GeoDataFrame(
        {"DKBH": [f"P-{i + 1}" for i in range(len(names))], "MC": names},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(names))],
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
