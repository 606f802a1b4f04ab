"""The fields of each park table, and the header names offices write for them.

Field definitions are data, in ``schema.toml`` beside this module. This module
maps the columns of a file to canonical names (reporting every decision) and
normalises values (vocabulary terms to codes, written areas to mu), reporting
each value it cannot understand instead of dropping or coercing it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from parkgis.errors import AreaParseError, DataError, VocabularyError
from parkgis.measure.units import Reading, read_quantity
from parkgis.model.values import BLANKS, all_text, clean_id, clean_text, id_text, is_blank
from parkgis.model.vocab import VOCABULARIES, Vocabulary

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "SERIAL_DATES",
    "TABLES",
    "Field",
    "TableSchema",
    "ValueIssue",
    "field_label",
    "parse_date",
]


@dataclass(frozen=True)
class Field:
    """One field of a park table."""

    name: str
    kind: str
    zh: str
    en: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    unit: str | None = None
    """The unit a number field is kept in (a key of :data:`parkgis.measure.units.UNITS`)."""

    @property
    def vocabulary(self) -> Vocabulary | None:
        """The vocabulary of a ``vocab:`` field, else None."""
        if self.kind.startswith("vocab:"):
            return VOCABULARIES[self.kind.split(":", 1)[1]]
        return None

    def label(self, lang: str = "zh") -> str:
        """The field's label in ``lang``."""
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class ValueIssue:
    """A value that could not be understood, or was read with a doubt: where and why.

    Attributes
    ----------
    table, field, row, key, value
        Where the value is (``row`` 1-based; ``key`` the row's id) and the
        value as written.
    message
        What is wrong and what to do, in English.
    severity
        ``"error"`` (the value was kept as written and figures that need it
        are uncertain) or ``"warning"`` (read, with a doubt: ``约30亩`` read as
        30 mu).
    code
        The problem code validate reports it under; None lets validate choose
        from the field (``bad_area``, ``unknown_status`` ...).
    message_zh
        The message in Chinese, when given.
    """

    table: str
    field: str
    row: int
    key: str | None
    value: object
    message: str
    severity: str = "error"
    code: str | None = None
    message_zh: str | None = None


