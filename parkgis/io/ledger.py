"""Read a ledger (台账) as offices keep them: Excel or CSV, with titles and totals.

An office's project ledger is not a clean table. Above the header sit a title
and a line of who filled it in; cells are merged (one 片区 over several rows);
numbers are typed as text (``"1,200"``, ``" 30 "``); a 合计 row adds them up;
blank rows separate groups; notes (``注：…``, ``填报单位：…``) follow the table.
This module finds the header row by the field names it knows
(:data:`parkgis.model.schema.TABLES`), fills merged cells, and skips totals,
blank and note rows, reporting each by the row number the office sees.

Values are kept as written (strings stripped of spaces; Excel numbers as
Python numbers; dates as dates): understanding them is
:meth:`parkgis.model.schema.TableSchema.normalise`'s job.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from parkgis.errors import InputError, MissingDependencyError
from parkgis.io.encoding import detect_text_encoding
from parkgis.model.schema import TABLES
from parkgis.model.values import clean_text

__all__ = ["LedgerRead", "read_ledger"]

_EXCEL = {".xlsx", ".xlsm"}
_TEXT = {".csv", ".tsv", ".txt"}
# How far down a header may sit under titles.
_HEADER_SEARCH_ROWS = 30
# A totals row starts with one of these words, not followed by another
# ideograph (总计划投资 is a figure, not a total).
_TOTAL = re.compile(r"^(总合计|合计|总计|小计|共计)(?![\u4e00-\u9fff])")
# A section heading inside the table: 一、新签约项目 or （二）在建项目.
_SECTION = re.compile(r"^(?:[一二三四五六七八九十]+\s*[、.．]|[(（][一二三四五六七八九十]+[)）])")
# A note under (or over) the table: 注：…, 填报单位：…, 联系电话：…
_NOTE = re.compile(
    r"^(注|备注|说明|附注|填报单位|填表单位|报送单位|统计单位|填表人|填报人|制表人|制表|审核人|审核|"
    r"负责人|单位负责人|分管领导|联系人|联系电话|电话|填报日期|填表日期|报送日期|统计日期|日期|"
    r"数据来源|来源)\s*\d*\s*[:：]"
    r"|^注\s*\d*\s*[.、]"
)


@dataclass
class LedgerRead:
    """A ledger's table as read, with every decision and every row skipped.

    Attributes
    ----------
    frame
        One row per data row, columns named by the header row, values as
        written (object dtype).
    decisions
        One sentence per decision: sheet, encoding, header row, merged cells.
    skipped_rows
        ``(row, reason)`` for each row not read as data: titles, blank rows,
        totals, notes. ``row`` is the row number the office sees (Excel's row
        number, or the CSV record number from 1).
    source_rows
        The row number (as in ``skipped_rows``) of each row of ``frame``.
    """

    frame: pd.DataFrame
    decisions: list[str] = field(default_factory=list)
    skipped_rows: list[tuple[int, str]] = field(default_factory=list)
    source_rows: list[int] = field(default_factory=list)


@dataclass
class _Grid:
    """A sheet's cells as stored: merged cells hold their value in the first cell only."""

    rows: list[tuple[int, list[object]]]  # row number, cells from column A
    merges: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # r0, c0, r1, c1 (1-based)
    excel: bool = True  # name columns by letter (Excel) or by number (CSV)
    unsaved: dict[int, list[str]] = field(default_factory=dict)  # row: formulas with no value

    def cell(self, row: int, col: int) -> object:
        """The value stored in a cell (1-based row number and column)."""
        cells = dict(self.rows).get(row, [])
        return cells[col - 1] if col - 1 < len(cells) else None


