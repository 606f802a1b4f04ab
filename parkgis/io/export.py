"""Write a park's parcels in the formats that move between a park, the bureau and the surveyors.

By the output's extension (:data:`EXPORT_FORMATS`): the 界址点坐标 TXT of
approval packages (:mod:`parkgis.io.boundary_txt`), KML/KMZ and CASS DXF
(:mod:`parkgis.io.kml`, :mod:`parkgis.io.dxf`), GeoPackage, Shapefile (GBK
with a ``.cpg``), GeoJSON, GeoParquet, and attribute tables (CSV, XLSX) with
the measured area in mu; with ``boundary_points`` an XLSX holds the
界址点成果表 (:mod:`parkgis.land.boundary_points`).

Every file is written whole or not at all: to a temporary file beside it,
then renamed (:func:`parkgis.io.writing.atomic_path`); a shapefile's sidecars
are written together in a temporary folder and each renamed into place.
Private fields (the manifest's ``private_fields``) are left out unless asked
for. Every decision is returned, one sentence each.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from parkgis.errors import InputError
from parkgis.model.schema import TABLES, field_label

__all__ = [
    "EXPORT_FORMATS",
    "attribute_table",
    "boundary_points_sheet",
    "export_parcels",
    "export_reading",
    "select_parcels",
]

EXPORT_FORMATS = {
    ".txt": "界址点坐标 TXT (GBK, Gauss-Kruger zone)",
    ".kml": "KML (WGS 84 longitude, latitude)",
    ".kmz": "KMZ (zipped KML)",
    ".dxf": "DXF drawing (closed polylines)",
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile (GBK, with .cpg)",
    ".geojson": "GeoJSON",
    ".parquet": "GeoParquet",
    ".csv": "CSV table (UTF-8 with BOM) with area_mu",
    ".xlsx": "Excel table with area_mu (or, with --boundary-points, the 界址点成果表)",
}
"""The extensions ``parkgis export`` writes, and what each holds."""
_SHP_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def select_parcels(
    parcels: gpd.GeoDataFrame,
    *,
    parcel_ids: Sequence[str] = (),
    statuses: Sequence[str] = (),
) -> gpd.GeoDataFrame:
    """The parcels named by id and/or whose acquisition status is one of ``statuses``.

    Parameters
    ----------
    parcel_ids
        Parcel ids (``--parcels``); each must exist.
    statuses
        Acquisition statuses as code, Chinese label or alias (``--status``).

    Raises
    ------
    InputError
        For an id that names no parcel, or when nothing is selected.
    VocabularyError
        For a status that is not a known term.
    """
    from parkgis.model.vocab import VOCABULARIES

    out = parcels
    if parcel_ids:
        known = set(parcels["parcel_id"].astype(str))
        unknown = [p for p in parcel_ids if p not in known]
        if unknown:
            msg = (
                f"--parcels: no parcel {', '.join(map(repr, unknown))} in the park; its parcel ids "
                f"include {', '.join(sorted(known)[:10])}"
            )
            zh = f"--parcels：园区中没有地块 {', '.join(map(repr, unknown))}"
            raise InputError(msg, zh=zh)
        out = out[out["parcel_id"].astype(str).isin(set(parcel_ids))]
    if statuses:
        vocab = VOCABULARIES["acquisition_status"]
        codes = {vocab.code(s, where="--status", where_zh="--status") for s in statuses}
        if "acquisition_status" not in out.columns:
            msg = "--status: the parcels have no acquisition_status field to select by"
            raise InputError(msg, zh="--status：地块没有征收状态字段，无法按状态选择")
        out = out[out["acquisition_status"].isin(codes)]
    if not len(out):
        raise InputError(
            "no parcel matches --parcels/--status; nothing to export",
            zh="没有符合 --parcels/--status 的地块，未导出",
        )
    return out


def attribute_table(
    parcels: gpd.GeoDataFrame, area_mu: pd.Series, *, lang: str = "en"
) -> pd.DataFrame:
    """The parcels' attributes with ``area_mu``; headers labelled in Chinese with ``lang="zh"``."""
    table = pd.DataFrame(parcels.drop(columns=parcels.geometry.name))
    table["area_mu"] = area_mu.to_numpy()
    if lang == "zh":
        table = table.rename(columns={c: field_label(c, "zh") for c in table.columns})
    return table


