"""Write a briefing as a Word document (.docx) with python-docx.

The document uses Word's own styles, so an office can restyle it in one
place: ``Title``, ``Heading 1``/``Heading 2``, ``Caption`` (tables captioned
above, figures below), ``List Bullet``, and the ``Table Grid`` table style
with a repeated header row. The page is A4 portrait with 20 mm margins;
every table is laid out fixed to the text width (170 mm) and every picture
is at most that wide. Chinese text is set in SimSun (body) and SimHei
(headings), Word's usual East Asian fonts; the footer carries the park, the
date and the page number.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parkgis.brief.content import Briefing
from parkgis.brief.layout import Block, Bullets, Figure, Heading, Paragraph, Table
from parkgis.errors import MissingDependencyError
from parkgis.io.writing import atomic_path

if TYPE_CHECKING:
    from parkgis.brief.template import OfficeTemplate

__all__ = ["PAGE_MM", "TEXT_WIDTH_MM", "write_docx"]

PAGE_MM = (210, 297)
"""A4 portrait, in millimetres."""

_MARGIN_MM = 20
TEXT_WIDTH_MM = PAGE_MM[0] - 2 * _MARGIN_MM
"""The width tables and pictures fit into."""

_BODY_EAST_ASIA = "SimSun"
_HEADING_EAST_ASIA = "SimHei"
_TABLE_PT = 9


def write_docx(
    b: Briefing,
    blocks: list[Block],
    figures: dict[str, bytes],
    path: Path,
    *,
    template: OfficeTemplate | None = None,
    fields: Mapping[str, str] | None = None,
) -> Path:
    """Write the blocks as a .docx file at ``path``, atomically.

    With ``template`` (:func:`parkgis.brief.template.office_template`) the
    office's document is filled instead: its styles, page, header, footer
    and first page kept, the briefing written in its style names and its
    ``{{fields}}`` filled (``fields`` over the defaults).

    Raises
    ------
    ImportError
        When python-docx is not installed.

    Warns
    -----
    TemplateFieldWarning
        For each field of the template left unfilled.
    """
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - a runtime dependency
        raise MissingDependencyError(
            "writing .docx needs python-docx: pip install python-docx",
            zh="写 .docx 需要 python-docx：pip install python-docx",
        ) from exc
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    look = _LOOK
    if template is None:
        doc = docx.Document()
        section = doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Mm(_MARGIN_MM))
        _styles(doc, b.lang)
        _footer(doc, f"{b.park_title} · {b.date.isoformat()} · ")
    else:
        doc, has_title = template.open()
        look = _template_look(doc, template)
        if has_title and blocks and isinstance(blocks[0], Heading) and blocks[0].level == 0:
            blocks = blocks[1:]  # the template's first page carries the title
    for block in blocks:
        if isinstance(block, Heading):
            _heading(doc, block, look)
        elif isinstance(block, Paragraph):
            _paragraph(doc, block, look)
        elif isinstance(block, Bullets):
            _bullets(doc, block, look)
        elif isinstance(block, Table):
            _table(doc, block, look)
        elif isinstance(block, Figure):
            _figure(doc, block, figures[block.key], look)
    if template is not None:
        from parkgis.brief.template import field_values, fill_fields, warn_unfilled

        warn_unfilled(fill_fields(doc, field_values(b, fields)))
    props = doc.core_properties
    props.title = b.title
    props.subject = b.scope.description
    props.author = "parkgis"
    props.last_modified_by = "parkgis"
    props.language = "zh-CN" if b.lang == "zh" else "en"
    moment = dt.datetime.combine(b.date, dt.time(0, 0))
    props.created = props.modified = moment
    props.revision = 1
    with atomic_path(path) as tmp:
        doc.save(str(tmp))
    return path


@dataclass(frozen=True)
class _Look:
    """The style name of each part of the briefing, and the text width tables fill."""

    styles: Mapping[str, str]
    width_mm: float = TEXT_WIDTH_MM


_LOOK = _Look(
    {"title": "Title", "heading_1": "Heading 1", "heading_2": "Heading 2",
     "heading_3": "Heading 3", "body": "Normal", "table": "Table Grid", "caption": "Caption",
     "list": "List Bullet"}
)  # fmt: skip


def _template_look(doc: Any, template: OfficeTemplate) -> _Look:
    """The template's styles, and the width between the margins of its last section."""
    section = doc.sections[-1]
    if section.page_width and section.left_margin is not None and section.right_margin is not None:
        width_mm = (section.page_width - section.left_margin - section.right_margin) / 36_000
    else:
        width_mm = TEXT_WIDTH_MM
    return _Look(dict(template.styles), width_mm)