def read_ledger(
    path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None
) -> LedgerRead:
    """Read a project (or targets, allocations) ledger from Excel or CSV.

    Parameters
    ----------
    path
        An ``.xlsx``/``.xlsm`` workbook or a ``.csv`` (UTF-8, UTF-8 with BOM,
        or GBK: detected, and the decision says which).
    sheet
        The sheet's name or 0-based position. Without it, a workbook's only
        sheet, or the only sheet whose header names known fields.
    encoding
        The CSV's encoding (``--encoding``), if detection must be overruled.

    Returns
    -------
    LedgerRead

    Raises
    ------
    InputError
        When the file cannot be read, has no header row, or has several
        candidate sheets and ``sheet`` is not given.
    EncodingError
        When a CSV's text is neither UTF-8 nor GB18030 and no ``encoding`` is
        given.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such file"
        raise InputError(msg, zh=f"{path}：文件不存在")
    suffix = path.suffix.lower()
    decisions: list[str] = []
    old = suffix == ".xls" or (suffix in _EXCEL and _is_old_excel(path))
    if old and _excel_reader() != "calamine":
        msg = (
            f"{path}: an old Excel (.xls, Excel 97-2003) workbook, which parkgis reads only with "
            "python-calamine (pip install python-calamine); or open it in Excel or WPS and save "
            "it as .xlsx (Excel workbook), or save the sheet as CSV"
        )
        zh = (
            f"{path}：这是旧版 Excel（.xls，Excel 97-2003）工作簿，需安装 python-calamine 才能读取"
            "（pip install python-calamine）；或在 Excel 或 WPS 中打开，另存为 .xlsx"
            "（Excel 工作簿），或将该工作表另存为 CSV"
        )
        raise InputError(msg, zh=zh)
    if old:
        suffix = ".xls"
    if suffix in _EXCEL or suffix == ".xls":
        if encoding is not None:
            decisions.append(f"--encoding {encoding} ignored: Excel workbooks carry their own")
        grid = _excel_grid(path, sheet, decisions)
    elif suffix in _TEXT:
        grid = _csv_grid(path, encoding, decisions)
    else:
        msg = f"{path}: not a ledger parkgis reads (.xlsx, .xlsm, .xls, .csv)"
        raise InputError(msg, zh=f"{path}：不是 parkgis 能读取的台账（.xlsx、.xlsm、.xls、.csv）")
    return _table(grid, str(path), decisions)


def _excel_reader() -> str:
    """``calamine`` when python-calamine is installed (fast; reads .xls too), else ``openpyxl``."""
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def _excel_grid(path: Path, sheet: str | int | None, decisions: list[str]) -> _Grid:
    """The chosen sheet's grid, read by python-calamine where installed, else by openpyxl.

    Both give the same grid: cell values as saved, merged ranges (1-based),
    and the formulas with no saved value (for .xlsx/.xlsm; an .xls always
    holds the values Excel computed).
    """
    calamine = _excel_reader() == "calamine"
    book: _CalamineBook | _OpenpyxlBook = _CalamineBook(path) if calamine else _OpenpyxlBook(path)
    name = _choose_sheet(path, book.names, sheet, book.grid, decisions)
    grid = book.grid(name)
    grid.unsaved = book.unsaved(name)
    return grid


class _CalamineBook:
    """A workbook read by python-calamine (.xlsx, .xlsm, .xls)."""

    def __init__(self, path: Path) -> None:
        import python_calamine

        self.path = path
        try:  # from the bytes: the format is told by the content, not by the suffix
            self.book = python_calamine.load_workbook(io.BytesIO(path.read_bytes()))
        except Exception as exc:
            if path.suffix.lower() == ".xls" or _is_old_excel(path):
                msg = (
                    f"{path}: cannot be read as an old Excel (.xls, Excel 97-2003) workbook "
                    f"({exc}); open it in Excel or WPS and save it as .xlsx (Excel workbook), "
                    "or save the sheet as CSV"
                )
                zh = (
                    f"{path}：无法作为旧版 Excel（.xls，Excel 97-2003）工作簿读取（{exc}）；请在 "
                    "Excel 或 WPS 中打开，另存为 .xlsx（Excel 工作簿），或将该工作表另存为 CSV"
                )
                raise InputError(msg, zh=zh) from None
            msg = f"{path}: cannot be read as an Excel workbook ({exc})"
            raise InputError(msg, zh=f"{path}：无法作为 Excel 工作簿读取（{exc}）") from None
        self.names: list[str] = list(self.book.sheet_names)
        self._grids: dict[str, _Grid] = {}

    def grid(self, name: str) -> _Grid:
        if name not in self._grids:
            ws = self.book.get_sheet_by_name(name)
            cells = ws.to_python(skip_empty_area=False)
            rows = [(n, [_excel_value(v) for v in values]) for n, values in enumerate(cells, 1)]
            merges = [
                (r0 + 1, c0 + 1, r1 + 1, c1 + 1)
                for (r0, c0), (r1, c1) in (ws.merged_cell_ranges or [])
            ]
            self._grids[name] = _Grid(rows, merges, excel=True)
        return self._grids[name]

    def unsaved(self, name: str) -> dict[int, list[str]]:
        if self.path.suffix.lower() == ".xls" or _is_old_excel(self.path):
            return {}
        return _xlsx_unsaved_formulas(self.path, name)


class _OpenpyxlBook:
    """A workbook read by openpyxl (.xlsx, .xlsm)."""

    def __init__(self, path: Path) -> None:
        try:
            import openpyxl
        except ImportError:  # pragma: no cover - a dependency of parkgis
            msg = "reading .xlsx ledgers needs openpyxl: pip install openpyxl"
            zh = "读取 .xlsx 台账需要 openpyxl：pip install openpyxl"
            raise MissingDependencyError(msg, zh=zh) from None
        try:
            self.book = openpyxl.load_workbook(path, data_only=True)
            self.formulas = openpyxl.load_workbook(path, data_only=False)
        except Exception as exc:
            msg = f"{path}: cannot be read as an Excel workbook ({exc})"
            raise InputError(msg, zh=f"{path}：无法作为 Excel 工作簿读取（{exc}）") from None
        self.names: list[str] = list(self.book.sheetnames)

    def grid(self, name: str) -> _Grid:
        return _sheet_grid(self.book[name])

    def unsaved(self, name: str) -> dict[int, list[str]]:
        return _unsaved_formulas(self.book[name], self.formulas[name])


def _choose_sheet(
    path: Path,
    names: list[str],
    sheet: str | int | None,
    grid: Callable[[str], _Grid],
    decisions: list[str],
) -> str:
    """The sheet to read: the one given, the only one, or the only one with a known header."""
    if sheet is not None:
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                msg = f"{path}: no sheet {sheet}; its sheets are {', '.join(names)}"
                raise InputError(msg)
            name = names[sheet]
        elif sheet in names:
            name = sheet
        else:
            msg = f"{path}: no sheet {sheet!r}; its sheets are {', '.join(names)}"
            raise InputError(msg)
    elif len(names) == 1:
        name = names[0]
    else:
        found = [n for n in names if _find_header(grid(n)) is not None]
        if len(found) != 1:
            which = "none names" if not found else f"{len(found)} name"
            which_zh = "没有一个" if not found else f"有 {len(found)} 个"
            listed = ", ".join(found or names)
            # No command takes a sheet: say how to leave one sheet to read.
            msg = (
                f"{path} has {len(names)} sheets ({', '.join(names)}) and {which} known fields "
                f"in a header row ({listed}), so parkgis cannot tell which is the ledger; save "
                "the ledger's sheet on its own (in Excel or WPS: right-click the sheet tab, "
                "Move or Copy, to a new book; or save the sheet as CSV) and give that file"
            )
            zh = (
                f"{path} 有 {len(names)} 个工作表（{', '.join(names)}），其中{which_zh}的表头含"
                f"已知字段（{listed}），parkgis 无法判断哪个是台账；请把台账所在的工作表单独保存"
                "（在 Excel 或 WPS 中右击工作表标签，“移动或复制”到新工作簿；或将该表另存为 CSV），"
                "再指定该文件"
            )
            raise InputError(msg, zh=zh)
        name = found[0]
        decisions.append(f"sheet {name!r}: the only one of {len(names)} with a known header")
    if len(names) > 1 and sheet is not None:
        decisions.append(f"sheet {name!r} (given)")
    return name


def _xlsx_unsaved_formulas(path: Path, name: str) -> dict[int, list[str]]:
    """Formulas with no saved value in an .xlsx sheet, read from its XML (calamine has no formulas).

    The same as :func:`_unsaved_formulas` gives from openpyxl: ``{row: ["B2 (=1000*3)"]}``.
    """
    import posixpath
    import zipfile
    from xml.etree import ElementTree as ET

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    pkg = "{http://schemas.openxmlformats.org/package/2006/relationships}"
    unsaved: dict[int, list[str]] = {}
    try:
        with zipfile.ZipFile(path) as z:
            book = ET.fromstring(z.read("xl/workbook.xml"))
            rid = next(
                (s.get(f"{rel}id") for s in book.iter(f"{main}sheet") if s.get("name") == name),
                None,
            )
            rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            target = next((r.get("Target") for r in rels.iter(f"{pkg}Relationship")
                           if r.get("Id") == rid), None)  # fmt: skip
            if target is None:
                return {}
            part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            with z.open(posixpath.normpath(part)) as xml:
                for _, cell in ET.iterparse(xml):
                    if cell.tag != f"{main}c":
                        continue
                    formula, value = cell.find(f"{main}f"), cell.find(f"{main}v")
                    if formula is not None and (value is None or not (value.text or "")):
                        ref = cell.get("r", "")
                        row = int("".join(ch for ch in ref if ch.isdigit()) or 0)
                        unsaved.setdefault(row, []).append(f"{ref} (={formula.text or ''})")
                    cell.clear()
    except (KeyError, OSError, ET.ParseError, zipfile.BadZipFile):
        return {}
    return unsaved


def _sheet_grid(ws: object) -> _Grid:
    """A worksheet's cells, from row 1 and column A whatever cells are used."""
    cells = ws.iter_rows(min_row=1, min_col=1, values_only=True)  # type: ignore[attr-defined]
    rows = [(number, [_excel_value(v) for v in values]) for number, values in enumerate(cells, 1)]
    merges = [
        (r.min_row, r.min_col, r.max_row, r.max_col)
        for r in ws.merged_cells.ranges  # type: ignore[attr-defined]
    ]
    return _Grid(rows, merges, excel=True)


