"""Write a briefing as Markdown (CommonMark with pipe tables).

The pictures are written as PNG files in a folder beside the document,
``<name>_files/``, and linked relatively, so the pair can be committed to a
repository or opened in any Markdown editor. Text is escaped for Markdown: a
parcel named ``<script>…`` or ``{{ 7*7 }}`` renders exactly as written, not as
markup or emphasis.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from parkgis.brief.content import Briefing
from parkgis.brief.layout import Block, Bullets, Figure, Heading, Paragraph, Table
from parkgis.io.writing import atomic_path

__all__ = ["assets_folder", "escape_markdown", "markdown_text", "write_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))")


def escape_markdown(text: str, *, line_start: bool = False) -> str:
    r"""Escape text so that Markdown shows it as written.

    ``line_start`` also escapes what would start a list or a setext heading
    (``- ``, ``1.``) at the beginning of a paragraph.

    Examples
    --------
    >>> escape_markdown("<b>A|B</b> {{ 7*7 }}")
    '\\<b\\>A\\|B\\</b\\> {{ 7\\*7 }}'
    >>> escape_markdown("1. 150.00", line_start=True)
    '1\\. 150.00'
    """
    flat = " ".join(str(text).split())
    escaped = _SPECIAL.sub(r"\\\1", flat)
    if not line_start:
        return escaped
    return _LINE_START.sub(
        lambda m: m[1] + (m[2] + "\\" if m[2].isdigit() else "\\" + m[2]), escaped
    )


def assets_folder(path: Path) -> Path:
    """Where the pictures of a Markdown briefing go: ``<name>_files`` beside it.

    Examples
    --------
    >>> assets_folder(Path("briefings/yuanba.md")).as_posix()
    'briefings/yuanba_files'
    """
    return path.with_name(f"{path.stem}_files")


def write_markdown(b: Briefing, blocks: list[Block], figures: dict[str, bytes], path: Path) -> Path:
    """Write the blocks as Markdown at ``path`` and the pictures beside it, atomically."""
    folder = assets_folder(path)
    names = {key: _file_name(key) for key in figures}
    for key, png in figures.items():
        with atomic_path(folder / names[key]) as tmp:
            tmp.write_bytes(png)
    links = {key: f"{quote(folder.name)}/{quote(name)}" for key, name in names.items()}
    text = markdown_text(b, blocks, links)
    with atomic_path(path) as tmp:
        tmp.write_bytes(text.encode("utf-8"))
    return path


def markdown_text(b: Briefing, blocks: list[Block], links: dict[str, str]) -> str:
    """The Markdown of a briefing; ``links`` maps figure keys to image URLs."""
    e = escape_markdown
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out.append(f"{'#' * (block.level + 1)} {e(block.text)}")
        elif isinstance(block, Paragraph):
            text = e(block.text, line_start=True)
            out.append(f"*{text}*" if block.note else text)
        elif isinstance(block, Bullets):
            out.append(
                "\n".join(
                    f"- **{e(lead)}** — {e(rest)}" if lead else f"- {e(rest)}"
                    for lead, rest in block.items
                )
            )
        elif isinstance(block, Table):
            out.append(_table(block))
        elif isinstance(block, Figure):
            out.append(f"![{e(block.caption)}]({links[block.key]})\n\n**{e(block.caption)}**")
    return "\n\n".join(out) + "\n"


def _table(block: Table) -> str:
    e = escape_markdown
    head = "| " + " | ".join(e(c) for c in block.columns) + " |"
    rule = "|" + "|".join("---:" if a == "r" else ":---" for a in block.align) + "|"
    rows = ["| " + " | ".join(e(v) for v in row) + " |" for row in block.rows]
    return "\n".join([f"**{e(block.caption)}**", "", head, rule, *rows])


def _file_name(key: str) -> str:
    return re.sub(r'[\\/:*?"<>|\s]+', "-", key).strip("-.") + ".png"
