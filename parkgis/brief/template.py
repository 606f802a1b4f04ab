"""The office's own Word template for a briefing: its styles, page, header, footer, first page.

``parkgis brief -o brief.docx --template office.docx`` opens the office's
document and keeps, as they are: its styles, its page setup (size, margins,
orientation), its headers and footers (a 红头, a 密级 line, page numbers)
and its first page — the body up to its first page break, or all of it
when it has none (a 红头 and a title above the text). The rest of its body
is dropped and parkgis's briefing follows, written with the template's
style names.

The styles, by part of the briefing (:data:`STYLE_ROLES`), are the first
of these the template defines, unless ``--style-map FILE.toml`` names
others:

=============  =====================================================
part           styles looked for
=============  =====================================================
``title``      ``Title``, ``标题``
``heading_1``  ``Heading 1``, ``标题 1``
``heading_2``  ``Heading 2``, ``标题 2``
``heading_3``  ``Heading 3``, ``标题 3``
``body``       ``Normal``, ``正文``
``table``      ``Table Grid``, ``网格型``, ``普通表格``
``caption``    ``Caption``, ``题注``
``list``       ``List Bullet``, ``列表项目符号``, ``List Paragraph``, ``列出段落``
=============  =====================================================

A part whose style the template lacks gets python-docx's own definition of
the standard style, added to the document (and said so). A style map is a
TOML file of ``part = "style name"`` lines, at the top level or under
``[styles]``::

    title = "公文标题"
    heading_1 = "一级标题"
    body = "公文正文"

Fields ``{{name}}`` in the template's body, headers and footers (also in
their tables and text boxes) are filled: ``{{park}}`` (the park's name),
``{{date}}`` (the briefing's date, ``2013年6月30日``), ``{{title}}`` (the
briefing's title: the template's first page then carries it, and the
briefing does not repeat it), and any ``--template-field NAME=VALUE`` such
as ``--template-field 密级=内部``. A field left unfilled stays visible in the document
and a :class:`TemplateFieldWarning` names it.
"""

from __future__ import annotations

import copy
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parkgis.brief.content import BriefError, Briefing

__all__ = [
    "DEFAULT_STYLES",
    "FIELD_PATTERN",
    "STYLE_ROLES",
    "OfficeTemplate",
    "TemplateFieldWarning",
    "field_values",
    "fill_fields",
    "office_template",
    "read_style_map",
]

STYLE_ROLES = ("title", "heading_1", "heading_2", "heading_3", "body", "table", "caption", "list")
"""The parts of a briefing that take a style of the template."""

DEFAULT_STYLES: dict[str, tuple[str, ...]] = {
    "title": ("Title", "标题"),
    "heading_1": ("Heading 1", "标题 1"),
    "heading_2": ("Heading 2", "标题 2"),
    "heading_3": ("Heading 3", "标题 3"),
    "body": ("Normal", "正文"),
    "table": ("Table Grid", "网格型", "普通表格"),
    "caption": ("Caption", "题注"),
    "list": ("List Bullet", "列表项目符号", "List Paragraph", "列出段落"),
}
"""The styles looked for in a template, per part, first found first."""

FIELD_PATTERN = re.compile(r"\{\{\s*([^{}\s][^{}]*?)\s*\}\}")
"""A field in a template: ``{{park}}``, ``{{ 密级 }}``."""

_STANDARD = {role: names[0] for role, names in DEFAULT_STYLES.items()}


class TemplateFieldWarning(UserWarning):
    """A ``{{field}}`` of the Word template was left unfilled.

    ``parkgis brief --template-field NAME=VALUE`` gives it a value.
    """


@dataclass(frozen=True)
class OfficeTemplate:
    """A Word template, checked: its path and the style each part of a briefing takes.

    ``styles`` maps each of :data:`STYLE_ROLES` to a style name; the parts in
    ``added`` have no style in the template and get the standard one.
    """

    path: Path
    styles: dict[str, str]
    added: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def open(self) -> tuple[Any, bool]:
        """The template as a python-docx document, cut to its first page, styles complete.

        Returns
        -------
        tuple
            The document, and whether its first page has a ``{{title}}`` field.
        """
        import docx

        doc = docx.Document(str(self.path))
        _cut_after_first_page(doc)
        if self.added:
            standard = docx.Document()
            for role in self.added:
                _copy_style(standard, doc, _STANDARD[role])
        body_text = "\n".join(p.text for p in _paragraphs(doc.element.body))
        has_title = any(name == "title" for name in FIELD_PATTERN.findall(body_text))
        return doc, has_title


