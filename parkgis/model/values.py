"""Cell values as ledgers hold them: blanks, ids and dates.

One place for the small rules every table shares, so that a blank, an id or a
date means the same in validation, figures and briefings.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from parkgis.errors import DataError

__all__ = ["BLANKS", "as_date", "id_text", "ids_text", "is_blank"]

BLANKS = frozenset({"", "-", "—", "/"})
"""Text that ledgers write for "nothing here"."""


def is_blank(value: object) -> bool:
    """Whether a cell holds nothing: None, NaN, NaT, NA or blank text.

    Examples
    --------
    >>> [is_blank(v) for v in (None, float("nan"), " ", "—", 0, "0")]
    [True, True, True, True, False, False]
    """
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return value.strip() in BLANKS
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def id_text(value: object) -> str | None:
    """An id as text: 17, 17.0 and "17" are the same id; a blank is None.

    Examples
    --------
    >>> id_text(17.0), id_text(" P-3 "), id_text(None)
    ('17', 'P-3', None)
    """
    if is_blank(value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def ids_text(values: Iterable[object]) -> list[str | None]:
    """:func:`id_text` of each value."""
    return [id_text(v) for v in values]


def as_date(value: object, *, where: str = "", what: str = "date") -> dt.date | None:
    """A date cell as a :class:`datetime.date`; a blank is None.

    Accepts dates, timestamps and ISO text (``2013-05-30``, with or without a
    time). Ledger spellings such as ``2013年5月30日`` are turned into ISO by
    :func:`parkgis.model.schema.parse_date` when a park is read.

    Raises
    ------
    DataError
        Naming the value, ``what`` it is and ``where`` it was found.
    """
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):  # pd.Timestamp is a datetime
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        place = f"{where}: " if where else ""
        msg = f"{place}{what} {value!r} is not a date; write it as YYYY-MM-DD"
        raise DataError(msg) from None