def _styles(doc: Any, lang: str) -> None:
    from docx.oxml.ns import qn

    for name, east_asia in (
        ("Normal", _BODY_EAST_ASIA),
        ("Title", _HEADING_EAST_ASIA),
        ("Heading 1", _HEADING_EAST_ASIA),
        ("Heading 2", _HEADING_EAST_ASIA),
        ("Caption", _BODY_EAST_ASIA),
    ):
        style = doc.styles[name]
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.insert(0, fonts)
        fonts.set(qn("w:eastAsia"), east_asia)
        fonts.attrib.pop(qn("w:eastAsiaTheme"), None)  # a theme font would override it
        if name == "Normal":
            language = rpr.find(qn("w:lang"))
            if language is None:
                language = rpr.makeelement(qn("w:lang"), {})
                rpr.append(language)
            language.set(qn("w:val"), "zh-CN" if lang == "zh" else "en-GB")
            language.set(qn("w:eastAsia"), "zh-CN")


def _footer(doc: Any, text: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.font.size = Pt(8)
    field = paragraph._p.makeelement(qn("w:fldSimple"), {qn("w:instr"): "PAGE"})
    inner = field.makeelement(qn("w:r"), {})
    number = inner.makeelement(qn("w:t"), {})
    number.text = "1"
    inner.append(number)
    field.append(inner)
    paragraph._p.append(field)


def _heading(doc: Any, block: Heading, look: _Look) -> None:
    role = "title" if block.level == 0 else f"heading_{min(block.level, 3)}"
    paragraph = doc.add_paragraph(block.text, style=look.styles[role])
    if block.page_break:
        paragraph.paragraph_format.page_break_before = True


def _paragraph(doc: Any, block: Paragraph, look: _Look) -> None:
    from docx.shared import Pt, RGBColor

    paragraph = doc.add_paragraph(style=look.styles["body"])
    run = paragraph.add_run(block.text)
    if block.note:
        run.font.size = Pt(8.5)
        run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)


def _bullets(doc: Any, block: Bullets, look: _Look) -> None:
    for lead, rest in block.items:
        paragraph = doc.add_paragraph(style=look.styles["list"])
        if lead:
            paragraph.add_run(lead).bold = True
            paragraph.add_run(f" — {rest}" if rest else "")
        else:
            paragraph.add_run(rest)


def _table(doc: Any, block: Table, look: _Look) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    caption = doc.add_paragraph(block.caption, style=look.styles["caption"])
    caption.paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1 + len(block.rows), cols=len(block.columns))
    table.style = doc.styles[look.styles["table"]]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # <w:tblLayout w:type="fixed"/>: Word keeps the widths given
    width = table._tbl.tblPr.find(qn("w:tblW"))  # python-docx's template always has one
    width.set(qn("w:w"), str(round(look.width_mm / 25.4 * 1440)))
    width.set(qn("w:type"), "dxa")
    widths = [Mm(look.width_mm * share) for share in block.widths]
    for column, w in zip(table.columns, widths, strict=True):
        column.width = w
    header = table.rows[0]
    repeat = header._tr.get_or_add_trPr().makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    header._tr.get_or_add_trPr().append(repeat)
    from docx.table import _Cell

    # Rows and cells straight from the table's XML, in one pass: python-docx's
    # ``table.rows[r].cells`` walks the whole table for every row (quadratic).
    trs = table._tbl.tr_lst
    for r, (tr, values) in enumerate(zip(trs, [block.columns, *block.rows], strict=True)):
        cells = [_Cell(tc, table) for tc in tr.tc_lst]
        for c, (cell, value) in enumerate(zip(cells, values, strict=True)):
            cell.width = widths[c]
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(value)
            run.font.size = Pt(_TABLE_PT)
            if r == 0:
                run.bold = True
            elif block.align[c] == "r":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph()


def _figure(doc: Any, block: Figure, png: bytes, look: _Look) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm

    doc.add_picture(io.BytesIO(png), width=Mm(look.width_mm * min(block.width, 1.0)))
    picture = doc.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True
    caption = doc.add_paragraph(block.caption, style=look.styles["caption"])
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
