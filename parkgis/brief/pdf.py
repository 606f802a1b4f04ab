"""Write a briefing as a PDF: the printable HTML page rendered by WeasyPrint.

The PDF is the page :func:`parkgis.brief.html.html_text` writes, with the
same blocks and numbers, laid out on A4 by WeasyPrint
(https://weasyprint.org, an optional dependency: ``pip install
'parkgis[pdf]'``; it uses the system's Pango). On top of the page's own
print CSS (A4, table headers repeated on every page, rows and figures kept
whole) each page carries the park and date at the bottom left and
``page / pages`` at the bottom right. The map and charts are SVG, so they
stay vectors in the PDF. Fonts are found by fontconfig: the Chinese text is
set in the first CJK font of the stylesheet's list that is installed (Noto
Sans CJK SC on Debian's ``fonts-noto-cjk``, Microsoft YaHei on Windows …)
and embedded as a subset.
"""

from __future__ import annotations

import logging
from pathlib import Path

from parkgis.brief.content import Briefing
from parkgis.brief.html import html_text
from parkgis.brief.layout import Block
from parkgis.errors import MissingDependencyError
from parkgis.io.writing import atomic_path

__all__ = ["PDF_CSS", "require_weasyprint", "write_pdf"]

PDF_CSS = """
@page {
  size: A4;
  margin: 18mm 16mm 20mm 16mm;
  @bottom-left { content: "{footer}"; font-size: 8pt; color: #555; }
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; }
}
body { max-width: none; }
""".strip()
"""Added to the page's print CSS for the PDF: the page footer (``{footer}`` is filled)."""


def require_weasyprint() -> None:
    """Raise :class:`~parkgis.errors.MissingDependencyError` when WeasyPrint cannot be used.

    Raises
    ------
    MissingDependencyError
        With the pip line, when WeasyPrint (or the Pango library it loads) is missing.
    """
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        raise MissingDependencyError(
            "writing a PDF briefing needs WeasyPrint: pip install 'parkgis[pdf]' "
            f"(and the Pango library: apt-get install libpango-1.0-0 libpangoft2-1.0-0) ({exc})",
            zh="写 PDF 简报需要 WeasyPrint：pip install 'parkgis[pdf]'"
            f"（以及 Pango 库：apt-get install libpango-1.0-0 libpangoft2-1.0-0）（{exc}）",
        ) from exc


def write_pdf(b: Briefing, blocks: list[Block], figures: dict[str, bytes], path: Path) -> Path:
    """Write the blocks as an A4 PDF at ``path``, atomically.

    ``figures`` are best SVG (:func:`~parkgis.brief.figures.render_figures`
    with ``image_format="svg"``); PNG works too.

    Raises
    ------
    MissingDependencyError
        When WeasyPrint is not installed.
    """
    require_weasyprint()
    import weasyprint

    footer = f"{b.park_title} · {b.date.isoformat()}"
    css = PDF_CSS.replace("{footer}", footer.replace("\\", "\\\\").replace('"', '\\"'))
    page = weasyprint.HTML(string=html_text(b, blocks, figures), base_url=str(path.parent))
    quiet = logging.getLogger("weasyprint")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # CSS it does not support (screen-only rules) is no news
    try:
        document = page.render(stylesheets=[weasyprint.CSS(string=css)])
        with atomic_path(path) as tmp:
            document.write_pdf(tmp)
    finally:
        quiet.setLevel(level)
    return path
