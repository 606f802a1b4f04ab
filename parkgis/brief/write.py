"""Write a briefing to a file: Word (.docx), PDF (.pdf), printable HTML (.html) or Markdown (.md).

The kind of file follows the suffix. Every file is written atomically
(:func:`parkgis.io.writing.atomic_path`): an existing briefing is either left
as it was or completely replaced.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from parkgis.brief.content import BriefError, Briefing
from parkgis.brief.layout import briefing_blocks, figure_keys

__all__ = ["SUFFIXES", "default_brief_path", "write_brief"]

SUFFIXES = (".docx", ".pdf", ".html", ".htm", ".md")
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


def write_brief(
    briefing: Briefing,
    path: str | os.PathLike[str],
    *,
    font: str = "auto",
    template: str | os.PathLike[str] | None = None,
    style_map: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
) -> Path:
    """Write a briefing as Word, PDF, HTML or Markdown, chosen by the file's suffix.

    Parameters
    ----------
    briefing
        From :func:`parkgis.brief_content`.
    path
        ``….docx`` (Word, with real styles), ``….pdf`` (A4, the HTML page
        rendered by WeasyPrint, :mod:`parkgis.brief.pdf`), ``….html`` (one
        self-contained page that prints on A4) or ``….md`` (Markdown,
        pictures in ``<name>_files/`` beside it). The folder is created if
        needed.
    font
        The pictures' font: ``auto`` (a CJK font found on the system),
        ``none`` (English labels in the pictures), or a family name. See
        :func:`parkgis.brief.figures.choose_font`.
    template
        Word only: the office's own document to fill (its styles, page setup,
        header, footer and first page; :mod:`parkgis.brief.template`).
    style_map
        Word with a template: the template's style for each part
        (``title``, ``heading_1`` … ``heading_3``, ``body``, ``table``,
        ``caption``, ``list``), over the defaults.
    fields
        Word with a template: values of the template's ``{{name}}`` fields,
        over the defaults (``park``, ``date``, ``title``).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    BriefError
        For a suffix that is not .docx, .pdf, .html, .htm or .md, or a
        template with another suffix than .docx.
    MissingDependencyError
        For a PDF without WeasyPrint (``pip install 'parkgis[pdf]'``).

    Warns
    -----
    CJKFontWarning
        When no CJK font is found: the pictures use English labels.
    TemplateFieldWarning
        For each ``{{field}}`` of a template left unfilled.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        kind = repr(suffix) if suffix else "a file without a suffix"
        msg = f"{target}: cannot write a briefing as {kind}; name it .docx, .pdf, .html or .md"
        raise BriefError(msg)
    if template is not None and suffix != ".docx":
        msg = f"{target}: a Word template fills a .docx briefing; name the output .docx"
        raise BriefError(msg, zh=f"{target}：Word 模板只用于 .docx 简报；请把输出命名为 .docx")
    from parkgis.brief.figures import render_figures

    if suffix == ".pdf":
        from parkgis.brief.pdf import require_weasyprint

        require_weasyprint()  # before drawing anything
    office = None
    if template is not None:
        from parkgis.brief.template import office_template

        office = office_template(template, style_map=style_map)
    blocks = briefing_blocks(briefing)
    image_format = "svg" if suffix == ".pdf" else "png"
    figures = render_figures(briefing, figure_keys(blocks), font=font, image_format=image_format)
    if suffix == ".docx":
        from parkgis.brief.docx import write_docx

        if office is not None:
            return write_docx(briefing, blocks, figures, target, template=office, fields=fields)
        return write_docx(briefing, blocks, figures, target)
    if suffix == ".pdf":
        from parkgis.brief.pdf import write_pdf

        return write_pdf(briefing, blocks, figures, target)
    if suffix == ".md":
        from parkgis.brief.markdown import write_markdown

        return write_markdown(briefing, blocks, figures, target)
    from parkgis.brief.html import write_html

    return write_html(briefing, blocks, figures, target)
