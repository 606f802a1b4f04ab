"""Constraint rules: the setback each constraint keeps, and where it comes from.

A setback is the distance kept from a constraint on every side, a buffer
radius: a line with a 25 m setback takes a 50 m wide corridor, a polygon takes
itself plus its setback. ``corridor_m`` on a feature means the same thing;
``corridor_width_m`` (走廊宽度) is a corridor's full width, twice its setback.

The defaults live in ``model/constraints.toml`` beside this package, each with
its source or marked as an assumption; a park may override any of them (the
shell reads the park's own ``constraints.toml`` into
``park.manifest.settings["constraint_rules"]``), and a feature's own
``setback_m`` (缓冲距离), ``corridor_m`` (走廊半宽) or ``corridor_width_m``
(走廊宽度, halved) overrides both. Numbers may carry their unit (``30米``,
``220kV``); a unit of another quantity is refused.

Pure: rules are values; nothing here reads a file but the packaged defaults.

Examples
--------
>>> DEFAULT_RULES.setback("river")
30.0
>>> DEFAULT_RULES.hv_setback(110)[0]
12.5
>>> load_rules({"河流": {"setback_m": 50}}).setback("river")
50.0
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from parkgis.errors import DataError
from parkgis.measure.units import read_quantity
from parkgis.model.park import Park
from parkgis.model.values import is_blank
from parkgis.model.vocab import CONSTRAINT_KIND

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "DEFAULT_RULES",
    "ConstraintRules",
    "KindRule",
    "VoltageClass",
    "constraint_layer",
    "constraint_setbacks",
    "load_rules",
    "park_rules",
    "rules_table",
]

_KIND_KEYS = frozenset({"setback_m", "status", "source", "classes"})
_CLASS_KEYS = frozenset(
    {"voltage_kv", "corridor_width_m", "setback_m", "cited_width_m", "status", "source"}
)
_VOLTAGE_IN_NAME = re.compile(r"(\d+(?:\.\d+)?)\s*(?:kv|千伏)", re.IGNORECASE)


@dataclass(frozen=True)
class KindRule:
    """The default setback of one constraint kind, with its provenance."""

    kind: str
    setback_m: float
    status: str
    source: str


@dataclass(frozen=True)
class VoltageClass:
    """An HV line voltage class: its corridor and the setback (half the width)."""

    voltage_kv: float
    setback_m: float
    corridor_width_m: float
    status: str
    source: str
    cited_width_m: tuple[float, float] | None = None


@dataclass(frozen=True)
class ConstraintRules:
    """Setbacks per constraint kind, and per voltage class for HV lines.

    Build with :func:`load_rules`; :data:`DEFAULT_RULES` holds the packaged
    defaults.
    """

    kinds: Mapping[str, KindRule]
    voltage_classes: tuple[VoltageClass, ...]

    def setback(self, kind: str) -> float:
        """The default setback of ``kind`` (code, label or alias), in metres."""
        return self.kinds[CONSTRAINT_KIND.code(kind)].setback_m

    def hv_setback(self, voltage_kv: float) -> tuple[float, VoltageClass]:
        """The setback of an HV line of ``voltage_kv``, and the class it falls in.

        A voltage between two classes takes the next class up; one below the
        lowest class takes the lowest.

        Raises
        ------
        DataError
            For a voltage above the highest class, or not a positive number.
        """
        if not (isinstance(voltage_kv, (int, float)) and math.isfinite(voltage_kv)) or (
            voltage_kv <= 0
        ):
            raise DataError(f"voltage {voltage_kv!r} kV is not a positive number")
        for cls in self.voltage_classes:
            if voltage_kv <= cls.voltage_kv:
                return cls.setback_m, cls
        top = self.voltage_classes[-1].voltage_kv if self.voltage_classes else 0
        msg = (
            f"voltage {voltage_kv:g} kV is above the highest class in the rules ({top:g} kV); "
            f"add a [[hv_line.classes]] entry for it to the park's constraints.toml, or give "
            f"the line its own setback_m"
        )
        raise DataError(msg)


def _where(frame: pd.DataFrame, pos: int) -> str:
    for key in ("constraint_id", "name"):
        if key in frame.columns and not is_blank(frame[key].iloc[pos]):
            return f"constraints row {pos + 1} ({key}={frame[key].iloc[pos]})"
    return f"constraints row {pos + 1}"


def _where_zh(frame: pd.DataFrame, pos: int) -> str:
    for key in ("constraint_id", "name"):
        if key in frame.columns and not is_blank(frame[key].iloc[pos]):
            return f"限制要素第 {pos + 1} 行（{key}={frame[key].iloc[pos]}）"
    return f"限制要素第 {pos + 1} 行"


def _optional_number(value: object, what: str, *, unit: str = "m") -> float | None:
    if is_blank(value):
        return None
    return _number(value, what, unit=unit)


def _number(value: object, what: str, *, unit: str = "m") -> float:
    """A number in ``unit`` (metres, or kV for a voltage), a unit written beside it read.

    Raises
    ------
    DataError
        Naming ``what``, the value and the unit expected.
    """
    if not isinstance(value, (str, int, float, bool, np.integer, np.floating)):
        raise DataError(f"{what} {value!r} is not a number", zh=f"{what} {value!r} 不是数字")
    number = value.item() if isinstance(value, (np.integer, np.floating)) else value
    return read_quantity(number, unit=unit, what=what).value


def _setback(value: object, what: str) -> float:
    number = _number(value, what)
    if number < 0:
        raise DataError(f"{what} {number:g} is negative; give a distance >= 0 in metres")
    return number


def _feature_setbacks(row: pd.Series, where: str, where_zh: str) -> list[tuple[float, str]]:
    """A feature's own setback, from ``setback_m``, ``corridor_m`` or ``corridor_width_m``.

    ``setback_m`` and ``corridor_m`` are the distance kept on each side;
    ``corridor_width_m`` is the corridor's full width, twice the setback.

    Raises
    ------
    DataError
        When two of them are given and do not agree, naming the row.
    """
    given, said, said_zh = [], [], []
    for field in ("setback_m", "corridor_m", "corridor_width_m"):
        number = _optional_number(row.get(field), f"{where} {field}")
        if number is None:
            continue
        if field == "corridor_width_m":
            given.append((number / 2, f"feature corridor_width_m ({number:g} m wide)"))
            said.append(f"corridor_width_m {number:g} m wide gives a setback of {number / 2:g} m")
            said_zh.append(f"走廊宽度 corridor_width_m 为 {number:g} 米，即退让 {number / 2:g} 米")
        else:
            given.append((number, f"feature {field}"))
            said.append(f"{field} gives a setback of {number:g} m")
            said_zh.append(f"{field} 为退让 {number:g} 米")
    if len({value for value, _ in given}) > 1:
        msg = (
            f"{where}: the setbacks disagree: {', '.join(said)}. setback_m and corridor_m are "
            f"the distance kept on each side, corridor_width_m (走廊宽度) the full width, twice "
            f"the setback; "
            f"keep one, or make them agree"
        )
        zh = (
            f"{where_zh}：退让距离不一致：{'，'.join(said_zh)}。setback_m 和 corridor_m "
            f"为单侧退让距离，corridor_width_m（走廊宽度）为走廊总宽，即退让距离的两倍；"
            f"请只保留一个，或使其一致"
        )
        raise DataError(msg, zh=zh)
    return given


def _check_keys(cls: object, where: str, key: str) -> None:
    if not isinstance(cls, Mapping):
        raise DataError(f"{where}: [{key}] classes must be tables, not {cls!r}")
    unknown = set(cls) - _CLASS_KEYS
    if unknown:
        msg = (
            f"{where}: [{key}] class has unknown key(s) {sorted(unknown)}; "
            f"allowed: {sorted(_CLASS_KEYS)}"
        )
        raise DataError(msg)
    if "voltage_kv" not in cls or not ({"corridor_width_m", "setback_m"} & set(cls)):
        msg = (
            f"{where}: [{key}] class {dict(cls)} needs voltage_kv and corridor_width_m or setback_m"
        )
        raise DataError(msg)


def _defaults() -> dict[str, Any]:
    text = resources.files("parkgis.model").joinpath("constraints.toml").read_text("utf-8")
    return tomllib.loads(text)


def load_rules(
    overrides: Mapping[str, Any] | None = None, *, where: str = "constraints.toml"
) -> ConstraintRules:
    """The packaged rules with ``overrides`` (a park's ``constraints.toml``) applied.

    Parameters
    ----------
    overrides
        The parsed TOML of a park's rules: tables named by constraint kind
        (code, Chinese label or alias) with ``setback_m``, ``status``,
        ``source`` and, for ``hv_line``, ``classes``. Classes are merged by
        ``voltage_kv``: a class of the same voltage is replaced, a new one
        added. A class gives ``corridor_width_m`` (the total width) or
        ``setback_m`` (half of it).
    where
        The file the overrides came from, for messages and provenance.

    Raises
    ------
    VocabularyError
        For a table that names no constraint kind.
    DataError
        For a key that is not a rule, or a setback that is not a
        non-negative number.

    Examples
    --------
    >>> rules = load_rules({"hv_line": {"classes": [{"voltage_kv": 110, "setback_m": 20}]}})
    >>> rules.hv_setback(110)[0], rules.hv_setback(35)[0]
    (20.0, 10.0)
    """
    base = _defaults()
    kinds: dict[str, dict[str, Any]] = {}
    classes: dict[float, dict[str, Any]] = {}
    for key, spec in base.items():
        code = CONSTRAINT_KIND.code(key)
        kinds[code] = {k: v for k, v in spec.items() if k != "classes"}
        for cls in spec.get("classes", ()):
            classes[float(cls["voltage_kv"])] = dict(cls)
    for key, spec in (overrides or {}).items():
        code = CONSTRAINT_KIND.code(str(key), where=f"{where} table [{key}]")
        if not isinstance(spec, Mapping):
            raise DataError(f"{where}: [{key}] must be a table of rules, not {spec!r}")
        unknown = set(spec) - _KIND_KEYS
        if unknown:
            msg = (
                f"{where}: [{key}] has unknown key(s) {sorted(unknown)}; "
                f"allowed: {sorted(_KIND_KEYS)}"
            )
            raise DataError(msg)
        if "classes" in spec and code != "hv_line":
            raise DataError(f"{where}: [{key}] has voltage classes, but only hv_line has them")
        kind = kinds.setdefault(code, {})
        if "setback_m" in spec:
            kind["setback_m"] = spec["setback_m"]
            kind["status"] = spec.get("status", "park")
            kind["source"] = spec.get("source", where)
        for cls in spec.get("classes", ()):
            _check_keys(cls, where, key)
            kv = _number(cls.get("voltage_kv"), f"{where}: [{key}] class voltage_kv", unit="kV")
            merged = {"status": "park", "source": where, **cls}
            if "setback_m" in cls and "corridor_width_m" not in cls:
                merged["corridor_width_m"] = 2 * _number(cls["setback_m"], f"{where} setback_m")
            classes[kv] = merged
    rules = {
        code: KindRule(
            kind=code,
            setback_m=_setback(spec.get("setback_m", 0.0), f"{where}: [{code}] setback_m"),
            status=str(spec.get("status", "assumption")),
            source=str(spec.get("source", "")),
        )
        for code, spec in kinds.items()
    }
    built = []
    for kv in sorted(classes):
        spec = classes[kv]
        what = f"{where}: hv_line class {kv:g} kV"
        width = _setback(spec.get("corridor_width_m"), f"{what} corridor_width_m")
        setback = _setback(spec.get("setback_m", width / 2), f"{what} setback_m")
        if not math.isclose(setback * 2, width, rel_tol=1e-9, abs_tol=1e-9):
            msg = (
                f"{what}: setback_m {setback:g} is not half of corridor_width_m {width:g}; "
                f"give one of them"
            )
            raise DataError(msg)
        cited = spec.get("cited_width_m")
        built.append(
            VoltageClass(
                voltage_kv=kv,
                setback_m=setback,
                corridor_width_m=width,
                status=str(spec.get("status", "assumption")),
                source=str(spec.get("source", "")),
                cited_width_m=(float(cited[0]), float(cited[1])) if cited else None,
            )
        )
    return ConstraintRules(kinds=rules, voltage_classes=tuple(built))


DEFAULT_RULES = load_rules()
"""The packaged rules of ``parkgis/model/constraints.toml``."""


def park_rules(park: Park) -> ConstraintRules:
    """The rules of ``park``: the defaults with the park's own overrides.

    The shell puts a park folder's ``constraints.toml`` in
    ``park.manifest.settings["constraint_rules"]``.
    """
    overrides = park.manifest.settings.get("constraint_rules")
    return load_rules(overrides, where=f"constraints.toml of park {park.name!r}")


def rules_table(rules: ConstraintRules = DEFAULT_RULES) -> pd.DataFrame:
    """The rules as a table: kind, voltage, setback, corridor width, status, source.

    Examples
    --------
    >>> table = rules_table()
    >>> table.loc[table["voltage_kv"] == 110, "setback_m"].item()
    12.5
    """
    rows = [
        {
            "kind": r.kind,
            "voltage_kv": np.nan,
            "setback_m": r.setback_m,
            "corridor_width_m": np.nan,
            "status": r.status,
            "source": r.source,
        }
        for r in rules.kinds.values()
    ]
    rows += [
        {
            "kind": "hv_line",
            "voltage_kv": c.voltage_kv,
            "setback_m": c.setback_m,
            "corridor_width_m": c.corridor_width_m,
            "status": c.status,
            "source": c.source,
        }
        for c in rules.voltage_classes
    ]
    return pd.DataFrame(rows)


def constraint_layer(frame: gpd.GeoDataFrame, *, name: str | Sequence[str]) -> gpd.GeoDataFrame:
    """Give every feature of a constraint layer a kind, from its field or the layer's name.

    Surveyors hand over one file per kind (``高压线.shp``, ``rivers.gpkg``):
    a feature without a ``kind`` value takes the kind the layer's name says.

    Parameters
    ----------
    frame
        A constraint layer with canonical column names.
    name
        The layer's name, or several names to try in turn (layer, file stem).

    Raises
    ------
    DataError
        When some feature has no kind and no name is a constraint kind.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> layer = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])], crs=4544)
    >>> constraint_layer(layer, name="高压线")["kind"].tolist()
    ['hv_line']
    """
    names = [name] if isinstance(name, str) else list(name)
    out = frame.copy()
    kinds = out["kind"] if "kind" in out.columns else pd.Series(None, index=out.index, dtype=object)
    blank = kinds.map(is_blank).to_numpy(dtype=bool)
    if blank.any():
        found = next((CONSTRAINT_KIND.code(n) for n in names if n in CONSTRAINT_KIND), None)
        if found is None:
            accepted = ", ".join(f"{t.code}/{t.zh}" for t in CONSTRAINT_KIND)
            msg = (
                f"constraint layer {names[0]!r}: {int(blank.sum())} feature(s) have no kind and "
                f"the layer's name is not a constraint kind; add a 'kind' field or name the "
                f"layer after a kind ({accepted}, or an alias such as hv_lines, rivers)"
            )
            raise DataError(msg)
        kinds = kinds.astype(object).where(~blank, found)
    out["kind"] = kinds.astype(object)
    return out


def constraint_setbacks(
    constraints: gpd.GeoDataFrame, rules: ConstraintRules = DEFAULT_RULES
) -> pd.DataFrame:
    """Each constraint's kind, voltage, setback in metres and where the setback came from.

    Parameters
    ----------
    constraints
        A constraint layer with canonical columns (``kind``; optionally
        ``setback_m``, ``corridor_m`` (both the distance kept on each side),
        ``corridor_width_m`` (the full width), ``voltage_kv``, ``name``,
        ``constraint_id``).
    rules
        The rules giving setbacks for features that have none.

    Returns
    -------
    pandas.DataFrame
        Aligned with ``constraints``: ``constraint_id``, ``name``, ``kind``,
        ``voltage_kv``, ``setback_m``, ``basis`` (e.g. ``"feature setback_m"``
        or ``"rules: hv_line 110 kV class (unverified)"``).

    Raises
    ------
    VocabularyError
        For a kind that is not a constraint kind.
    DataError
        For a blank kind, a setback that is not a non-negative number in metres
        (a voltage in kV), or ``setback_m``, ``corridor_m`` and
        ``corridor_width_m`` / 2 that disagree.
    """
    n = len(constraints)
    rows = []
    for pos in range(n):
        row = constraints.iloc[pos]
        where = _where(constraints, pos)
        kind_value = row.get("kind")
        if is_blank(kind_value):
            msg = f"{where} has no kind; give it one (hv_line/高压线, river/河流, ...)"
            raise DataError(msg)
        kind = CONSTRAINT_KIND.code(str(kind_value), where=where)
        voltage = _optional_number(row.get("voltage_kv"), f"{where} voltage_kv", unit="kV")
        name = row.get("name")
        if voltage is None and kind == "hv_line" and isinstance(name, str):
            m = _VOLTAGE_IN_NAME.search(name)
            voltage = float(m[1]) if m else None
            voltage_from_name = m is not None
        else:
            voltage_from_name = False
        given = _feature_setbacks(row, where, _where_zh(constraints, pos))
        if given:
            value, basis = given[0]
        elif kind == "hv_line" and voltage is not None:
            try:
                value, cls = rules.hv_setback(voltage)
            except DataError as exc:
                raise DataError(f"{where}: {exc}") from None
            origin = " (voltage read from the name)" if voltage_from_name else ""
            basis = f"rules: hv_line {cls.voltage_kv:g} kV class ({cls.status}){origin}"
        else:
            rule = rules.kinds[kind]
            value = rule.setback_m
            basis = f"rules: {kind} ({rule.status})"
            if kind == "hv_line":
                basis = f"rules: hv_line of unknown voltage ({rule.status})"
        if value < 0:
            raise DataError(f"{where}: setback {value:g} m is negative; give a distance >= 0")
        rows.append(
            {
                "constraint_id": row.get("constraint_id"),
                "name": name if not is_blank(name) else None,
                "kind": kind,
                "voltage_kv": voltage if voltage is not None else np.nan,
                "setback_m": float(value),
                "basis": basis,
            }
        )
    columns = ["constraint_id", "name", "kind", "voltage_kv", "setback_m", "basis"]
    return pd.DataFrame(rows, index=constraints.index, columns=columns)