def boundary_points_sheet(points: pd.DataFrame, areas: pd.DataFrame, *, lang: str = "zh") -> list:
    """The 界址点成果表 laid out for people: one block per parcel, as rows of cells.

    Each block: the parcel's id and name, the header row, one row per point
    (the closing point repeated), then its area in m², 公顷 and mu (planar
    Gauss-Kruger of the zone) and the ellipsoidal mu beside it, labelled.
    """
    zh = lang == "zh"
    head = (
        ["点号", "圈号", "X (北坐标, 米)", "Y (东坐标, 米)", "边长 (米)"]
        if zh
        else ["Point", "Ring", "X (northing, m)", "Y (easting, m)", "Edge (m)"]
    )
    rows: list[list] = []
    for _, area in areas.iterrows():
        pid = area["parcel_id"]
        name = area["name"] if isinstance(area["name"], str) else ""
        rows.append([f"地块编号 {pid}  {name}" if zh else f"Parcel {pid}  {name}"])
        rows.append(head)
        for _, p in points[points["parcel_id"] == pid].iterrows():
            edge = None if pd.isna(p["edge_m"]) else round(float(p["edge_m"]), 3)
            rows.append([p["point"], int(p["ring"]), round(float(p["x_m"]), 3),
                         round(float(p["y_m"]), 3), edge])  # fmt: skip
        m2, ha, mu = area["planar_area_m2"], area["planar_area_ha"], area["planar_area_mu"]
        rows.append(
            ["平面面积（高斯投影）" if zh else "Planar area (Gauss-Kruger)",
             f"{m2:.2f} 平方米" if zh else f"{m2:.2f} m²",
             f"{ha:.4f} 公顷" if zh else f"{ha:.4f} ha",
             f"{mu:.4f} 亩" if zh else f"{mu:.4f} mu"]
        )  # fmt: skip
        rows.append(
            ["椭球面积（parkgis 统计口径）" if zh else "Ellipsoidal area (parkgis figures)",
             "", "", f"{area['area_mu']:.4f} 亩" if zh else f"{area['area_mu']:.4f} mu"]
        )  # fmt: skip
        rows.append([])
    return rows


def export_reading(
    reading: Any,
    path: Path,
    *,
    parcel_ids: Sequence[str] = (),
    statuses: Sequence[str] = (),
    boundary_points: bool = False,
    **options: Any,
) -> tuple[list[str], int]:
    """Write the selected parcels of a park as its one reading counts them.

    The attribute formats carry every selected parcel with its measured area
    (none for a parcel left out); the 界址点坐标 TXT and the 成果表 carry the
    parcels as validate measured them (a repaired geometry; those left out
    are named in the reading's notes).

    Parameters
    ----------
    reading
        The park's :class:`~parkgis.check.reading.Reading`.
    path
        The output file (see :func:`export_parcels`).
    parcel_ids, statuses
        The selection (:func:`select_parcels`); empty: every parcel.
    boundary_points
        Write the 界址点成果表 (XLSX only).
    **options
        Further options of :func:`export_parcels` (``zone``, ``crs``,
        ``lang``, ``include_private``, ``produced_on`` …); the private fields
        and the producer come from the park's manifest.

    Returns
    -------
    decisions, count
        The decisions taken, and the number of parcels written.
    """
    source = reading.park.parcels
    area = pd.Series(np.nan, index=source.index, name="area_mu")
    area.iloc[reading.rows - 1] = reading.area_mu.to_numpy()
    chosen = select_parcels(source, parcel_ids=parcel_ids, statuses=statuses)
    parcels = chosen
    if Path(path).suffix.lower() == ".txt" or boundary_points:
        positions = source.index.get_indexer(chosen.index)
        parcels = reading.measured.parcels[np.isin(reading.rows - 1, positions)]
    decisions = export_parcels(
        parcels,
        Path(path),
        area_mu=area.loc[chosen.index] if parcels is chosen else None,
        private_fields=reading.park.manifest.private_fields,
        boundary_points=boundary_points,
        producer=reading.park.manifest.display_name,
        **options,
    )
    return decisions, len(parcels)


