"""Cell values as ledgers hold them: blanks, ids, text and dates.

One place for the small rules every table shares, so that a blank, an id or a
date means the same in validation, figures and briefings.

Text comes with characters no one sees: a UTF-8 byte-order mark (U+FEFF) left
inside a cell when files were joined, zero-width spaces and joiners pasted
from web pages and chat, no-break and ideographic (full-width) spaces at the
ends. :func:`clean_text` removes them, so that ``"\\ufeff已征收"`` is the term
``已征收`` and not a second status. Vocabulary terms and ids are also folded
to their plain forms (NFKC: full-width ``ＹＢ－０１`` is ``YB-01``); for an id
that changes what was typed, so :func:`clean_id` says whether it did, and the
reader reports it. Names and notes keep their characters (a full-width
bracket in a company name stays as written).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

from parkgis.errors import DataError

__all__ = [
    "BLANKS",
    "INVISIBLE",
    "all_text",
    "as_date",
    "clean_id",
    "clean_text",
    "id_text",
    "ids_text",
    "is_blank",
]

BLANKS = frozenset({"", "-", "—", "/"})
"""Text that ledgers write for "nothing here"."""

INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad"
"""Characters removed wherever they are in a text cell: byte-order mark, zero-width
space, non-joiner and joiner, word joiner, soft hyphen."""

_INVISIBLE = re.compile(f"[{INVISIBLE}]")


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


def all_text(values: list[object]) -> bool:
    """Whether every value is text or None (a column that quick paths may read by value).

    Examples
    --------
    >>> all_text(["A", None]), all_text(["A", 1.0])
    (True, False)
    """
    return set(map(type, values)) <= {str, type(None)}


def ids_text(values: Iterable[object]) -> list[str | None]:
    """:func:`id_text` of each value (quick for a column of text, as ids are once read).

    Examples
    --------
    >>> ids_text(["A-1 ", None, "—", 17.0])
    ['A-1', None, None, '17']
    """
    values = values.tolist() if isinstance(values, (np.ndarray, pd.Series)) else list(values)
    if all_text(values):
        return [None if v is None or (t := v.strip()) in BLANKS else t for v in values]
    return [id_text(v) for v in values]


def clean_text(value: object, *, fold: bool = False) -> object:
    """A text cell without invisible characters or spaces at its ends; other values unchanged.

    Parameters
    ----------
    value
        The cell as read.
    fold
        Also fold full-width and compatibility forms to plain ones (NFKC), as
        for vocabulary terms and ids.

    Examples
    --------
    >>> clean_text("\\ufeff已征收\\u3000")
    '已征收'
    >>> clean_text("香香\\u200b嘴（东区）\\xa0"), clean_text("ＹＢ－０１", fold=True)
    ('香香嘴（东区）', 'YB-01')
    >>> clean_text(30.0)
    30.0
    """
    if not isinstance(value, str):
        return value
    text = _INVISIBLE.sub("", value)
    if fold:
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


def clean_id(value: object) -> tuple[str | None, bool]:
    """An id as :func:`id_text` reads it after :func:`clean_text` with ``fold``.

    Returns the id, and whether cleaning changed it from what was written
    (beyond spaces at the ends): a full-width or invisible character, which
    the reader reports so that no one is surprised that ``ＹＢ－０１`` joins
    ``YB-01``.

    Examples
    --------
    >>> clean_id("ＹＢ－０１"), clean_id(" P-3 "), clean_id("P\\u200b3"), clean_id(17.0)
    (('YB-01', True), ('P-3', False), ('P3', True), ('17', False))
    """
    plain = id_text(value)
    if plain is None or not isinstance(value, str):
        return plain, False
    read = id_text(clean_text(value, fold=True))
    return read, read != plain


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
