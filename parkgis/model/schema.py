"""The fields of each park table, and the header names offices write for them.

Field definitions are data, in ``schema.toml`` beside this module. This module
maps the columns of a file to canonical names (reporting every decision) and
normalises values (vocabulary terms to codes, written areas to mu), reporting
each value it cannot understand instead of dropping or coercing it.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from parkgis.errors import AreaParseError, VocabularyError
from parkgis.measure.units import parse_area
from parkgis.model.values import id_text, is_blank
from parkgis.model.vocab import VOCABULARIES, Vocabulary

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
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
                out[f.name] = col.map(id_text).astype(object)
                continue
            values = []
            for pos, value in enumerate(col.tolist()):
                if is_blank(value):
                    values.append(None)
                    continue
                try:
                    values.append(_normalise_value(f, value))
                except (VocabularyError, AreaParseError, ValueError) as exc:
                    rowkey = id_text(out[key].iloc[pos]) if key and key in out.columns else None
                    issues.append(ValueIssue(self.name, f.name, pos + 1, rowkey, value, str(exc)))
                    values.append(value)
            out[f.name] = pd.Series(values, index=out.index, dtype=object)
            if f.kind in {"number", "area_mu"} and not any(i.field == f.name for i in issues):
                out[f.name] = pd.to_numeric(out[f.name]).astype("float64")
        return out, issues


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






def _normalise_value(f: Field, value: object) -> object:
    vocab = f.vocabulary
    if vocab is not None:
        return vocab.code(str(value))
    if f.kind == "area_mu":
        return parse_area(value, default_unit="亩")
    if f.kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        text = str(value).strip().replace(",", "").replace("，", "")
        try:
            return float(text)
        except ValueError:
            msg = f"{f.name} {value!r} is not a number"
            raise ValueError(msg) from None
    if f.kind == "date":
        return parse_date(value, what=f.name)
    return str(value).strip() if isinstance(value, str) else value


_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?)?\s*月?$")


def parse_date(value: object, *, what: str = "date") -> str:
    """Read a date as ledgers write it and return it as ``YYYY-MM-DD``.

    A month without a day (``2024年6月``) is taken as the month's first day.

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
    raise ValueError(msg)


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
            )
            for f in spec["fields"]
        )
        tables[name] = TableSchema(
            name, spec["label"]["zh"], spec["label"]["en"], spec["key"], fields
        )
    return tables, derived


TABLES, _DERIVED = _load()
