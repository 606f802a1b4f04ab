"""Write a briefing to a file: Word (.docx), printable HTML (.html) or Markdown (.md).

The kind of file follows the suffix. Every file is written atomically
(:func:`parkgis.io.store.atomic_path`): an existing briefing is either left
as it was or completely replaced.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from parkgis.brief.content import BriefError, Briefing
from parkgis.brief.layout import briefing_blocks, figure_keys

__all__ = ["SUFFIXES", "default_brief_path", "write_brief"]

SUFFIXES = (".docx", ".html", ".htm", ".md")
"""The file types a briefing can be written as."""


def default_brief_path(briefing: Briefing, *, suffix: str = ".docx") -> Path:
    """``briefings/<park>[-<scope>].docx``, relative to the current directory.

    Examples
    --------
    >>> import datetime as dt
    >>> from parkgis.brief.content import brief_content
    >>> from parkgis.sample import build_yuanba
    >>> b = brief_content(build_yuanba(), zone="傅家店", today=dt.date(2013, 6, 30))
    >>> default_brief_path(b).as_posix()
    'briefings/yuanba-傅家店.docx'
    """
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f\s]+', "_", briefing.scope.slug).strip(" ._")
    return Path("briefings") / f"{safe or 'briefing'}{suffix}"


def write_brief(briefing: Briefing, path: str | os.PathLike[str], *, font: str = "auto") -> Path:
    """Write a briefing as Word, HTML or Markdown, chosen by the file's suffix.

    Parameters
    ----------
    briefing
        From :func:`parkgis.brief_content`.
    path
        ``….docx`` (Word, with real styles), ``….html`` (one self-contained
        page that prints on A4) or ``….md`` (Markdown, pictures in
        ``<name>_files/`` beside it). The folder is created if needed.
    font
        The pictures' font: ``auto`` (a CJK font found on the system),
        ``none`` (English labels in the pictures), or a family name. See
        :func:`parkgis.brief.figures.choose_font`.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    BriefError
        For a suffix that is not .docx, .html, .htm or .md.

    Warns
    -----
    CJKFontWarning
        When no CJK font is found: the pictures use English labels.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        kind = repr(suffix) if suffix else "a file without a suffix"
        msg = f"{target}: cannot write a briefing as {kind}; name it .docx, .html or .md"
        raise BriefError(msg)
    from parkgis.brief.figures import render_figures

    blocks = briefing_blocks(briefing)
    figures = render_figures(briefing, figure_keys(blocks), font=font)
    if suffix == ".docx":
        from parkgis.brief.docx import write_docx

        return write_docx(briefing, blocks, figures, target)
    if suffix == ".md":
        from parkgis.brief.markdown import write_markdown

        return write_markdown(briefing, blocks, figures, target)
    from parkgis.brief.html import write_html

    return write_html(briefing, blocks, figures, target)
