"""``parkgis brief -o brief.docx --template office.docx``: the office's own Word template.

The template is built here with python-docx (a custom style 公文标题, a
header with ``{{park}}``, a 红头 paragraph, 公文 A4 margins) and the result is
read back with python-docx.
"""

from __future__ import annotations

import warnings

import docx
import pytest
from click.testing import CliRunner
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Mm, Pt, RGBColor

from parkgis.brief.template import (
    TemplateFieldWarning,
    fill_fields,
    office_template,
    read_style_map,
)
from parkgis.cli import cli

DAY = "2013-06-30"
pytestmark = pytest.mark.filterwarnings("ignore::parkgis.brief.figures.CJKFontWarning")


@pytest.fixture
def office(tmp_path):
    """An office's template: 公文 margins, a 红头, a header with {{park}}, a 密级 footer."""
    doc = docx.Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    title = doc.styles.add_style("公文标题", WD_STYLE_TYPE.PARAGRAPH)
    title.font.size = Pt(22)
    title.font.name = "方正小标宋简体"
    section.header.paragraphs[0].text = "{{park}}管理委员会"
    section.footer.paragraphs[0].text = "密级：{{密级}}"
    red = doc.add_paragraph(style="公文标题")
    run = red.add_run("元坝工业园区管理委员会文件")
    run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)  # the 红头
    line = doc.add_paragraph("{{ti")  # a field split across runs, as Word does
    line.add_run("tle}}（{{date}}）")
    doc.add_paragraph("template text on page 2").paragraph_format.page_break_before = True
    path = tmp_path / "office.docx"
    doc.save(path)
    return path


def brief(*args: str) -> object:
    return CliRunner().invoke(cli, ["brief", "--today", DAY, "--font", "none", *args],
                              catch_exceptions=False)  # fmt: skip


def test_the_briefing_fills_the_office_template(office, tmp_path):
    out = tmp_path / "brief.docx"
    styles = tmp_path / "styles.toml"
    styles.write_text('title = "公文标题"\n', encoding="utf-8")
    result = brief("-o", str(out), "--template", str(office), "--style-map", str(styles),
                   "--template-field", "密级=内部")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = docx.Document(out)
    section = doc.sections[0]
    # The page setup survived: A4, the 公文 margins.
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.left_margin.mm) == 28 and round(section.top_margin.mm) == 37
    # Header and footer kept, their fields filled.
    assert section.header.paragraphs[0].text == "元坝工业园区管理委员会"
    assert section.footer.paragraphs[0].text == "密级：内部"
    paragraphs = doc.paragraphs
    # The first page: the 红头 in the office's style, then the title line, filled.
    assert paragraphs[0].text == "元坝工业园区管理委员会文件"
    assert paragraphs[0].style.name == "公文标题"
    assert paragraphs[1].text == "元坝工业园区土地征收工作简报（2013年6月30日）"
    # The template's later pages are gone; the briefing is in the template's style names.
    texts = [p.text for p in paragraphs]
    assert "template text on page 2" not in texts
    used = {p.style.name for p in paragraphs}
    assert {"Heading 1", "Caption", "List Bullet"} <= used
    assert texts.count("元坝工业园区土地征收工作简报") == 0  # the template carries the title
    assert doc.tables and doc.tables[0].style.name == "Table Grid"
    assert not [t for t in doc.tables if t.rows and "{{" in t.rows[0].cells[0].text]
    # Tables fill the template's own text width (210 - 28 - 26 = 156 mm).
    assert sum(c.width for c in doc.tables[0].columns) == pytest.approx(Mm(156), rel=1e-3)
    assert "{{" not in "".join(texts)


def test_an_unfilled_field_is_reported(office, tmp_path):
    result = brief("-o", str(tmp_path / "b.docx"), "--template", str(office))
    assert result.exit_code == 0
    assert "{{密级}}" in result.stderr and "--template-field 密级=VALUE" in result.stderr
    footer = docx.Document(tmp_path / "b.docx").sections[0].footer.paragraphs[0].text
    assert footer == "密级：{{密级}}"  # left visible, not silently blank


def test_chinese_style_names_are_found_without_a_map(tmp_path):
    doc = docx.Document()
    for name in ("标题 1", "标题 2", "题注"):
        doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    doc.styles["Heading 1"].element.getparent().remove(doc.styles["Heading 1"].element)
    doc.styles["Heading 2"].element.getparent().remove(doc.styles["Heading 2"].element)
    doc.styles["Caption"].element.getparent().remove(doc.styles["Caption"].element)
    path = tmp_path / "zh.docx"
    doc.save(path)
    chosen = office_template(path)
    assert chosen.styles["heading_1"] == "标题 1" and chosen.styles["caption"] == "题注"
    assert chosen.styles["title"] == "Title"


def test_a_style_the_template_lacks_is_an_error_naming_its_styles(office, tmp_path):
    from parkgis.brief import BriefError

    with pytest.raises(BriefError, match=r"no such style.*公文标题"):
        office_template(office, style_map={"heading_1": "一级标题"})
    with pytest.raises(BriefError, match="no part"):
        office_template(office, style_map={"chapter": "公文标题"})


def test_style_map_keys(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('[styles]\ntitle = "公文标题"\n"heading 1" = "一级"\nheading2 = "二级"\n',
                    encoding="utf-8")  # fmt: skip
    assert read_style_map(path) == {"title": "公文标题", "heading_1": "一级", "heading_2": "二级"}


def test_fields_across_runs_keep_the_first_runs_format():
    doc = docx.Document()
    paragraph = doc.add_paragraph()
    paragraph.add_run("{{pa").bold = True
    paragraph.add_run("rk}} and {{x}}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", TemplateFieldWarning)
        left = fill_fields(doc, {"park": "元坝"})
    assert left == ["x"]
    assert paragraph.text == "元坝 and {{x}}"
    assert paragraph.runs[0].text == "元坝" and paragraph.runs[0].bold
