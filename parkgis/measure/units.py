"""Units of land area, with the mu (亩) as the currency.

1 mu = 10000/15 m²; 15 mu = 1 hectare; 1500 mu = 1 km².
"""

from __future__ import annotations

import math
import re

from parkgis.errors import AreaParseError

__all__ = [
    "MU_PER_HA",
    "MU_PER_KM2",
    "SQM_PER_MU",
    "format_mu",
    "mu_to_sqm",
    "parse_area",
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
_QUALIFIERS = ("约", "近", "大约", "共", "合计", "about", "approx.", "approx", "~", "≈")
_NUMBER = re.compile(r"^[+]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")
_UNITS_BY_LENGTH = sorted(_UNIT_MU, key=len, reverse=True)


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


def parse_area(text: str | float | int, *, default_unit: str | None = None) -> float:
    """Parse a written area such as ``"约30亩"`` or ``"2.5公顷"`` into mu.

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
    if isinstance(text, bool):
        raise AreaParseError(f"area {text!r} is not a number; write it as e.g. '30亩'")
    if isinstance(text, (int, float)):
        if default_unit is None:
            raise AreaParseError(
                f"area {text!r} has no unit; write it as e.g. '{text}亩' or give default_unit"
            )
        return _checked(float(text), _unit_factor(default_unit, text), text)

    raw = str(text)
    s = raw.strip().replace("\u3000", " ").replace("，", ",").replace("．", ".")
    for q in _QUALIFIERS:
        if s.lower().startswith(q):
            s = s[len(q) :].strip()
            break
    unit = next((u for u in _UNITS_BY_LENGTH if s.lower().endswith(u)), None)
    if unit is not None:
        number = s[: len(s) - len(unit)].strip()
        factor = _UNIT_MU[unit]
    elif default_unit is not None:
        number, factor = s, _unit_factor(default_unit, raw)
    else:
        raise AreaParseError(
            f"area {raw!r} has no known unit; write it as e.g. '30亩', '2.5公顷', "
            f"'0.3平方公里' or '4800平方米'"
        )
    if not number or not _NUMBER.match(number):
        raise AreaParseError(
            f"area {raw!r} is not a number followed by a unit; write it as e.g. '30亩'"
        )
    return _checked(float(number.lstrip("+").replace(",", "")), factor, raw)


def format_mu(mu: float, *, decimals: int = 1) -> str:
    """Format an area in mu the way reports print it.

    Examples
    --------
    >>> format_mu(536.04)
    '536.0亩'
    """
    return f"{mu:,.{decimals}f}亩"


def _unit_factor(unit: str, value: object) -> float:
    try:
        return _UNIT_MU[unit.strip().lower()]
    except KeyError:
        msg = f"unit {unit!r} (for area {value!r}) is unknown; use one of {sorted(_UNIT_MU)}"
        raise AreaParseError(msg) from None


def _checked(number: float, factor: float, raw: object) -> float:
    if not math.isfinite(number) or number < 0:
        raise AreaParseError(f"area {raw!r} must be a finite, non-negative number")
    return round(number * factor, 10)