def office_template(
    path: str | os.PathLike[str], *, style_map: Mapping[str, str] | None = None
) -> OfficeTemplate:
    """Check a Word template and choose its style for each part of a briefing.

    Parameters
    ----------
    path
        The office's ``.docx`` (a ``.dotx`` saved as ``.docx``).
    style_map
        Part to style name (:data:`STYLE_ROLES`; see :func:`read_style_map`),
        over the defaults.

    Raises
    ------
    BriefError
        For a missing file, one that is not a Word document, an unknown
        part, or a style the template does not define.
    """
    template = Path(path)
    if not template.is_file():
        raise BriefError(f"--template {template}: no such file",
                         zh=f"--template {template}：文件不存在")  # fmt: skip
    if template.suffix.lower() != ".docx":
        msg = f"--template {template}: give the template as a Word .docx (save a .dotx as .docx)"
        raise BriefError(
            msg, zh=f"--template {template}：模板须为 Word .docx 文件（.dotx 请另存为 .docx）"
        )
    import docx

    try:
        doc = docx.Document(str(template))
    except Exception as exc:  # python-docx raises several kinds for a file that is not Word
        msg = f"--template {template}: not a Word document that can be read ({exc})"
        raise BriefError(
            msg, zh=f"--template {template}：不是可读取的 Word 文档（{exc}）"
        ) from None
    defined = {style.name.casefold(): style.name for style in doc.styles if style.name}
    asked = dict(style_map or {})
    unknown = sorted(set(asked) - set(STYLE_ROLES))
    if unknown:
        msg = f"style map: no part {', '.join(unknown)}; the parts are {', '.join(STYLE_ROLES)}"
        zh = f"样式对照：没有 {'、'.join(unknown)} 这一部分；可用：{'、'.join(STYLE_ROLES)}"
        raise BriefError(msg, zh=zh)
    styles: dict[str, str] = {}
    added: list[str] = []
    notes: list[str] = []
    for role in STYLE_ROLES:
        if role in asked:
            name = defined.get(asked[role].casefold())
            if name is None:
                listed = ", ".join(sorted(defined.values()))
                msg = (f"style map: {role} = {asked[role]!r}, but {template.name} has no such "
                       f"style; its styles: {listed}")  # fmt: skip
                zh = (f"样式对照：{role} = {asked[role]!r}，但 {template.name} 中没有这个样式；"
                      f"现有样式：{listed}")  # fmt: skip
                raise BriefError(msg, zh=zh)
            styles[role] = name
            continue
        present = [defined[n.casefold()] for n in DEFAULT_STYLES[role] if n.casefold() in defined]
        found = present[0] if present else None
        if found is None:
            added.append(role)
            styles[role] = _STANDARD[role]
            notes.append(f"the template has no style for {role}: parkgis added {_STANDARD[role]!r}")
        else:
            styles[role] = found
    return OfficeTemplate(template, styles, tuple(added), tuple(notes))