def _unsaved_formulas(values: object, formulas: object) -> dict[int, list[str]]:
    """Formulas with no value saved (a file written by a program): they read as empty."""
    unsaved: dict[int, list[str]] = {}
    for row in formulas.iter_rows():  # type: ignore[attr-defined]
        for cell in row:
            text = cell.value
            saved = values[cell.coordinate].value  # type: ignore[index]
            if isinstance(text, str) and text.startswith("=") and saved is None:
                unsaved.setdefault(cell.row, []).append(f"{cell.coordinate} ({text})")
    return unsaved


def _excel_value(value: object) -> object:
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date()
    return value


def _csv_grid(path: Path, encoding: str | None, decisions: list[str]) -> _Grid:
    data = path.read_bytes()
    choice = detect_text_encoding(data, where=str(path), override=encoding)
    decisions.append(f"encoding {choice.encoding}: {choice.reason}")
    text = data.decode(choice.encoding)
    text = text.removeprefix("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = (
        "\t" if path.suffix.lower() == ".tsv" or ("\t" in first and "," not in first) else ","
    )
    if delimiter != ",":
        decisions.append("columns separated by tabs")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [(n, [_text_value(v) for v in record]) for n, record in enumerate(reader, start=1)]
    return _Grid(rows, [], excel=False)


