"""Write a briefing as one self-contained, printable HTML page.

Pictures (PNG, or SVG for the PDF) are inlined as ``data:`` URIs and the
stylesheet is in the page, so the file opens anywhere, with no network. Print CSS sets A4 pages
(``@page { size: A4 }``), repeats table headers on every page, keeps figures
and table rows whole, and starts each atlas page on a new sheet. Every piece
of text is escaped with :func:`html.escape`: a parcel named
``<script>…`` or ``{{ 7*7 }}`` prints exactly as written.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from parkgis.brief.content import Briefing
from parkgis.brief.layout import Block, Bullets, Figure, Heading, Paragraph, Table
from parkgis.io.writing import atomic_path

__all__ = ["CSS", "html_text", "write_html"]

_KEEP_ROWS = 15  # tables this short are kept on one page

CSS = """
@page { size: A4; margin: 18mm 16mm 18mm 16mm; }
html { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  "Hiragino Sans GB", "SimHei", "WenQuanYi Micro Hei", "Noto Sans SC", sans-serif;
  font-size: 10.5pt; line-height: 1.5; color: #111; }
body { margin: 0 auto; max-width: 178mm; }
h1.title { font-size: 18pt; text-align: center; margin: 0 0 6pt; }
h1 { font-size: 14pt; margin: 14pt 0 6pt; border-bottom: 1px solid #888; break-after: avoid; }
h2 { font-size: 12pt; margin: 10pt 0 4pt; break-after: avoid; }
p { margin: 0 0 6pt; }
p.note { font-size: 8.5pt; color: #555; }
ul { margin: 0 0 6pt; padding-left: 18pt; }
li { margin: 0 0 2pt; break-inside: avoid; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 9pt;
  margin: 0 0 10pt; }
caption { caption-side: top; text-align: left; font-weight: bold; font-size: 9pt;
  padding: 2pt 0; }
th, td { border: 0.6pt solid #888; padding: 1.5pt 3pt; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: #eee; text-align: left; }
td.r { text-align: right; font-variant-numeric: tabular-nums; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
table.keep { break-inside: avoid; }
figure { margin: 4pt 0 10pt; text-align: center; break-inside: avoid; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: 9pt; font-weight: bold; }
.page-break { break-before: page; }
@media screen { body { padding: 12mm 0; } }
""".strip()


def write_html(b: Briefing, blocks: list[Block], figures: dict[str, bytes], path: Path) -> Path:
    """Write the blocks as one self-contained HTML file at ``path``, atomically."""
    text = html_text(b, blocks, figures)
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path


def html_text(b: Briefing, blocks: list[Block], figures: dict[str, bytes]) -> str:
    """The HTML page of a briefing, as :func:`write_html` writes it."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if b.lang == "zh" else "en"}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="parkgis">',
        f"<title>{e(b.title)}</title>",
        f"<style>\n{CSS}\n</style>",
        "</head>",
        "<body>",
    ]
    for block in blocks:
        if isinstance(block, Heading):
            cls = ' class="title"' if block.level == 0 else ""
            if block.page_break:
                cls = f' class="{"title " if block.level == 0 else ""}page-break"'
            tag = f"h{max(block.level, 1)}"
            parts.append(f"<{tag}{cls}>{e(block.text)}</{tag}>")
        elif isinstance(block, Paragraph):
            cls = ' class="note"' if block.note else ""
            parts.append(f"<p{cls}>{e(block.text)}</p>")
        elif isinstance(block, Bullets):
            items = "".join(
                f"<li><strong>{e(lead)}</strong> — {e(rest)}</li>"
                if lead
                else f"<li>{e(rest)}</li>"
                for lead, rest in block.items
            )
            parts.append(f"<ul>{items}</ul>")
        elif isinstance(block, Table):
            parts.append(_table(block))
        elif isinstance(block, Figure):
            picture = figures[block.key]
            data = base64.b64encode(picture).decode("ascii")
            mime = "image/svg+xml" if _is_svg(picture) else "image/png"
            width = f"{min(block.width, 1.0) * 100:.0f}%"
            parts.append(
                f'<figure><img src="data:{mime};base64,{data}" alt="{e(block.caption)}" '
                f'style="width:{width}"><figcaption>{e(block.caption)}</figcaption></figure>'
            )
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _is_svg(picture: bytes) -> bool:
    """Whether a picture is SVG (the PDF path draws vectors), not PNG."""
    head = picture[:256].lstrip()
    return head.startswith((b"<?xml", b"<svg"))


def _table(block: Table) -> str:
    e = html.escape
    cols = "".join(f'<col style="width:{w * 100:.1f}%">' for w in block.widths)
    head = "".join(f"<th>{e(c)}</th>" for c in block.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="r">{e(v)}</td>' if a == "r" else f"<td>{e(v)}</td>"
            for v, a in zip(row, block.align, strict=True)
        )
        + "</tr>"
        for row in block.rows
    )
    keep = ' class="keep"' if len(block.rows) <= _KEEP_ROWS else ""
    return (
        f'<table data-key="{e(block.key)}"{keep}><caption>{e(block.caption)}</caption>'
        f"<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