def export_parcels(
    parcels: gpd.GeoDataFrame,
    path: Path,
    *,
    area_mu: pd.Series | None = None,
    private_fields: Sequence[str] = (),
    include_private: bool = False,
    zone: int | None = None,
    crs: str | int | CRS | None = None,
    lang: str = "zh",
    boundary_points: bool = False,
    producer: str = "",
    produced_on: dt.date | None = None,
    layer: str = "parcels",
) -> list[str]:
    """Write ``parcels`` to ``path`` in the format of its extension; return the decisions.

    Parameters
    ----------
    parcels
        The parcels to write (selected already, see :func:`select_parcels`).
    path
        The output file; its extension chooses the format (:data:`EXPORT_FORMATS`).
    area_mu
        The measured area of each parcel (aligned with ``parcels``), for the
        attribute tables; measured on the ellipsoid here when not given.
    private_fields, include_private
        The manifest's private fields, and whether to write them.
    zone, crs
        The Gauss-Kruger zone (``--zone``) or CRS (``--crs``) of the TXT and
        the 成果表; for the other formats ``crs`` reprojects the output
        (``zone`` then means its zone-prefixed CGCS2000 CRS).
    lang
        Labels of the attribute tables' headers and the 成果表 (``zh``, ``en``).
    boundary_points
        Write the 界址点成果表 (XLSX only).
    producer, produced_on
        The TXT header's 数据产生单位 and 数据产生日期 (the shell reads the clock).
    layer
        The GeoPackage layer's name (a command's result: ``buildable``, ``findings`` …).

    Raises
    ------
    InputError
        For an extension parkgis does not write, ``boundary_points`` with
        another format than XLSX, or a CRS the format cannot take.
    """
    from parkgis.land.boundary_points import boundary_areas, boundary_crs
    from parkgis.land.boundary_points import boundary_points as points_of
    from parkgis.measure.area import gross_area_mu

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        listed = ", ".join(EXPORT_FORMATS)
        what = suffix or "files without an extension"
        msg = f"{path}: parkgis does not write {what}; it writes {listed}"
        raise InputError(
            msg, zh=f"{path}：parkgis 不能写出 {suffix or '无扩展名的文件'}；可写出的格式：{listed}"
        )
    if boundary_points and suffix != ".xlsx":
        msg = f"{path}: --boundary-points writes the 界址点成果表 as a workbook; give -o FILE.xlsx"
        raise InputError(
            msg, zh=f"{path}：--boundary-points 输出为 Excel 工作簿，请用 -o 文件.xlsx"
        )
    decisions: list[str] = []
    private = [c for c in private_fields if c in parcels.columns]
    if private and not include_private:
        parcels = parcels.drop(columns=private)
        decisions.append(f"private field(s) left out: {', '.join(private)} (--private writes them)")
    elif private:
        decisions.append(f"private field(s) written, as asked (--private): {', '.join(private)}")
    if area_mu is None:
        area_mu = gross_area_mu(parcels)
    if suffix == ".txt" or boundary_points:
        target = boundary_crs(parcels, zone=zone, crs=crs)
        present = parcels[parcels.geometry.notna() & ~parcels.geometry.is_empty]
        if suffix == ".txt":
            from parkgis.io.boundary_txt import write_boundary_txt

            write_boundary_txt(present, path, crs=target, producer=producer,
                               produced_on=produced_on, decisions=decisions)  # fmt: skip
        else:
            rows = boundary_points_sheet(
                points_of(present, crs=target), boundary_areas(present, crs=target), lang=lang
            )
            _write_xlsx_rows(
                rows, path, title="界址点成果表" if lang == "zh" else "Boundary points"
            )
            decisions.append(
                f"界址点成果表 in EPSG:{target.to_epsg()} ({target.name}): points J1… clockwise "
                "from "
                "the north-west-most vertex, X northing, Y easting, 3 decimals; the area is the "
                "planar Gauss-Kruger area of the zone, the ellipsoidal mu beside it"
            )
        _name_skipped(parcels, present, decisions)
        return decisions
    if zone is not None or crs is not None:
        target = (
            boundary_crs(parcels, zone=zone, crs=crs) if crs is None else CRS.from_user_input(crs)
        )
        parcels = parcels.to_crs(target)
        decisions.append(f"reprojected to EPSG:{target.to_epsg()} ({target.name})")
    if suffix in {".kml", ".kmz"}:
        try:
            from parkgis.io.kml import write_kml
        except ImportError:
            raise _not_yet(path, "KML/KMZ") from None
        write_kml(parcels, path, lang=lang, kmz=suffix == ".kmz", title=producer or None)
        decisions.append(f"{EXPORT_FORMATS[suffix]}: {len(parcels)} parcel(s)")
    elif suffix == ".dxf":
        try:
            from parkgis.io.dxf import write_dxf
        except ImportError:
            raise _not_yet(path, "DXF") from None
        drawn = write_dxf(parcels, path)
        decisions.append(
            f"DXF in {_crs_text(drawn)}: {len(parcels)} parcel(s); a DXF cannot say its CRS, "
            f"read it back with --crs EPSG:{drawn.to_epsg()}"
        )
    elif suffix == ".gpkg":
        _write_gdal(parcels, path, driver="GPKG", layer=layer)
        decisions.append(f"GeoPackage layer {layer!r} in {_crs_text(parcels.crs)}")
    elif suffix == ".shp":
        renamed = _shapefile_names(parcels, decisions)
        _write_shapefile(renamed, path)
        decisions.append(f"Shapefile in {_crs_text(parcels.crs)}, text in GBK (a .cpg says so)")
    elif suffix == ".geojson":
        _write_gdal(parcels, path, driver="GeoJSON")
        decisions.append(f"GeoJSON in {_crs_text(parcels.crs)}")
    elif suffix == ".parquet":
        from parkgis.io.writing import atomic_path

        with atomic_path(path) as tmp:
            parcels.to_parquet(tmp)
        decisions.append(f"GeoParquet in {_crs_text(parcels.crs)}")
    else:
        table = attribute_table(parcels, area_mu, lang=lang)
        if suffix == ".csv":
            from parkgis.io.writing import atomic_path

            with atomic_path(path) as tmp:
                table.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            cells = table.astype(object).where(table.notna(), None).values.tolist()
            title = "地块" if lang == "zh" else "Parcels"
            _write_xlsx_rows([list(table.columns), *cells], path, title=title)
        decisions.append(
            f"{EXPORT_FORMATS[suffix]}: {len(table)} parcel(s), no geometry; area_mu measured on "
            "the ellipsoid"
        )
    return decisions


