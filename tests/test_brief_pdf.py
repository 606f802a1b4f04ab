"""``parkgis brief -o brief.pdf``: the PDF briefing, read back with poppler.

Needs WeasyPrint (the ``pdf`` extra), a CJK font (``fonts-noto-cjk``) and
poppler's ``pdftotext``/``pdffonts``/``pdfinfo`` (``poppler-utils``): all
installed by ``scripts/test.sh``; missing, the tests skip locally and fail
under CI (:func:`tests.conftest.needs`).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from parkgis.brief.content import format_number
from parkgis.brief.figures import find_cjk_font
from parkgis.cli import cli
from tests.conftest import needs

DAY = "2013-06-30"
POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdffonts", "pdfinfo"))

pytestmark = [
    needs(
        importlib.util.find_spec("weasyprint") is not None,
        "WeasyPrint is not installed (pip install 'parkgis[pdf]')",
    ),
    needs(POPPLER, "poppler-utils (pdftotext, pdffonts, pdfinfo) is not installed"),
    needs(find_cjk_font() is not None, "no CJK font (apt-get install fonts-noto-cjk)"),
]


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "yuanba.pdf"
    run("brief", "--today", DAY, "-o", str(path))
    return path


def test_the_pdf_is_a4_with_page_numbers(pdf):
    info = tool("pdfinfo", str(pdf))
    assert "(A4)" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 3
    last = tool("pdftotext", "-f", str(pages), "-l", str(pages), str(pdf), "-")
    assert f"{pages}/{pages}" in last.replace(" ", "") and "元坝工业园区 · 2013-06-30" in last


def test_the_pdf_embeds_a_cjk_font(pdf):
    rows = tool("pdffonts", str(pdf)).splitlines()[2:]
    cjk = [r for r in rows if "CJK" in r or "Hei" in r or "Song" in r]
    assert cjk, rows
    assert all(r.split()[-5] == "yes" for r in cjk)  # the "emb" column


def test_the_pdf_says_the_reserve_figures_and_chinese_headings(pdf):
    text = " ".join(tool("pdftotext", str(pdf), "-").split())
    for heading in ("主要数据", "地块图", "范围内地块", "风险", "附录"):
        assert heading in text
    figures = json.loads(run("reserve", "--format", "json", "--as-of", DAY))
    for key, label in (("reserve_mu", "未征收储备(亩)"), ("demand_mu", "签约项目用地需求(亩)"),
                       ("shortfall_mu", "缺口(亩)")):  # fmt: skip
        assert f"{label} {format_number(figures[key])}" in text, key


def test_a_table_longer_than_a_page_repeats_its_header(tmp_path):
    # --atlas makes the parcels table of 26 rows and many pages; each page of a table that
    # goes on shows its header again (WeasyPrint repeats <thead>).
    path = tmp_path / "atlas.pdf"
    run("brief", "--today", DAY, "--atlas", "-o", str(path))
    pages = int(re.search(r"Pages:\s+(\d+)", tool("pdfinfo", str(path))).group(1))
    headed = [
        k for k in range(1, pages + 1)
        if "地块编号" in tool("pdftotext", "-f", str(k), "-l", str(k), str(path), "-")
    ]  # fmt: skip
    assert len(headed) >= 2


def test_the_map_is_a_vector_picture(tmp_path):
    import datetime as dt

    from parkgis.brief import brief_content
    from parkgis.brief.figures import render_figures
    from parkgis.sample import build_yuanba

    b = brief_content(build_yuanba(), today=dt.date(2013, 6, 30))
    svg = render_figures(b, ["map"], image_format="svg")["map"]
    assert svg.lstrip().startswith(b"<?xml") and b"<path" in svg


def test_without_weasyprint_the_pip_line_is_said(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint raises
    result = CliRunner().invoke(cli, ["brief", "-o", str(tmp_path / "b.pdf")])
    assert result.exit_code != 0
    assert "pip install 'parkgis[pdf]'" in result.output
    assert not (tmp_path / "b.pdf").exists()