@dataclass(frozen=True)
class TableSchema:
    """The fields of one table (parcels, projects, targets ...)."""

    name: str
    zh: str
    en: str
    key: str
    fields: tuple[Field, ...]

    @property
    def names(self) -> list[str]:
        """Canonical field names in order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"table {self.name} has no field {name!r}; fields: {self.names}")

    def match_columns(
        self, columns: list[str], *, overrides: dict[str, str] | None = None
    ) -> tuple[dict[str, str], list[str]]:
        """Map a file's column names to canonical field names.

        Parameters
        ----------
        columns
            The column names as read.
        overrides
            ``{canonical: column}`` given by the user (``--field status=现状``),
            taking precedence over the aliases.

        Returns
        -------
        mapping, decisions
            ``{column: canonical}`` for the columns to rename, and one
            sentence per decision, for the import report.

        Raises
        ------
        KeyError
            When an override names a field or a column that does not exist.
        """
        overrides = dict(overrides or {})
        mapping: dict[str, str] = {}
        decisions: list[str] = []
        for canonical, column in overrides.items():
            if canonical not in self.names:
                msg = (
                    f"--field {canonical}={column}: {self.name} has no field {canonical!r}; "
                    f"fields: {', '.join(self.names)}"
                )
                raise KeyError(msg)
            if column not in columns:
                msg = (
                    f"--field {canonical}={column}: no column {column!r} in the file; "
                    f"columns: {', '.join(map(str, columns))}"
                )
                raise KeyError(msg)
            mapping[column] = canonical
            decisions.append(f"column {column!r} → {canonical} (given with --field)")
        taken = set(mapping.values())
        keys = {c: _key(c) for c in columns if c not in mapping and c != "geometry"}
        for f in self.fields:
            if f.name in taken:
                continue
            candidates = [f.name, f.zh, f.en, *f.aliases]
            for cand in candidates:
                hit = next(
                    (c for c, k in keys.items() if k == _key(cand) and c not in mapping), None
                )
                if hit is not None:
                    mapping[hit] = f.name
                    taken.add(f.name)
                    if hit != f.name:
                        decisions.append(f"column {hit!r} → {f.name}")
                    break
        return mapping, decisions

    def normalise(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[ValueIssue]]:
        """Normalise values: vocabulary terms to codes, written areas to mu.

        Values that cannot be understood are kept as written and reported;
        nothing is dropped or coerced silently.

        Parameters
        ----------
        frame
            A table whose columns already carry canonical names.
        Returns
        -------
        frame, issues
            A new frame, and one :class:`ValueIssue` per value not understood.
        """
        out = frame.copy()
        key = self.key
        issues: list[ValueIssue] = []
        for f in self.fields:
            if f.name not in out.columns:
                continue
            col = out[f.name]
            if f.kind == "id":
                keys = out[key] if key in out.columns and key != f.name else None
                out[f.name], folded = _read_ids(self.name, f, col, keys)
                issues += folded
                continue
            clean = f.kind == "text" or f.vocabulary is not None
            # Each distinct value is read once (a column holds few: statuses, zones,
            # dates), then mapped back to its rows; the issues are per row, as written.
            readings = _each_distinct(
                col.tolist(), lambda v, f=f, clean=clean: _read_cell(f, v, clean=clean)
            )
            keys = out[key] if key and key in out.columns else None
            failed = False
            for pos, (value, _, exc, doubt) in enumerate(readings):
                if exc is None and doubt is None:
                    continue
                rowkey = id_text(keys.iloc[pos]) if keys is not None else None
                if exc is not None:
                    failed = True
                    issues.append(
                        ValueIssue(self.name, f.name, pos + 1, rowkey, value, str(exc),
                                   message_zh=getattr(exc, "zh", None))
                    )  # fmt: skip
                else:
                    issues.append(
                        ValueIssue(self.name, f.name, pos + 1, rowkey, value, doubt.message,
                                   severity="warning", code=doubt.code, message_zh=doubt.zh)
                    )  # fmt: skip
            values = [r[1] for r in readings]
            out[f.name] = pd.Series(values, index=out.index, dtype=object)
            if f.kind in {"number", "area_mu"} and not failed:
                out[f.name] = pd.to_numeric(out[f.name]).astype("float64")
        return out, issues


def _read_ids(
    table: str, f: Field, col: pd.Series, keys: pd.Series | None
) -> tuple[pd.Series, list[ValueIssue]]:
    """Ids as :func:`~parkgis.model.values.clean_id` reads them, a warning for each it changed."""
    written = col.tolist()
    if _plain_ascii(written):  # most id columns: nothing to fold, clean or warn about
        text = [None if v is None or (t := v.strip()) in BLANKS else t for v in written]
        return pd.Series(text, index=col.index, dtype=object), []
    read = [_clean_id(v) for v in written]
    issues = []
    for pos in (k for k, (_, changed) in enumerate(read) if changed):
        text, value = read[pos][0], written[pos]
        rowkey = text if keys is None else id_text(keys.iloc[pos])
        issues.append(
            ValueIssue(
                table,
                f.name,
                pos + 1,
                rowkey,
                value,
                f"{f.name} {value!r} is written with full-width or invisible characters; "
                f"read as {text!r}",
                severity="warning",
                code="doubtful_value",
                message_zh=f"{f.zh} {value!r} 含全角或不可见字符，按 {text!r} 读取",
            )
        )
    return pd.Series([text for text, _ in read], index=col.index, dtype=object), issues


def _plain_ascii(values: list[Any]) -> bool:
    """Whether every value is None or ASCII text (checked in one pass over the text)."""
    if not all_text(values):
        return False
    return "".join(v for v in values if v is not None).isascii()


def _clean_id(value: object) -> tuple[str | None, bool]:
    """:func:`~parkgis.model.values.clean_id`, quicker for plain ASCII text (most ids)."""
    if type(value) is str and value.isascii():  # nothing to fold, no invisible character
        text = value.strip()
        return (None if text in BLANKS else text), False
    return clean_id(value)


_T = TypeVar("_T")


def _each_distinct(values: list[Any], read: Callable[[Any], _T]) -> list[_T]:
    """``[read(v) for v in values]``, calling ``read`` once per distinct value.

    Values are told apart by type as well as by value (``1``, ``1.0`` and
    ``True`` are equal in Python but are read differently), and ``-0.0`` from
    ``0.0``; values that cannot be hashed are read one by one.

    Examples
    --------
    >>> calls = []
    >>> _each_distinct(["a", "a", 1, 1.0, True], lambda v: calls.append(v) or repr(v))
    ["'a'", "'a'", '1', '1.0', 'True']
    >>> calls
    ['a', 1, 1.0, True]
    """
    if values and all_text(values):  # text: told apart by value
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        table = [read(u) for u in uniques]
        if (codes < 0).any():
            table.append(read(None))  # code -1 is None: the last entry
        return [table[c] for c in codes.tolist()]
    seen: dict[Any, _T] = {}
    out: list[_T] = []
    for value in values:
        kind = type(value)
        key = (kind, value)
        if kind is float and value == 0:
            key = (kind, value, math.copysign(1.0, value))
        try:
            result = seen[key]
        except KeyError:
            result = seen[key] = read(value)
        except TypeError:  # unhashable
            result = read(value)
        out.append(result)
    return out


def _read_cell(
    f: Field, value: object, *, clean: bool
) -> tuple[object, object, Exception | None, _Doubt | None]:
    """One cell of ``f``: the value as written (text cleaned), as kept, why it was not read
    (or None), and the doubt it was read with (or None)."""
    if clean:
        value = clean_text(value, fold=f.vocabulary is not None)
    if is_blank(value):
        return value, None, None, None
    try:
        normalised, doubt = _normalise_value(f, value)
    except (VocabularyError, AreaParseError, ValueError) as exc:
        return value, value, exc, None
    return value, normalised, None, doubt


def field_label(name: str, lang: str = "zh") -> str:
    """The label of a canonical or derived field, in ``lang``.

    Examples
    --------
    >>> field_label("area_mu")
    '面积(亩)'
    >>> field_label("acquisition_status", "en")
    'Acquisition status'
    """
    for table in TABLES.values():
        for f in table.fields:
            if f.name == name:
                return f.label(lang)
    derived = _DERIVED.get(name)
    if derived is not None:
        return derived[0] if lang == "zh" else derived[1]
    return name


_PUNCT = re.compile(r"[\s()\[\]（）【】_\-./:：、]+")


def _key(name: object) -> str:
    text = unicodedata.normalize("NFKC", str(name)).lower()
    return _PUNCT.sub("", text)


@dataclass(frozen=True)
class _Doubt:
    """Why a value that was read is doubtful: a warning's code and message."""

    code: str
    message: str
    zh: str