def _name_skipped(parcels: gpd.GeoDataFrame, present: gpd.GeoDataFrame, decisions: list) -> None:
    missing = parcels.index.difference(present.index)
    if len(missing):
        ids = ", ".join(map(str, parcels.loc[missing, "parcel_id"]))
        decisions.append(f"{len(missing)} parcel(s) have no geometry to list, not written: {ids}")


def _not_yet(path: Path, what: str) -> InputError:
    msg = f"{path}: this parkgis cannot write {what} yet (parkgis.io is missing its writer)"
    return InputError(msg, zh=f"{path}：此版本的 parkgis 尚不能写出 {what}")


def _crs_text(crs: CRS | None) -> str:
    if crs is None:
        return "no CRS"
    epsg = CRS.from_user_input(crs).to_epsg()
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def _write_gdal(frame: gpd.GeoDataFrame, path: Path, *, driver: str, **options: str) -> None:
    import pyogrio

    from parkgis.io.writing import atomic_path

    with atomic_path(path) as tmp:
        pyogrio.write_dataframe(frame, tmp, driver=driver, **options)


def _shapefile_names(parcels: gpd.GeoDataFrame, decisions: list[str]) -> gpd.GeoDataFrame:
    """Field names of at most 10 characters that parkgis reads back to the same fields."""
    schema = TABLES["parcels"]
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for column in parcels.columns:
        if column == parcels.geometry.name:
            continue
        name = str(column)
        if len(name.encode("gbk", errors="replace")) > 10:
            aliases = schema.field(name).aliases if name in schema.names else ()
            short = [a for a in aliases if a.isascii() and len(a) <= 10 and a not in taken]
            name = (
                short[0]
                if short
                else name.encode("gbk", errors="replace")[:10].decode("gbk", "ignore")
            )
        if name in taken:
            msg = f"two fields shorten to {name!r} in a shapefile; rename one, or export to .gpkg"
            raise InputError(
                msg, zh=f"写出 shapefile 时两个字段都缩短为 {name!r}；请改名，或导出为 .gpkg"
            )
        taken.add(name)
        if name != column:
            mapping[column] = name
    if mapping:
        decisions.append(
            "shapefile field names (10 characters at most), read back as the same fields: "
            + ", ".join(f"{k} → {v}" for k, v in mapping.items())
        )
    return parcels.rename(columns=mapping)


def _write_shapefile(frame: gpd.GeoDataFrame, path: Path) -> None:
    """Write a GBK shapefile with a .cpg: all files in a temporary folder, then renamed."""
    import pyogrio

    path.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=path.parent))
    try:
        tmp = folder / path.name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pyogrio.write_dataframe(frame, tmp, driver="ESRI Shapefile", encoding="GBK")
        cpg = tmp.with_suffix(".cpg")
        cpg.write_text("GBK", encoding="ascii")
        for suffix in _SHP_SIDECARS:
            part = tmp.with_suffix(suffix)
            if part.exists():
                with open(part, "rb+") as handle:
                    os.fsync(handle.fileno())
        for suffix in _SHP_SIDECARS:
            part = tmp.with_suffix(suffix)
            if part.exists():
                os.replace(part, path.with_suffix(suffix))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write_xlsx_rows(rows: list[list], path: Path, *, title: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from parkgis.io.writing import atomic_path

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for cells in sheet.iter_rows(min_row=1, max_row=1):
        for cell in cells:
            cell.font = Font(bold=True)
    for column in sheet.columns:
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 40)
    with atomic_path(path) as tmp:
        book.save(tmp)


def _cell(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, (str, int, float, bool, dt.date)):
        return value
    return str(value)
