"""The HTML briefing printed by headless Chromium: A4 pages, Chinese text intact.

Needs ``chromium``, a CJK font and poppler's ``pdfinfo``/``pdftotext``
(scripts/test.sh installs them: chromium, fonts-noto-cjk, poppler-utils);
skipped without them, except under CI, where a missing part fails.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import parkgis
from parkgis.brief import brief_content, write_brief
from parkgis.brief.figures import find_cjk_font
from tests.conftest import needs
from tests.test_brief import EVIL, TERRACE, hand_park

pytestmark = [
    needs(
        bool(shutil.which("chromium") and shutil.which("pdfinfo") and shutil.which("pdftotext")),
        "chromium or poppler-utils (pdfinfo, pdftotext) is not installed (apt-get install "
        "chromium poppler-utils)",
    ),
    needs(
        find_cjk_font() is not None,
        "no CJK font is installed (apt-get install fonts-noto-cjk)",
    ),
    pytest.mark.filterwarnings("ignore::parkgis.brief.figures.CJKFontWarning"),
]

DAY = dt.date(2013, 6, 30)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run",
]  # fmt: skip


def print_pdf(html: Path, tmp_path: Path) -> Path:
    """Print a page to PDF with headless Chromium (its own profile, so runs never collide)."""
    pdf = html.with_suffix(".pdf")
    subprocess.run(
        [shutil.which("chromium"), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
         f"--print-to-pdf={pdf}", html.resolve().as_uri()],
        capture_output=True, timeout=180, check=True,
    )  # fmt: skip
    assert pdf.is_file() and pdf.stat().st_size > 0
    return pdf


def pages(pdf: Path) -> tuple[int, tuple[float, float]]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    return count, (float(size[1]), float(size[2]))


def text(pdf: Path, page: int | None = None) -> str:
    where = [] if page is None else ["-f", str(page), "-l", str(page)]
    args = ["pdftotext", "-layout", *where, str(pdf), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def test_whole_park_with_atlas_prints_on_a4_pages(tmp_path):
    park = parkgis.read_park()
    b = brief_content(park, today=DAY, atlas=True)
    pdf = print_pdf(write_brief(b, tmp_path / "yuanba.html"), tmp_path)
    count, (width, height) = pages(pdf)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    # The body takes a few pages (map, four charts, 26 parcel rows, risks); then the
    # atlas gives each parcel exactly one page, its id on it; then the appendix.
    n = len(b.atlas)
    assert n == 26
    assert n + 3 <= count <= n + 9
    first = next(p for p in range(1, count + 1) if b.atlas[0].title in text(pdf, p))
    for k, page in enumerate(b.atlas):
        assert page.title in text(pdf, first + k)
    assert "附录" in text(pdf, first + n) and first + n <= count
    body = text(pdf)
    for word in (
        "元坝工业园区",
        "土地征收工作简报",
        "已供地",
        "未征收",
        "征而未供",
        "中纺油脂地块",
    ):
        assert word in body, word


def test_terrace_briefing_prints_its_figures(tmp_path):
    b = brief_content(parkgis.read_park(), zone=TERRACE, today=DAY)
    pdf = print_pdf(write_brief(b, tmp_path / "terrace.html"), tmp_path)
    count, _ = pages(pdf)
    assert 2 <= count <= 8
    body = " ".join(text(pdf).split())
    assert f"元坝工业园区 {TERRACE} 土地征收工作简报" in body
    assert (
        "4 个签约项目尚需用地: 签约项目用地需求 190.00 亩; 现有可用地 0.00 亩, 缺口 190.00 亩。"
    ) in body
    assert "佳龙工艺品项目" in body and "1,600.00" in body


def test_user_text_prints_as_written(tmp_path):
    b = brief_content(hand_park(name=EVIL), today=DAY, atlas=True)
    pdf = print_pdf(write_brief(b, tmp_path / "evil.html"), tmp_path)
    count, _ = pages(pdf)
    # the heading of parcel A's atlas page (the atlas's pages are followed by the appendix)
    assert any(f"A {EVIL}" in text(pdf, p) for p in range(2, count + 1))