def _text_value(value: str) -> str | None:
    text = value.strip()
    return text or None


def _table(grid: _Grid, where: str, decisions: list[str]) -> LedgerRead:
    skipped: list[tuple[int, str]] = []
    found = _find_header(grid)
    if found is None:
        found = _fallback_header(grid)
        if found is None:
            msg = (
                f"{where}: no header row found (a row of column names, such as 项目名称, 总投资, "
                "用地面积); is it a ledger?"
            )
            raise InputError(msg)
        decisions.append(
            f"header: row {grid.rows[found][0]}, the first row of names (none is a known field)"
        )
    else:
        decisions.append(f"header: row {grid.rows[found][0]}")
    header_no, header = grid.rows[found]
    width = max((_last_filled(cells) for _, cells in grid.rows), default=0)
    names = _header_names(header, width)
    body_start = found + 1
    sub = _sub_header(grid, found, names, width)
    if sub is not None:
        names = sub
        body_start = found + 2
        decisions.append(
            f"two header rows ({header_no} and {header_no + 1}): names under a merged group "
            "header taken from the second"
        )
    for number, cells in grid.rows[:found]:
        text = " ".join(str(v) for v in cells if v is not None)
        if text:
            skipped.append((number, f"above the header: {text!r}"))
    last_header_row = grid.rows[body_start - 1][0]
    filled, merges = _fill_merges(grid, last_header_row)
    body = grid.rows[body_start:]
    last_data = max(
        (i for i, (_, cells) in enumerate(body) if any(v is not None for v in cells)), default=-1
    )
    header_keys = [_key(n) if n else "" for n in names]
    rows: list[list[object]] = []
    source_rows: list[int] = []
    after_total = False  # below a 合计 row (not a 小计), a lone text is a note
    for i, (number, cells) in enumerate(body):
        values = [v for v in cells if v is not None]
        if not values:
            if i < last_data:
                skipped.append((number, "blank row"))
            continue
        why = _skip_reason(values, header_keys, cells, after_total=after_total)
        if why is not None:
            skipped.append((number, why))
            after_total = after_total or (why.startswith("totals row") and "小计" not in why)
            continue
        full = filled.get(number, cells)
        rows.append([full[c] if c < len(full) else None for c in range(width)])
        source_rows.append(number)
    kept = set(source_rows)
    merged = [text for (r0, r1), text in merges if kept & set(range(r0, r1 + 1))]
    if merged:
        decisions.append(
            f"{len(merged)} merged cell range(s) filled: each value repeated in every cell it "
            "spans (" + ", ".join(merged[:5]) + (" …" if len(merged) > 5 else "") + ")"
        )
    unsaved = [cell for row in source_rows for cell in grid.unsaved.get(row, [])]
    if unsaved:
        decisions.append(
            f"{len(unsaved)} formula cell(s) have no saved value and read as empty: "
            + ", ".join(unsaved[:10])
            + (" …" if len(unsaved) > 10 else "")
            + "; open and save the workbook in Excel or WPS to keep their values"
        )
    frame = pd.DataFrame(rows, columns=range(width), dtype=object)
    frame, more = _name_columns(frame, names, grid.excel)
    decisions += more
    return LedgerRead(frame, decisions, skipped, source_rows)


