"""Text as survey offices and colleagues hand it over: Big5, lying encodings, cut names, invisibles.

Each case writes its files with pyogrio or raw bytes. Areas: 100 m squares on
EPSG:4544's central meridian, 15 mu each to 1e-9 (see ``harness.GK_X``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

from corpus.harness import GK_X, GK_Y, Case, write_parcels

X, Y = GK_X, GK_Y


def _squares(n: int) -> list[object]:
    return [box(X + 200 * i, Y, X + 200 * i + 100, Y + 100) for i in range(n)]


def _shapefile(
    folder: Path,
    name: str,
    columns: dict[str, Sequence[object]],
    *,
    encoding: str,
    cpg: str | None = None,
    ldid: int | None = None,
) -> Path:
    """A shapefile in ``encoding``, its .cpg replaced by ``cpg`` (None: none), LDID patched."""
    n = len(next(iter(columns.values())))
    path = folder / f"{name}.shp"
    frame = gpd.GeoDataFrame(columns, geometry=_squares(n), crs="EPSG:4544")
    frame.to_file(path, engine="pyogrio", encoding=encoding)
    path.with_suffix(".cpg").unlink(missing_ok=True)
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    if ldid is not None:
        dbf = path.with_suffix(".dbf")
        raw = bytearray(dbf.read_bytes())
        raw[29] = ldid
        dbf.write_bytes(bytes(raw))
    return path


def _rename_field(shp: Path, index: int, name: bytes) -> None:
    """Write ``name`` (at most 10 bytes) as the DBF name of field ``index`` (0-based)."""
    dbf = shp.with_suffix(".dbf")
    raw = bytearray(dbf.read_bytes())
    start = 32 + 32 * index
    raw[start : start + 11] = name.ljust(11, b"\x00")
    dbf.write_bytes(bytes(raw))


# Status codes in ASCII: the vocabularies are simplified Chinese, Big5 text is not.
def _big5(folder: Path) -> list[str]:
    columns = {
        "parcel_id": ["地塊一", "地塊二"],
        "name": ["中紡油脂", "香香嘴"],
        "status": ["acquired", "acquired"],
    }
    return [str(_shapefile(folder, "big5", columns, encoding="BIG5"))]


_GBK = {
    "parcel_id": ["地块一", "地块二"],
    "status": ["已征收", "已征收"],
    "name": ["中纺油脂", "香香嘴"],
}


def _cpg_says_big5(folder: Path) -> list[str]:
    return [str(_shapefile(folder, "cpg_big5", _GBK, encoding="GBK", cpg="BIG5"))]


def _ldid_says_big5(folder: Path) -> list[str]:
    return [str(_shapefile(folder, "ldid_big5", _GBK, encoding="GBK", ldid=0x4F))]


def _cpg_says_utf8(folder: Path) -> list[str]:
    columns = {"地块编号": ["地块一", "地块二"], "现状": ["已征收", "已征收"]}
    return [str(_shapefile(folder, "cpg_utf8", columns, encoding="GBK", cpg="UTF-8"))]


def _cpg_says_gbk_on_big5(folder: Path) -> list[str]:
    columns = {
        "parcel_id": ["地塊一", "地塊二"],
        "name": ["中紡油脂", "香香嘴"],
        "status": ["acquired", "acquired"],
    }
    return [str(_shapefile(folder, "cpg_gbk", columns, encoding="BIG5", cpg="GBK"))]


def _ambiguous(folder: Path) -> list[str]:
    # 贾玲 in GBK is 樂鍍 in Big5: one short name cannot tell the two apart.
    columns = {"parcel_id": ["P1"], "status": ["acquired"], "owner": ["贾玲"]}
    return [str(_shapefile(folder, "ambiguous", columns, encoding="GBK"))]


def _cut_utf8_name(folder: Path) -> list[str]:
    # 面积（亩） is 15 bytes in UTF-8: cut at 10, inside 亩; read as 面积（, it matches 面积.
    columns = {"parcel_id": ["P1"], "status": ["已征收"], "AREA": ["15"]}
    path = _shapefile(folder, "cut_utf8", columns, encoding="UTF-8", cpg="UTF-8")
    _rename_field(path, 2, "面积（亩）".encode()[:10])
    return [str(path)]


def _bom_in_status(folder: Path) -> list[str]:
    columns = {"parcel_id": ["P1", "P2"], "acquisition_status": ["\ufeff已征收", "已征收\u3000"]}
    return [str(write_parcels(folder / "bom.gpkg", _squares(2), columns=columns))]


def _fullwidth_id(folder: Path) -> list[str]:
    columns = {"parcel_id": ["ＹＢ－０１", "P\u200b2"]}
    return [str(write_parcels(folder / "fullwidth.gpkg", _squares(2), columns=columns))]


def _ambiguous_csv(folder: Path) -> list[str]:
    parcels = write_parcels(folder / "parcels.gpkg", _squares(1))
    ledger = folder / "ambiguous.csv"
    ledger.write_bytes("project_id,name,land_demand_mu\nX1,贾玲,30\n".encode("gbk"))
    return [str(parcels), "--projects", str(ledger)]


CASES = [
    Case("big5-shapefile", _big5, codes=("doubtful_value",),
         areas={"地塊一": 15.0, "地塊二": 15.0}),
    Case("gbk-shapefile-cpg-says-big5", _cpg_says_big5, areas={"地块一": 15.0, "地块二": 15.0}),
    Case("gbk-shapefile-ldid-says-big5", _ldid_says_big5,
         areas={"地块一": 15.0, "地块二": 15.0}),
    Case("gbk-shapefile-cpg-says-utf8", _cpg_says_utf8, areas={"地块一": 15.0, "地块二": 15.0}),
    Case("big5-shapefile-cpg-says-gbk", _cpg_says_gbk_on_big5, codes=("doubtful_value",),
         areas={"地塊一": 15.0, "地塊二": 15.0}),
    Case("big5-or-gbk-undecidable", _ambiguous, exit_code=2,
         refused=r"ambiguous\.dbf.*owner.*--encoding GBK.*--encoding BIG5"),
    Case("utf8-field-name-cut-inside-a-character", _cut_utf8_name, areas={"P1": 15.0}),
    Case("bom-and-ideographic-space-in-status", _bom_in_status, areas={"P1": 15.0, "P2": 15.0}),
    Case("fullwidth-and-zero-width-ids", _fullwidth_id, codes=("doubtful_value",),
         areas={"YB-01": 15.0, "P2": 15.0}),
    Case("csv-ledger-big5-or-gbk-undecidable", _ambiguous_csv, commands=("validate",),
         exit_code=2, refused=r"ambiguous\.csv.*2.*--encoding GBK.*--encoding BIG5"),
]  # fmt: skip
