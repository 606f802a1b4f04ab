"""Units of land area, with the mu (亩) as the currency; and numbers as ledgers write them.

1 mu = 10000/15 m²; 15 mu = 1 hectare; 1500 mu = 1 km².

:func:`read_quantity` reads a written number in the unit of its field (mu,
万元, kV, metres, %), converting a unit written beside it (``1.2亿`` is
12,000 万元, ``2.5公顷`` 37.5 mu, ``220千伏`` 220 kV) and saying what was
doubtful about it in a :class:`Reading`: a value written as approximate
(``约30亩``, ``30亩左右``, ``~30``, ``30余亩``), in exponent notation
(``1e1``), or in a unit that ledgers rarely mean (``5000元`` in a 万元
column). A unit of another quantity (an area in a voltage, metres in an area)
is refused, naming the unit expected. Full-width digits and thousands
separators (``１，２３４．５``) read normally.

Examples
--------
>>> read_quantity("1.2亿", unit="万元").value
12000.0
>>> r = read_quantity("约30亩", unit="亩")
>>> r.value, r.approximate
(30.0, True)
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from parkgis.errors import AreaParseError, DataError, ParkgisError

__all__ = [
    "MU_PER_HA",
    "MU_PER_KM2",
    "SQM_PER_MU",
    "UNITS",
    "Reading",
    "format_mu",
    "mu_to_sqm",
    "parse_area",
    "read_quantity",
    "sqm_to_mu",
]

SQM_PER_MU = 10_000 / 15
MU_PER_HA = 15.0
MU_PER_KM2 = 1500.0

# Unit spellings as ledgers and reports write them, each to its size in mu.
_UNIT_MU: dict[str, float] = {
    "亩": 1.0,
    "mu": 1.0,
    "公顷": MU_PER_HA,
    "ha": MU_PER_HA,
    "hectare": MU_PER_HA,
    "hectares": MU_PER_HA,
    "平方公里": MU_PER_KM2,
    "平方千米": MU_PER_KM2,
    "km2": MU_PER_KM2,
    "km²": MU_PER_KM2,
    "平方米": 1 / SQM_PER_MU,
    "平米": 1 / SQM_PER_MU,
    "㎡": 1 / SQM_PER_MU,
    "m2": 1 / SQM_PER_MU,
    "m²": 1 / SQM_PER_MU,
    "sqm": 1 / SQM_PER_MU,
}

UNITS: dict[str, dict[str, float]] = {
    "亩": _UNIT_MU,
    "万元": {"万元": 1.0, "万": 1.0, "亿元": 1e4, "亿": 1e4, "元": 1e-4},
    "kV": {"kv": 1.0, "千伏": 1.0},
    "m": {"m": 1.0, "米": 1.0, "km": 1000.0, "公里": 1000.0, "千米": 1000.0},
    "%": {"%": 1.0},
}
"""The unit a field is kept in (``亩``, ``万元``, ``kV``, ``m``, ``%``), with
the spellings read beside a number and their size in that unit."""

_QUANTITY = {"亩": "an area", "万元": "money", "kV": "a voltage", "m": "a length", "%": "a share"}
_QUANTITY_ZH = {"亩": "面积", "万元": "金额", "kV": "电压", "m": "长度", "%": "比例"}
_EXAMPLE = {"亩": "30亩", "万元": "3000万元", "kV": "220kV", "m": "30米", "%": "91%"}
# Units that convert exactly but that a ledger rarely means: read, with a doubt.
_RARE = {("万元", "元")}
# Words around a number that make it approximate, and words that do not.
_APPROX_BEFORE = ("大约", "约合", "约", "近", "approx.", "approx", "about", "~", "≈", "〜")
_APPROX_AFTER = ("左右", "上下")
_NEUTRAL_BEFORE = ("合计", "共计", "共")
_SPLIT = re.compile(
    r"^(?P<number>[+-]?[\d,]*\.?\d*(?:e[+-]?\d+)?)\s*(?P<more>[余多])?\s*(?P<unit>.*)$"
)
_NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?(e[+-]?\d+)?$")


@dataclass(frozen=True)
class Reading:
    """A number read from a cell, in the unit of its field, and what was doubtful.

    Attributes
    ----------
    value
        The number, in the field's unit (mu, 万元, kV, m, %).
    approximate
        Written as approximate: ``约``, ``近``, ``~``, ``左右``, ``余``, ``多``.
    doubt, doubt_zh
        Another doubt, in English and Chinese (exponent notation, a unit
        ledgers rarely mean), or None.
    """

    value: float
    approximate: bool = False
    doubt: str | None = None
    doubt_zh: str | None = None


def sqm_to_mu(sqm: float) -> float:
    """Convert square metres to mu.

    Examples
    --------
    >>> sqm_to_mu(10_000)
    15.0
    """
    return sqm / SQM_PER_MU


def mu_to_sqm(mu: float) -> float:
    """Convert mu to square metres.

    Examples
    --------
    >>> round(mu_to_sqm(15), 6)
    10000.0
    """
    return mu * SQM_PER_MU


def read_quantity(
    value: object, *, unit: str | None, what: str = "value", what_zh: str | None = None
) -> Reading:
    """Read a written number in ``unit``, converting a unit written beside it.

    Parameters
    ----------
    value
        The cell as read: a number, or text such as ``"3000万元"``,
        ``"约30亩"``, ``"220 kV"``, ``"１，２３４．５"``.
    unit
        The unit of the field (a key of :data:`UNITS`); a bare number is taken
        in it. None for a plain number, which takes no unit.
    what, what_zh
        The field's name (and its Chinese label), for messages.

    Returns
    -------
    Reading
        The number in ``unit``, and whether it was approximate or doubtful.

    Raises
    ------
    AreaParseError
        For an area (``unit="亩"``) that cannot be read.
    DataError
        For any other number that cannot be read: not a number, a unit of
        another quantity, an unknown unit, negative (where a unit is given),
        not finite.

    Examples
    --------
    >>> read_quantity("3000万元", unit="万元").value
    3000.0
    >>> read_quantity("220千伏", unit="kV").value
    220.0
    >>> read_quantity("1e1", unit=None).doubt
    "written in exponent notation: '1e1' is 10"
    >>> read_quantity("30余亩", unit="亩").approximate
    True
    """
    names = (what, what_zh or what)
    if isinstance(value, bool):
        raise _not_a_number(names, value, unit)
    if isinstance(value, (int, float)):
        return Reading(_checked(float(value), 1.0, value, unit=unit, what=names))
    text, approximate = _strip_words(unicodedata.normalize("NFKC", str(value)).lower())
    m = _SPLIT.match(text)
    number = m["number"] if m else ""
    if not m or not _NUMBER.match(number) or not re.search(r"\d", number):
        raise _not_a_number(names, value, unit)
    approximate = approximate or bool(m["more"])
    factor, rare = _factor(m["unit"], value, unit=unit, what=names)
    number_value = float(number.lstrip("+").replace(",", ""))
    read = _checked(number_value, factor, value, unit=unit, what=names)
    doubt = doubt_zh = None
    if "e" in number:
        shown = _show(number_value)
        doubt = f"written in exponent notation: {number!r} is {shown}"
        doubt_zh = f"以科学计数法书写：{number} 即 {shown}"
    elif rare:
        doubt = (
            f"written in {m['unit']}, converted to {_show(read)} {unit}; ledgers usually "
            f"mean {unit}: check the figure"
        )
        doubt_zh = f"以“{m['unit']}”书写，已换算为 {_show(read)} {unit}；台账通常以{unit}计，请核对"
    return Reading(read, approximate=approximate, doubt=doubt, doubt_zh=doubt_zh)


def parse_area(text: str | float | int, *, default_unit: str | None = None) -> float:
    """Parse a written area such as ``"约30亩"`` or ``"2.5公顷"`` into mu.

    The number only: :func:`read_quantity` also says whether it was written
    as approximate (``约30亩``) or doubtful (``1e1``), as the readers of
    ledgers report it.

    Parameters
    ----------
    text
        The area as written in a report or ledger. A bare number is taken in
        ``default_unit``; without one it is refused, since a ledger number
        with no unit could be mu or m².
    default_unit
        Unit of bare numbers, e.g. ``"亩"`` for a column headed 面积(亩).

    Returns
    -------
    float
        The area in mu.

    Raises
    ------
    AreaParseError
        For anything that is not a non-negative number with a known unit.

    Examples
    --------
    >>> parse_area("2.5公顷")
    37.5
    >>> parse_area("约30亩")
    30.0
    >>> parse_area("0.3平方公里")
    450.0
    >>> parse_area("4800平方米")
    7.2
    >>> parse_area("12.5 mu")
    12.5
    >>> parse_area(20, default_unit="亩")
    20.0
    """
    reading = read_quantity(text, unit="亩", what="area")
    if not _is_bare_number(text):
        return reading.value
    if default_unit is None:
        raise AreaParseError(
            f"area {text!r} has no unit; write it as e.g. '{text}亩' or give default_unit",
            zh=f"面积 {text!r} 没有单位；请写成如“{text}亩”",
        )
    return round(reading.value * _unit_factor(default_unit, text), 10)


def format_mu(mu: float, *, decimals: int = 1) -> str:
    """Format an area in mu the way reports print it.

    Examples
    --------
    >>> format_mu(536.04)
    '536.0亩'
    """
    return f"{mu:,.{decimals}f}亩"


def _is_bare_number(text: object) -> bool:
    """Whether ``text`` is a number (or written number) with no unit beside it."""
    if isinstance(text, (int, float)):
        return True
    stripped, _ = _strip_words(unicodedata.normalize("NFKC", str(text)).lower())
    m = _SPLIT.match(stripped)
    return bool(m and not m["unit"])


def _strip_words(text: str) -> tuple[str, bool]:
    """Strip words around a number; return the text and whether it was approximate."""
    approximate = False
    text = text.strip()
    for word in _NEUTRAL_BEFORE:
        if text.startswith(word):
            text = text[len(word) :].strip()
            break
    for word in _APPROX_BEFORE:
        if text.startswith(word):
            text, approximate = text[len(word) :].strip(), True
            break
    for word in _APPROX_AFTER:
        if text.endswith(word):
            text, approximate = text[: -len(word)].strip(), True
            break
    return text, approximate


def _factor(
    written: str, value: object, *, unit: str | None, what: tuple[str, str]
) -> tuple[float, bool]:
    """The size of the ``written`` unit in ``unit``, and whether it is a rare one."""
    error = _error(unit)
    if not written:
        return 1.0, False
    if re.search(r"\d", written):
        raise _not_a_number(what, value, unit)
    if unit is not None and written in UNITS[unit]:
        return UNITS[unit][written], (unit, written) in _RARE
    other = next((u for u, spellings in UNITS.items() if written in spellings), None)
    if unit is None:
        msg = (
            f"{what[0]} {value!r} carries a unit ({written}); this field is a plain number: "
            f"write the number alone"
        )
        zh = f"{what[1]} {value!r} 带有单位（{written}）；此字段只填数字，请去掉单位"
        raise error(msg, zh=zh)
    expected = f"{unit} (e.g. '{_EXAMPLE[unit]}' or a bare number, taken in {unit})"
    if other is not None:
        msg = (
            f"{what[0]} {value!r} is {_QUANTITY[other]} ({written}), but {what[0]} is "
            f"{_QUANTITY[unit]} in {expected}; correct the value or put it in the right column"
        )
        zh = (
            f"{what[1]} {value!r} 是{_QUANTITY_ZH[other]}（{written}），而 {what[1]} 是"
            f"{_QUANTITY_ZH[unit]}，单位为 {unit}（如“{_EXAMPLE[unit]}”，纯数字按 {unit} 计）；"
            f"请改正数值或放到正确的列"
        )
        raise error(msg, zh=zh)
    known = ", ".join(UNITS[unit])
    msg = (
        f"{what[0]} {value!r} has the unknown unit {written!r}; {what[0]} is in {expected}; "
        f"units read: {known}"
    )
    zh = (
        f"{what[1]} {value!r} 的单位“{written}”无法识别；{what[1]} 的单位为 {unit}"
        f"（如“{_EXAMPLE[unit]}”）；可识别的单位：{known}"
    )
    raise error(msg, zh=zh)


def _error(unit: str | None) -> type[AreaParseError] | type[DataError]:
    return AreaParseError if unit == "亩" else DataError


def _not_a_number(what: tuple[str, str], value: object, unit: str | None) -> ParkgisError:
    example = _EXAMPLE[unit] if unit is not None else "1234.5"
    return _error(unit)(
        f"{what[0]} {value!r} is not a number followed by a unit; write it as e.g. '{example}'"
        if unit is not None
        else f"{what[0]} {value!r} is not a number; write it as e.g. {example}",
        zh=f"{what[1]} {value!r} 不是数字；请写成如“{example}”",
    )


def _unit_factor(unit: str, value: object) -> float:
    try:
        return _UNIT_MU[unit.strip().lower()]
    except KeyError:
        msg = f"unit {unit!r} (for area {value!r}) is unknown; use one of {sorted(_UNIT_MU)}"
        raise AreaParseError(msg) from None


def _checked(
    number: float, factor: float, raw: object, *, unit: str | None, what: tuple[str, str]
) -> float:
    error = _error(unit)
    if not math.isfinite(number):
        raise error(
            f"{what[0]} {raw!r} is not a finite number", zh=f"{what[1]} {raw!r} 不是有限的数字"
        )
    if number < 0 and unit is not None:
        raise error(
            f"{what[0]} {raw!r} is negative; give a number >= 0",
            zh=f"{what[1]} {raw!r} 为负数；请填不小于 0 的数",
        )
    return round(number * factor, 10)


def _show(number: float) -> str:
    return f"{number:.10g}"