def _find_header(grid: _Grid) -> int | None:
    """The first row whose cells are mostly text and name at least two known fields."""
    width = max((_last_filled(cells) for _, cells in grid.rows), default=0)
    for i, (_, cells) in enumerate(grid.rows[:_HEADER_SEARCH_ROWS]):
        values = [v for v in cells if v is not None]
        texts = [str(v) for v in values if isinstance(v, str)]
        if len(texts) < 2 or len(texts) < 0.8 * len(values) or len(texts) < width / 2:
            continue
        known = max(len(TABLES[t].match_columns(texts)[0]) for t in TABLES)
        if known >= 2:
            return i
    return None


def _fallback_header(grid: _Grid) -> int | None:
    """The first row of distinct texts filling at least half the table's width."""
    width = max((_last_filled(cells) for _, cells in grid.rows), default=0)
    for i, (_, cells) in enumerate(grid.rows[:_HEADER_SEARCH_ROWS]):
        values = [v for v in cells if v is not None]
        texts = {str(v) for v in values if isinstance(v, str)}
        if len(texts) >= 2 and len(texts) == len(values) and len(texts) >= width / 2:
            return i
    return None


def _sub_header(grid: _Grid, found: int, names: list[str | None], width: int) -> list[str] | None:
    """Names from a second header row under group headers merged across columns, if any."""
    header_no = grid.rows[found][0]
    groups = [
        (c0, c1)
        for r0, c0, r1, c1 in grid.merges
        if r0 == header_no and r1 == header_no and c1 > c0
    ]
    if not groups or found + 1 >= len(grid.rows):
        return None
    number, cells = grid.rows[found + 1]
    if number != header_no + 1:
        return None
    under = {c for c0, c1 in groups for c in range(c0 - 1, c1)}
    below = {c: v for c, v in enumerate(cells) if v is not None}
    if not below or not all(isinstance(v, str) for v in below.values()):
        return None
    if not set(below) <= under:
        return None
    out = list(names)
    for c in under:
        if c < width:
            out[c] = _clean_name(below.get(c)) or out[c]
    return out  # type: ignore[return-value]