def _normalise_value(f: Field, value: object) -> tuple[object, _Doubt | None]:
    """A value as its field keeps it, and the doubt it was read with (or None).

    Raises
    ------
    VocabularyError, AreaParseError, ValueError
        For a value that cannot be read.
    """
    vocab = f.vocabulary
    if vocab is not None:
        return vocab.code(str(value)), None
    if f.kind in {"area_mu", "number"}:
        reading = read_quantity(value, unit=f.unit, what=f.name, what_zh=f.zh)
        return reading.value, _number_doubt(f, value, reading)
    if f.kind == "date":
        return _read_date(f, value)
    return (str(value).strip() if isinstance(value, str) else value), None


def _number_doubt(f: Field, value: object, reading: Reading) -> _Doubt | None:
    unit = f" {f.unit}" if f.unit else ""
    read = f"{reading.value:.10g}{unit}"
    if reading.approximate:
        also = f" ({reading.doubt})" if reading.doubt else ""
        also_zh = f"（{reading.doubt_zh}）" if reading.doubt_zh else ""
        return _Doubt(
            "approximate_value",
            f"{f.name} {value!r} is written as approximate; read as {read}{also}; "
            f"replace it with the exact figure when it is known",
            f"{f.zh}「{value}」是约数，按 {read} 读取{also_zh}；有准确数字时请替换",
        )
    if reading.doubt:
        return _Doubt(
            "doubtful_value",
            f"{f.name} {value!r} read as {read}: {reading.doubt}",
            f"{f.zh}「{value}」读作 {read}：{reading.doubt_zh}",
        )
    return None


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel counts 1900-02-29)
SERIAL_DATES = (dt.date(1982, 1, 1), dt.date(2060, 12, 31))
"""The dates an Excel serial number in a date column is read as (a doubt stated):
serials 29,952 to 58,439. Other numbers in a date column are refused."""


