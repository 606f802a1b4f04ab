"""The errors parkgis raises on purpose.

Every error is a :class:`ParkgisError` and also a built-in exception, so that
callers who do not know parkgis can still catch ``ValueError`` or ``OSError``.
Messages name the value, the place and the way out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AreaParseError",
    "CRSMissingError",
    "DataError",
    "EncodingError",
    "InputError",
    "MissingDependencyError",
    "ParkgisError",
    "SchemaError",
    "SuspectCoordinatesError",
    "VocabularyError",
]


class ParkgisError(Exception):
    """Base of every error parkgis raises on purpose.

    Parameters
    ----------
    message
        What is wrong, where, and the way out, in English (``str(error)``).
    zh
        The same in Chinese, shown with ``--lang zh`` (the default); without
        it the English text is shown.

    Examples
    --------
    >>> err = ParkgisError("parcel 'A' has no geometry", zh="地块 'A' 没有几何图形")
    >>> str(err), err.text("zh"), err.text("en")
    ("parcel 'A' has no geometry", "地块 'A' 没有几何图形", "parcel 'A' has no geometry")
    """

    def __init__(self, message: object = "", *args: object, zh: str | None = None) -> None:
        super().__init__(message, *args)
        self.zh = zh

    def text(self, lang: str = "en") -> str:
        """The message in ``lang`` (``zh`` or ``en``), English where no Chinese is given."""
        if lang == "zh" and self.zh:
            return self.zh
        return str(self)


class VocabularyError(ParkgisError, ValueError):
    """A value is not a known term of its vocabulary."""


class AreaParseError(ParkgisError, ValueError):
    """A written area (``约30亩``, ``2.5公顷`` ...) could not be understood."""


class DataError(ParkgisError, ValueError):
    """Data that reads well but cannot give the figure asked for.

    A constraint line with no setback (it would take no land), an invalid
    parcel geometry in an overlay, a scenario naming a zone that does not
    exist, a target period that cannot be read.
    """


class InputError(ParkgisError, OSError):
    """An input file or folder cannot be read at all."""


class MissingDependencyError(ParkgisError, ImportError):
    """A package that an optional part of parkgis needs is not installed.

    The message names the part and the ``pip install`` line that brings it.
    """


class EncodingError(InputError):
    """The text of a file cannot be decoded without guessing."""


class CRSMissingError(InputError):
    """A layer has no coordinate reference system and none was given."""


class SuspectCoordinatesError(InputError):
    """Coordinates cannot be right for the CRS they are declared in."""


class SchemaError(ParkgisError, ValueError):
    """One or more validation problems of severity ``error``.

    Parameters
    ----------
    problems
        Every problem found (objects with ``code``, ``severity`` and
        ``message``, and ``message_zh`` where there is one), not only the first.

    Examples
    --------
    >>> from types import SimpleNamespace as Problem
    >>> err = SchemaError([Problem(code="gap", message="a gap", message_zh="一处缝隙")])
    >>> print(err.text("zh"))
    1 个问题：
      [gap] 一处缝隙
    """

    def __init__(self, problems: Sequence[Any]):
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s):"]
        lines += [f"  [{p.code}] {p.message}" for p in self.problems]
        zh = [f"{len(self.problems)} 个问题："]
        zh += [f"  [{p.code}] {getattr(p, 'message_zh', None) or p.message}" for p in self.problems]
        super().__init__("\n".join(lines), zh="\n".join(zh))
