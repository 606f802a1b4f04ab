"""Where a figure command's result goes with ``-o OUT``: chosen by the file's extension.

One output path for every figure command (``area``, ``buildable``,
``reserve``, ``gaps``, ``enforce``, ``landuse``; ``targets`` too, without
layers):

- ``.gpkg``, ``.geojson``, ``.parquet``, ``.shp``: a layer, each row with its
  geometry (the parcel; for ``buildable`` the net buildable part; for
  ``enforce`` the piece of the patch a finding is about), canonical field
  names and codes, written by :func:`parkgis.io.export.export_parcels`
  (a shapefile in GBK with a ``.cpg``);
- ``.csv``: the main table, UTF-8 with a BOM, headers and codes in ``--lang``;
- ``.xlsx``: every table, one sheet each, for people (:func:`write_workbook`):
  labelled headers with units, the header row frozen, column widths, mu
  with two decimals, percentages as percent, and a sum row where one makes
  sense;
- ``.json``: the figures as the Python API gives them;
- anything else (``.txt``): the text tables.

``--format`` still chooses when it is given; it must then agree with the
extension. Every file is written atomically.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import click
import geopandas as gpd
import numpy as np
import pandas as pd

from parkgis.io.writing import atomic_path

__all__ = [
    "LAYER_SUFFIXES",
    "OUTPUT_SUFFIXES",
    "output_kind",
    "with_parcel_geometry",
    "write_layer",
    "write_workbook",
]

LAYER_SUFFIXES = (".gpkg", ".geojson", ".parquet", ".shp")
"""Extensions written as a layer, one feature per row."""

_TABLE_KINDS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json"}
OUTPUT_SUFFIXES = (*LAYER_SUFFIXES, *_TABLE_KINDS)
"""Every extension ``-o`` chooses the output by (others get the text tables)."""

_MU_FORMAT = "#,##0.00"
_PCT_FORMAT = "0.0%"
_INT_FORMAT = "#,##0"
_DATE_FORMAT = "yyyy-mm-dd"
_TOTAL = {"zh": "合计", "en": "Total"}


def output_kind(fmt: str, output: Path | None) -> str:
    """What to write: ``text``, ``json``, ``csv``, ``xlsx`` or ``layer``.

    With ``-o`` and no ``--format`` on the command line, the extension
    decides (a ``.txt`` or unknown extension: text); a ``--format`` given
    must agree with a known extension.

    Raises
    ------
    click.UsageError
        When ``--format`` and the extension disagree.
    """
    if output is None:
        return fmt
    suffix = output.suffix.lower()
    by_suffix = "layer" if suffix in LAYER_SUFFIXES else _TABLE_KINDS.get(suffix)
    if not _given("fmt"):
        return by_suffix or fmt
    if by_suffix is not None and by_suffix != fmt:
        raise click.UsageError(
            f"--format {fmt} but -o {output.name} is written as {by_suffix}: "
            "give one or the other (the extension alone chooses)"
        )
    return fmt


def _given(name: str) -> bool:
    from click.core import ParameterSource

    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return False
    return ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)


def with_parcel_geometry(frame: pd.DataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with the geometry of the parcel each row names (by ``parcel_id``).

    Rows naming no parcel of ``parcels`` get no geometry.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> parcels = gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=4544)
    >>> out = with_parcel_geometry(pd.DataFrame({"parcel_id": ["A", "Z"]}), parcels)
    >>> out.geometry.area.tolist()[0], out.geometry.isna().tolist(), out.crs.to_epsg()
    (1.0, [False, True], 4544)
    """
    shapes = parcels.drop_duplicates("parcel_id").set_index("parcel_id").geometry
    ids = frame["parcel_id"] if "parcel_id" in frame.columns else pd.Series(index=frame.index)
    geometry = shapes.reindex(ids.to_numpy()).to_numpy()
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry=geometry, crs=parcels.crs)


def write_layer(frame: gpd.GeoDataFrame, path: Path, *, layer: str) -> list[str]:
    """Write a result as a layer by the extension of ``path``; return the decisions.

    Lists (a gap's parcel ids) are joined with ``;`` and other values that a
    layer cannot hold are written as text; the writing itself is
    :func:`parkgis.io.export.export_parcels`'s (GBK shapefile with a ``.cpg``,
    atomic).
    """
    from parkgis.io.export import export_parcels

    out = frame.copy()
    for column in out.columns:
        if column == out.geometry.name:
            continue
        values = out[column]
        if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) and not isinstance(
            values.dtype, pd.StringDtype
        ):
            values = values.astype(object).where(values.notna(), None)
        if values.dtype == object:
            out[column] = values.map(_layer_value)
    return export_parcels(
        out, path, area_mu=pd.Series(np.nan, index=out.index), layer=layer, lang="en"
    )