def _read_date(f: Field, value: object) -> tuple[str, _Doubt | None]:
    serial = _serial(value)
    if serial is None:
        return parse_date(value, what=f.name), None
    first, last = ((d - _EXCEL_EPOCH).days for d in SERIAL_DATES)
    if not first <= serial < last + 1:
        raise _not_a_serial(f, value, serial)
    iso = (_EXCEL_EPOCH + dt.timedelta(days=math.floor(serial))).isoformat()
    return iso, _Doubt(
        "doubtful_value",
        f"{f.name} {value!r} is a number, read as the Excel serial date {iso}; check it, and "
        f"format the cell as a date in Excel (or write YYYY-MM-DD)",
        f"{f.zh}「{value}」是数字，按 Excel 日期序号读作 {iso}；请核对，并在 Excel 中把单元格"
        f"设为日期格式（或写成 YYYY-MM-DD）",
    )


def _serial(value: object) -> float | None:
    """The number in a date cell (an int, a float, or digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    return float(text) if re.fullmatch(r"\d+", text) else None  # "2024.3" is a written date


def _not_a_serial(f: Field, value: object, serial: float) -> DataError:
    first, last = (d.isoformat() for d in SERIAL_DATES)
    why = f"as an Excel serial date it is not between {first} and {last}"
    why_zh = f"按 Excel 日期序号它不在 {first} 至 {last} 之间"
    if 1900 <= serial < 2101 and serial.is_integer():
        why, why_zh = "a year alone is not a date", "只有年份不是日期"
    elif 1900 <= serial < 2101:
        why = "a year.month typed as a number cannot be told apart: 2024.10 reads as 2024.1"
        why_zh = "以数字输入的“年.月”无法分辨：2024.10 会被读成 2024.1"
    msg = (
        f"{f.name} {value!r} is a number, not a date ({why}); write the date as YYYY-MM-DD "
        f"(2013-05-30), or format the cell as a date in Excel"
    )
    zh = (
        f"{f.zh}「{value}」是数字而非日期（{why_zh}）；请写成 YYYY-MM-DD（如 2013-05-30），"
        f"或在 Excel 中把单元格设为日期格式"
    )
    return DataError(msg, zh=zh)


def parse_date(value: object, *, what: str = "date") -> str:
    """Read a date as ledgers write it and return it as ``YYYY-MM-DD``.

    A month without a day (``2024年6月``) is taken as the month's first day.
    A number is refused: the readers of files take an Excel serial number
    (``41425``) in a date column as a date, with a warning, only in
    :data:`SERIAL_DATES`.

    Raises
    ------
    DataError
        Naming ``what`` and the value, for anything that is not a date.

    Examples
    --------
    >>> parse_date("2024年5月30日")
    '2024-05-30'
    >>> parse_date("2024.6")
    '2024-06-01'
    """
    if isinstance(value, (dt.datetime, dt.date)):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = text.split("T")[0].split(" ")[0] if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", text) else text
    m = _DATE.match(text)
    if m:
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3] or 1)).isoformat()
        except ValueError:
            pass
    msg = f"{what} {value!r} is not a date; write it as YYYY-MM-DD (2024-05-30 or 2024年5月30日)"
    zh = f"{what}「{value}」不是日期；请写成 YYYY-MM-DD（如 2024-05-30 或 2024年5月30日）"
    raise DataError(msg, zh=zh)


def _load() -> tuple[dict[str, TableSchema], dict[str, tuple[str, str]]]:
    text = resources.files("parkgis.model").joinpath("schema.toml").read_text("utf-8")
    data = tomllib.loads(text)
    derived = {d["name"]: (d["zh"], d["en"]) for d in data.pop("derived")["fields"]}
    tables = {}
    for name, spec in data.items():
        fields = tuple(
            Field(
                name=f["name"],
                kind=f["kind"],
                zh=f["zh"],
                en=f["en"],
                required=bool(f.get("required", False)),
                aliases=tuple(f.get("aliases", ())),
                unit=f.get("unit", "亩" if f["kind"] == "area_mu" else None),
            )
            for f in spec["fields"]
        )
        tables[name] = TableSchema(
            name, spec["label"]["zh"], spec["label"]["en"], spec["key"], fields
        )
    return tables, derived


TABLES, _DERIVED = _load()