def read_style_map(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a style map: ``part = "style name"`` lines, at the top level or under ``[styles]``.

    Keys may be written ``heading_1``, ``heading 1`` or ``heading1``.

    Raises
    ------
    BriefError
        For a file that is not UTF-8 TOML, or a value that is not a string.
    """
    import tomllib

    source = Path(path)
    try:
        data = tomllib.loads(source.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        msg = f"--style-map {source}: not a readable UTF-8 TOML file ({exc})"
        raise BriefError(
            msg, zh=f"--style-map {source}：不是可读取的 UTF-8 TOML 文件（{exc}）"
        ) from None
    table = data.get("styles", data)
    out = {}
    for key, value in table.items():
        if not isinstance(value, str):
            msg = f"--style-map {source}: {key} must be a style name in quotes"
            raise BriefError(msg, zh=f"--style-map {source}：{key} 应为加引号的样式名")
        role = re.sub(r"[\s_-]*(\d)$", r"_\1", key.strip().lower())
        out[role] = value
    return out


def field_values(b: Briefing, fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """The values of a template's fields: ``park``, ``date``, ``title``, then ``fields``.

    Examples
    --------
    >>> import datetime as dt
    >>> from parkgis.brief.content import brief_content
    >>> from parkgis.sample import build_yuanba
    >>> b = brief_content(build_yuanba(), today=dt.date(2013, 6, 30))
    >>> values = field_values(b, {"密级": "内部"})
    >>> values["date"], values["密级"]
    ('2013年6月30日', '内部')
    """
    day = b.date
    date = f"{day.year}年{day.month}月{day.day}日" if b.lang == "zh" else day.isoformat()
    values = {"park": b.park_title, "date": date, "title": b.title}
    values.update({k.strip(): v for k, v in (fields or {}).items()})
    return values


def fill_fields(doc: Any, values: Mapping[str, str]) -> list[str]:
    """Fill the ``{{name}}`` fields of a document's body, headers and footers; return those
    left unfilled (each once, in order)."""
    left: list[str] = []
    for root in _roots(doc):
        for paragraph in _paragraphs(root):
            for name in _fill_paragraph(paragraph, values):
                if name not in left:
                    left.append(name)
    return left


def warn_unfilled(names: list[str]) -> None:
    """Issue a :class:`TemplateFieldWarning` for the fields left unfilled."""
    if names:
        listed = ", ".join("{{" + n + "}}" for n in names)
        how = " ".join(f"--template-field {n}=VALUE" for n in names)
        warnings.warn(
            f"the template's field(s) {listed} were left unfilled; give {how}",
            TemplateFieldWarning,
            stacklevel=3,
        )


def _roots(doc: Any) -> list[Any]:
    roots = [doc.element.body]
    for section in doc.sections:
        for part in (section.header, section.footer, section.first_page_header,
                     section.first_page_footer, section.even_page_header,
                     section.even_page_footer):  # fmt: skip
            if not part.is_linked_to_previous:
                roots.append(part._element)
    return roots


def _paragraphs(root: Any) -> list[Any]:
    """Every paragraph under ``root``: in tables and text boxes too."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    return [Paragraph(p, None) for p in root.iter(qn("w:p"))]


def _fill_paragraph(paragraph: Any, values: Mapping[str, str]) -> list[str]:
    """Replace the fields of one paragraph, across runs; the names without a value."""
    runs = [r for r in paragraph.runs]
    text = "".join(r.text for r in runs)
    if "{{" not in text:
        return []
    left = []
    matches = list(FIELD_PATTERN.finditer(text))
    for match in reversed(matches):
        name = match.group(1)
        if name not in values:
            left.append(name)
            continue
        _replace_span(runs, match.start(), match.end(), str(values[name]))
    return left[::-1]


def _replace_span(runs: list[Any], start: int, end: int, value: str) -> None:
    """Put ``value`` in place of characters ``start:end`` of the runs' joined text; the first
    run touched keeps its formatting and takes the value."""
    position = 0
    first = True
    for run in runs:
        text = run.text
        lo, hi = position, position + len(text)
        position = hi
        if not text or hi <= start or lo >= end:
            continue  # an empty run may hold a picture: never rewritten
        a, b = max(start, lo) - lo, min(end, hi) - lo
        run.text = text[:a] + (value if first else "") + text[b:]
        first = False


def _cut_after_first_page(doc: Any) -> None:
    """Drop the body after its first page break (kept: the break, and the last sectPr)."""
    from docx.oxml.ns import qn

    body = doc.element.body
    children = [c for c in body if c.tag != qn("w:sectPr")]
    cut = None
    for k, child in enumerate(children):
        if k and child.find(f"{qn('w:pPr')}/{qn('w:pageBreakBefore')}") is not None:
            cut = k
            break
        breaks = [b for b in child.iter(qn("w:br")) if b.get(qn("w:type")) == "page"]
        if breaks or child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            cut = k + 1
            break
    if cut is None:
        return
    for child in children[cut:]:
        body.remove(child)
    if cut < len(children) and children[cut].tag == qn("w:p"):
        # The page broke before that paragraph: the briefing starts on the next page.
        doc.add_paragraph().add_run().add_break(_page_break())


def _page_break() -> Any:
    from docx.enum.text import WD_BREAK

    return WD_BREAK.PAGE


def _copy_style(source: Any, target: Any, name: str) -> None:
    """Copy a style (and the styles it is based on) from one document into another."""
    style = source.styles[name]
    chain = []
    while style is not None:
        chain.append(style)
        style = style.base_style
    known = {s.name for s in target.styles}
    for style in reversed(chain):
        if style.name not in known:
            target.styles.element.append(copy.deepcopy(style.element))
            known.add(style.name)