def _layer_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return ";".join(map(str, value))
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    return str(value)


def write_workbook(
    sheets: Mapping[str, pd.DataFrame],
    path: Path,
    *,
    labelled: Callable[[pd.DataFrame], pd.DataFrame],
    lang: str,
    totals: Collection[str] = (),
) -> Path:
    """Write tables as an Excel workbook for people, one sheet each, atomically.

    Parameters
    ----------
    sheets
        Sheet name to table, with canonical column names: ``…_mu`` and
        ``…_m2`` get two decimals, ``…_pct`` (and ``pct``) is written as a percentage
        (``0.0%``, the value divided by 100), counts as whole numbers, dates
        as dates.
    labelled
        Turns a table into what people read: headers (with units) and codes
        as labels in ``lang``; it keeps the columns in their order.
    lang
        ``zh`` or ``en``: the sum row's label.
    totals
        Sheets that end with a sum row (合计) of their ``…_mu`` and ``…_m2``
        columns.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="EEEEEE")
    for name, frame in sheets.items():
        sheet = book.create_sheet(name[:31])
        if isinstance(frame, gpd.GeoDataFrame):
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        columns = [str(c) for c in frame.columns]
        shown = labelled(frame)
        formats = [_number_format(c, frame[c]) for c in frame.columns]
        sheet.append([str(c) for c in shown.columns])
        for row in shown.itertuples(index=False):
            sheet.append([_excel_value(v, c) for v, c in zip(row, columns, strict=True)])
        if name in totals and len(frame):
            sums = [
                float(pd.to_numeric(frame[c], errors="coerce").sum()) if _summed(c) else None
                for c in columns
            ]
            sheet.append([_TOTAL.get(lang, "Total"), *sums[1:]])
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        for cell in sheet[1]:
            cell.font = bold
            cell.fill = fill
        for k, number_format in enumerate(formats, start=1):
            if number_format is None:
                continue
            for (cell,) in sheet.iter_rows(min_row=2, min_col=k, max_col=k):
                cell.number_format = number_format
        for k, column_cells in enumerate(sheet.iter_cols(), start=1):
            width = max((_display_width(c.value, c.number_format) for c in column_cells),
                        default=6)  # fmt: skip
            sheet.column_dimensions[get_column_letter(k)].width = min(max(width + 2, 8), 50)
        sheet.freeze_panes = "A2"
    if not book.sheetnames:
        book.create_sheet("empty")
    with atomic_path(path) as tmp:
        book.save(tmp)
    return path


def _is_pct(column: str) -> bool:
    """Percent columns (``pct``, ``difference_pct``): written as a percentage, value / 100."""
    return column == "pct" or column.endswith("_pct")


def _summed(column: str) -> bool:
    return column.endswith(("_mu", "_m2"))


def _number_format(column: Any, values: pd.Series) -> str | None:
    name = str(column)
    if _is_pct(name):
        return _PCT_FORMAT
    if name.endswith(("_mu", "_m2", "_wan")):
        return _MU_FORMAT
    if pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_integer_dtype(values):
        return _INT_FORMAT
    if pd.api.types.is_float_dtype(values) and name == "value":
        return _MU_FORMAT
    if pd.api.types.is_datetime64_any_dtype(values) or name.endswith(("_on", "_date")):
        return _DATE_FORMAT
    return None


def _excel_value(value: Any, column: str) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (float, np.floating)):
        if math.isnan(value) or math.isinf(value):
            return None
        number = float(value)
        return number / 100 if _is_pct(column) else number
    if isinstance(value, (np.integer, np.bool_)):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool) and _is_pct(column):
        return value / 100
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, (list, tuple)):
        return ";".join(map(str, value))
    if isinstance(value, (str, int, float, bool, dt.date)):
        return value
    return str(value)


def _display_width(value: Any, number_format: str) -> int:
    """Columns as wide as their text: CJK characters count twice."""
    if value is None:
        return 0
    if isinstance(value, float):
        text = f"{value:,.2f}" if number_format != _PCT_FORMAT else f"{value * 100:.1f}%"
    else:
        text = str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