def _fill_merges(
    grid: _Grid, last_header_row: int
) -> tuple[dict[int, list[object]], list[tuple[tuple[int, int], str]]]:
    """Rows below the header with each merged value copied into every cell it spans.

    Also returns each range filled: its rows, and how to show it.
    """
    filled: dict[int, list[object]] = {}
    merged: list[tuple[tuple[int, int], str]] = []
    by_number = dict(grid.rows)
    for r0, c0, r1, c1 in sorted(grid.merges):
        if r1 <= last_header_row:
            continue
        value = grid.cell(r0, c0)
        if value is None:
            continue
        merged.append(((r0, r1), f"{_ref(r0, c0)}:{_ref(r1, c1)} {value!s}"))
        for r in range(max(r0, last_header_row + 1), r1 + 1):
            row = filled.setdefault(r, list(by_number.get(r, [])))
            row.extend([None] * (c1 - len(row)))
            for c in range(c0 - 1, c1):
                row[c] = value
    return filled, merged


def _skip_reason(
    values: list[object], header_keys: list[str], cells: list[object], *, after_total: bool
) -> str | None:
    """Why a non-blank row below the header is not data, or None if it is."""
    for value in values[:3]:
        total = _TOTAL.match(_key(value)) if isinstance(value, str) else None
        if total is not None:
            return f"totals row ({total[1]})"
    texts = [str(v) for v in values]
    shown = " ".join(texts)
    shown = shown if len(shown) <= 40 else shown[:40] + "…"
    if all(isinstance(v, str) and _NOTE.match(unicodedata.normalize("NFKC", v)) for v in values):
        return f"note below the table: {shown!r}"
    single = len(set(texts)) == 1 and isinstance(values[0], str)
    if single and _SECTION.match(texts[0]):
        return f"section heading: {shown!r}"
    if single and after_total:
        return f"note below the totals row: {shown!r}"
    keys = [_key(v) if v is not None else "" for v in cells]
    if [k for k in keys if k] == [k for k in header_keys if k]:
        return "the header repeated"
    return None


def _header_names(cells: list[object], width: int) -> list[str | None]:
    return [_clean_name(cells[c]) if c < len(cells) else None for c in range(width)]


def _clean_name(value: object) -> str | None:
    if value is None:
        return None
    text = " ".join(str(clean_text(str(value))).split())
    return text or None


def _name_columns(
    frame: pd.DataFrame, names: list[str | None], excel: bool
) -> tuple[pd.DataFrame, list[str]]:
    decisions = []
    keep = []
    columns: list[str] = []
    seen: dict[str, int] = {}
    for c, name in enumerate(names):
        if name is None:
            if frame[c].isna().all():
                continue
            name = f"column_{_letters(c + 1)}" if excel else f"column_{c + 1}"
            decisions.append(f"column {name}: values under an empty header cell")
        if name in seen:
            seen[name] += 1
            new = f"{name}_{seen[name]}"
            decisions.append(f"column {new}: a second column headed {name!r}")
            name = new
        else:
            seen[name] = 1
        keep.append(c)
        columns.append(name)
    out = frame[keep].copy()
    out.columns = columns
    return out.reset_index(drop=True), decisions


def _last_filled(cells: list[object]) -> int:
    for c in range(len(cells), 0, -1):
        if cells[c - 1] is not None:
            return c
    return 0


def _key(value: object) -> str:
    text = str(clean_text(str(value), fold=True))
    return "".join(text.split()).lower()


def _is_old_excel(path: Path) -> bool:
    """Whether a workbook is an old binary one (OLE2 compound file), whatever its suffix."""
    with path.open("rb") as file:
        return file.read(8) == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _letters(col: int) -> str:
    out = ""
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


def _ref(row: int, col: int) -> str:
    return f"{_letters(col)}{row}"
