"""``parkgis brief``: land-acquisition briefings as Word, HTML and Markdown.

The bundled Yuanba park gives the report's case (the xx山上台阶地 terrace:
150 + 130 + 120 = 400 mu unacquired, four signed projects waiting for 190 mu,
no land available now); a four-parcel park built here gives figures checkable
by hand (100 m squares in EPSG:4544, 15 mu each).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import warnings
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from docx.shared import Mm

import parkgis
from parkgis.brief import BriefError, brief_content, write_brief
from parkgis.brief.content import PARK_FIGURES, format_number
from parkgis.brief.figures import FONT_ENV, CJKFontWarning, choose_font, find_cjk_font
from parkgis.brief.markdown import assets_folder, escape_markdown
from parkgis.cli import cli
from parkgis.errors import DataError
from parkgis.io.store import write_park
from parkgis.measure.units import SQM_PER_MU
from parkgis.model.park import Manifest, Park
from parkgis.model.schema import field_label
from tests.conftest import GK_X, GK_Y, gk_square, missing_part

# Where no CJK font is installed the pictures fall back to English with a warning; the
# tests of that fallback record it themselves.
pytestmark = pytest.mark.filterwarnings("ignore::parkgis.brief.figures.CJKFontWarning")

DAY = dt.date(2013, 6, 30)
TERRACE = "xx山上台阶地"
PRIVATE_VALUES = ("张某某", "李某某", "5108xxxxxxxxxxxx01", "owner_name", "owner_id")
EVIL = "<script>alert(1)</script>{{ 7*7 }}"


def run(*args: str, ok: tuple[int, ...] = (0,)):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in ok, result.output
    return result


# --------------------------------------------------------------------------- helpers


def items(document) -> list[tuple[str, str, object]]:
    """Body in order: ("p", style, text) and ("table", caption, rows of cell texts)."""
    out: list[tuple[str, str, object]] = []
    caption = ""
    paragraphs = {p._p: p for p in document.paragraphs}
    tables = {t._tbl: t for t in document.tables}
    for element in document.element.body.iterchildren():
        if element in paragraphs:
            p = paragraphs[element]
            out.append(("p", p.style.name, p.text))
            if p.style.name == "Caption":
                caption = p.text
        elif element in tables:
            rows = [[c.text for c in r.cells] for r in tables[element].rows]
            out.append(("table", caption, rows))
    return out


def table(document, caption_part: str) -> list[list[str]]:
    found = [rows for kind, cap, rows in items(document) if kind == "table" and caption_part in cap]
    assert len(found) == 1, [cap for kind, cap, _ in items(document) if kind == "table"]
    return found[0]  # type: ignore[return-value]


def headings(document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


def docx_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(
            z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")
        )


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.parts.append(data)


def html_text(source: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(source)
    return "".join(parser.parts), parser.tags


def markdown_html(source: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(source)


# --------------------------------------------------------------------------- parks


def hand_park(*, name: str = "甲地块", compensation: object = None, dates: bool = True) -> Park:
    """Four 100 m squares (≈15 mu): A acquired, B and C unacquired, D supplied to P1.

    Zones 东区 (A, B) and 西区 (C, D). P1 (signed, 15 mu) holds D; P2 (signed, 20 mu)
    waits: available 15 mu (A), demand 20 mu, shortfall 5 mu.
    """
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C", "D"],
            "name": [name, "乙地块", "丙地块", "丁地块"],
            "zone": ["东区", "东区", "西区", "西区"],
            "acquisition_status": ["acquired", "unacquired", "unacquired", "supplied"],
            "acquisition_step": [None, "survey", None, None],
            "expected_acquisition": [None, "2013-12-31", "2014-03-31", None],
            "status_date": ["2013-01-01", "2013-05-01", None, "2012-01-01"]
            if dates
            else [None] * 4,
            "title_status": [None, None, None, "issued"],
            "owner_name": ["张某某", "李某某", None, None],
        },
        geometry=[gk_square(GK_X + i * 120, GK_Y, 100) for i in range(4)],
        crs="EPSG:4544",
    )
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P2"],
            "name": ["一号项目", "二号项目"],
            "company": ["甲公司", "乙公司"],
            "stage": ["signed", "signed"],
            "land_demand_mu": [15.0, 20.0],
            "funding_status": ["in_place", "missing"],
            "parcel_ids": ["D", None],
        }
    )
    settings = {} if compensation is None else {"compensation_wan_per_mu": compensation}
    return Park(
        manifest=Manifest(
            name="hand", title="测试园区", private_fields=("owner_name",), settings=settings
        ),
        parcels=parcels,
        projects=projects,
    )


@pytest.fixture(scope="module")
def yuanba() -> Park:
    return parkgis.read_park()


@pytest.fixture(scope="module")
def terrace_docx(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("terrace") / "terrace.docx"
    run("brief", "--zone", TERRACE, "--today", DAY.isoformat(), "-o", str(path))
    return path


@pytest.fixture(scope="module")
def park_docx(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("park") / "yuanba.docx"
    run("brief", "--today", DAY.isoformat(), "--atlas", "-o", str(path))
    return path


# --------------------------------------------------------------------------- the docx


def test_docx_has_headings_in_word_styles(terrace_docx):
    document = docx.Document(str(terrace_docx))
    assert headings(document, "Title") == [f"元坝工业园区 {TERRACE} 土地征收工作简报"]
    assert headings(document, "Heading 1") == [
        "主要数据", "地块图", "范围内地块", "待落地项目", "风险提示", "征收补偿费用估算", "说明",
        "附录: 数据与方法",
    ]  # fmt: skip
    assert "批而未征、征而未供、供而未用" in headings(document, "Heading 2")
    captions = headings(document, "Caption")
    assert captions[0].startswith("表1 ") and any(c.startswith("图1 ") for c in captions)
    assert {t.style.name for t in document.tables} == {"Table Grid"}


def test_docx_parcel_table_has_one_row_per_parcel_in_scope(terrace_docx, park_docx, yuanba):
    rows = table(docx.Document(str(terrace_docx)), "范围内地块")
    assert rows[0] == ["地块编号", "名称", "面积(亩)", "征收状态(环节)", "滞留天数", "项目", "权证"]
    assert [r[0] for r in rows[1:]] == ["YB-R-01", "YB-R-02", "YB-R-03"]
    assert [r[2] for r in rows[1:]] == ["150.00", "130.00", "120.00"]
    assert {r[3] for r in rows[1:]} == {"未征收 (现状调查)"}
    whole = table(docx.Document(str(park_docx)), "范围内地块")
    assert [r[0] for r in whole[1:]] == yuanba.parcels["parcel_id"].tolist()


def test_key_figures_are_those_of_parkgis_reserve(terrace_docx):
    document = docx.Document(str(terrace_docx))
    printed = dict(map(tuple, table(document, "全园区土地储备与缺口")[1:]))
    reserve = json.loads(run("reserve", "--as-of", DAY.isoformat(), "--format", "json").output)
    assert len(printed) == len(PARK_FIGURES)
    for key in PARK_FIGURES:
        assert printed[field_label(key, "zh")] == f"{reserve[key]:,.2f}", key
    assert printed["缺口(亩)"] == "190.00"
    # The quarterly table is parkgis reserve --as-of, number for number.
    as_of = json.loads(run("reserve", "--as-of", DAY.isoformat(), "--format", "json").output)
    quarters = table(document, "按季度土地供需")
    assert [r[0] for r in quarters[1:]] == [q["quarter"] for q in as_of["by_quarter"]]
    assert [r[-1] for r in quarters[1:]] == [
        f"{q['shortfall_mu']:,.2f}" for q in as_of["by_quarter"]
    ]
    # And the targets table is parkgis targets --today.
    targets = json.loads(run("targets", "--today", DAY.isoformat(), "--format", "json").output)
    rows = table(document, "目标任务进度")[1:]
    assert [r[0] for r in rows] == [t["metric"] for t in targets["targets"]]
    assert [r[4] for r in rows] == [
        "—" if t["pct"] is None else f"{t['pct']:,.1f}" for t in targets["targets"]
    ]
    assert rows[0][4] == "91.0"


def test_terrace_briefing_shows_unacquired_waiting_and_shortfall(terrace_docx):
    """The report: ~700 mu unacquired, 400 of them on the terrace; signed projects wait."""
    document = docx.Document(str(terrace_docx))
    scope = dict(map(tuple, table(document, "范围内土地")[1:]))
    assert scope["未征收(亩)"] == "400.00"
    assert scope["待征收(未征收+征收中)(亩)"] == "400.00"
    # Net buildable, less the 110 kV corridor on YB-R-03: reserve, not land available now.
    assert scope["范围内未征收储备(净可建面积)(亩)"] == "394.65"
    assert scope["范围内现有可用地(已征收或已平整、未分配的净可建面积)(亩)"] == "0.00"
    assert scope["范围内逾期未征收(亩)"] == "0.00"
    waiting = table(document, "待落地签约项目")
    assert [(r[0], r[-1]) for r in waiting[1:]] == [
        ("P21", "40.00"), ("P22", "60.00"), ("P23", "80.00"), ("P24", "10.00"),
    ]  # fmt: skip
    text = "\n".join(p.text for p in document.paragraphs)
    assert (
        "4 个签约项目尚需用地: 签约项目用地需求 190.00 亩; 现有可用地 0.00 亩, 缺口 190.00 亩。"
    ) in text
    assert "按尚未到期的预计征收日期, 缺口在 2014Q1 消除。" in text
    assert "若范围内待征收土地全部征收完成: 征收后可用地 394.65 亩, 征收后缺口 0.00 亩, " in text
    scenario = dict(map(tuple, table(document, "情景测算")[1:]))
    assert scenario == {"征收后可用地(亩)": "394.65", "征收后缺口(亩)": "0.00",
                        "征收后富余(亩)": "204.65"}  # fmt: skip
    cost = table(document, "征收补偿费用估算")
    assert cost[1] == [TERRACE, "3", "400.00", "4.00", "1,600.00"]  # 400 mu × 4.0 万元/亩
    assert cost[-1][-1] == "1,600.00"


def test_docx_embeds_the_map_as_a_png_within_the_text_width(terrace_docx):
    document = docx.Document(str(terrace_docx))
    shapes = document.inline_shapes
    assert len(shapes) >= 1
    for shape in shapes:
        blip = shape._inline.graphic.graphicData.pic.blipFill.blip
        blob = document.part.related_parts[blip.embed].blob
        assert blob[:8] == b"\x89PNG\r\n\x1a\n"
        assert shape.width <= Mm(170) + 1
    assert any("地块征收状态图" in c for c in headings(document, "Caption"))


def test_docx_is_a4_portrait_and_tables_fit_the_text_width(park_docx):
    document = docx.Document(str(park_docx))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    text_width = section.page_width - section.left_margin - section.right_margin
    assert text_width == pytest.approx(Mm(170), abs=Mm(0.1))
    for t in document.tables:
        widths = [c.width for c in t.columns]
        assert sum(widths) <= text_width + Mm(0.5)
        assert t._tbl.tblPr.xml.count('w:type="fixed"') == 1


def test_atlas_has_one_page_per_parcel(park_docx, yuanba):
    document = docx.Document(str(park_docx))
    ids = yuanba.parcels["parcel_id"].tolist()
    second = [p for p in document.paragraphs if p.style.name == "Heading 2"]
    atlas = second[-len(ids) - 2 : -2]  # the appendix ends on its two sections
    assert [p.text.split()[0] for p in atlas] == ids
    assert all(p.paragraph_format.page_break_before for p in atlas[1:])
    assert len(document.inline_shapes) >= 4 + len(ids)  # map, 3 charts, one map per parcel
    attributes = dict(map(tuple, table(document, "YB-R-01 属性")[1:]))
    assert attributes["测量面积(亩)"] == "150.00"
    assert attributes["征收环节"] == "现状调查"


# --------------------------------------------------------------------------- privacy


@pytest.mark.parametrize("suffix", [".docx", ".html", ".md"])
def test_private_fields_never_appear_unless_asked(tmp_path, suffix):
    path = tmp_path / f"b{suffix}"
    run("brief", "--today", DAY.isoformat(), "--atlas", "-o", str(path))
    text = docx_xml(path) if suffix == ".docx" else path.read_text("utf-8")
    assert not [v for v in PRIVATE_VALUES if v in text]
    shown = tmp_path / f"shown{suffix}"
    run(
        "brief",
        "--zone",
        TERRACE,
        "--today",
        DAY.isoformat(),
        "--include-private",
        "-o",
        str(shown),
    )
    text = docx_xml(shown) if suffix == ".docx" else shown.read_text("utf-8")
    assert "张某某" in text and "5108xxxxxxxxxxxx01" in text


def test_private_text_fields_of_projects_are_blanked(tmp_path):
    park = hand_park()
    park = park.replace(manifest=Manifest("hand", "测试园区", ("owner_name", "company")))
    b = brief_content(park, today=DAY)
    html = (write_brief(b, tmp_path / "b.html", font="none")).read_text("utf-8")
    assert "乙公司" not in html and "张某某" not in html
    full = brief_content(hand_park(), today=DAY)
    assert [f.value for f in b.key_figures] == [f.value for f in full.key_figures]
    shown = brief_content(park, today=DAY, include_private=True)
    assert shown.projects_waiting[0]["company"] == "乙公司"


# --------------------------------------------------------------------------- user text


def test_user_text_appears_literally_in_every_format(tmp_path):
    b = brief_content(hand_park(name=EVIL), today=DAY, atlas=True)
    with pytest.warns(CJKFontWarning):
        html = write_brief(b, tmp_path / "b.html", font="none").read_text("utf-8")
    text, tags = html_text(html)
    assert EVIL in text and "script" not in tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in html

    with pytest.warns(CJKFontWarning):
        md = write_brief(b, tmp_path / "b.md", font="none").read_text("utf-8")
    rendered = markdown_html(md)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in rendered
    assert "<script" not in rendered and "{{ 7*7 }}" in rendered

    with pytest.warns(CJKFontWarning):
        path = write_brief(b, tmp_path / "b.docx", font="none")
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    assert EVIL in cells
    assert "&lt;script&gt;" in docx_xml(path) and "<script>" not in docx_xml(path)


# --------------------------------------------------------------------------- figures by hand


def test_hand_park_figures(tmp_path):
    b = brief_content(hand_park(compensation={"东区": 4.0}), today=DAY)
    figures = {f.key: f.value for f in b.key_figures}
    mu = 10_000 / SQM_PER_MU  # a 100 m square: 15 mu (less 0.02 % of Gauss-Kruger scale)
    assert figures["available_mu"] == pytest.approx(mu, rel=1e-3)
    assert figures["demand_mu"] == 20.0
    assert figures["shortfall_mu"] == pytest.approx(20.0 - mu, rel=1e-3)
    assert figures["to_acquire_mu"] == pytest.approx(2 * mu, rel=1e-3)
    assert [p["project_id"] for p in b.projects_waiting] == ["P2"]
    # Cost: 东区 has B (15 mu × 4.0 = 60 万元); 西区 has C and no rate: listed, not summed.
    lines = {line.zone: line for line in b.cost.lines}
    assert lines["东区"].cost_wan == pytest.approx(60.0, rel=1e-3)
    assert lines["西区"].rate_wan_per_mu is None and lines["西区"].cost_wan is None
    assert b.cost.total_wan == pytest.approx(60.0, rel=1e-3)
    assert b.cost.missing_zones == ("西区",)
    single = brief_content(hand_park(compensation=5), today=DAY).cost
    assert single.total_wan == pytest.approx(2 * mu * 5, rel=1e-3)


def test_cost_without_rates_or_with_a_bad_rate():
    assert brief_content(hand_park(), today=DAY).cost is None
    with pytest.raises(DataError, match=r"compensation_wan_per_mu\.东区 = '四万'"):
        brief_content(hand_park(compensation={"东区": "四万"}), today=DAY)


def test_days_in_stage_come_from_status_date_as_gaps_counts_them():
    park = hand_park()
    b = brief_content(park, today=DAY)
    days = {r.parcel_id: r.days_in_stage for r in b.parcels}
    assert days == {"A": 180, "B": 60, "C": None, "D": 546}  # 2013-01-01 → 2013-06-30: 180
    gaps = parkgis.gaps_table(park, today=DAY)
    for row in gaps.itertuples():
        assert days[row.parcel_id] == row.days_in_stage
    assert any("1 个地块没有状态日期" in n for n in b.notes)


def test_risks_are_split_into_scope_and_elsewhere():
    b = brief_content(hand_park(), today=DAY, zone="东区")
    kinds = {(r.kind, r.in_scope) for r in b.risks}
    assert ("funds", False) in kinds  # P2's funds are missing; it holds no land in 东区
    assert ("idle", False) in kinds  # D: supplied 2012-01-01, P1 only signed
    whole = brief_content(hand_park(), today=DAY)
    assert all(r.in_scope for r in whole.risks)
    gaps = {g.gap: g for g in whole.gaps}
    assert gaps["acquired_not_supplied"].parcel_ids == ("A",)
    assert gaps["supplied_not_built"].max_days == 546


def test_overdue_acquisition_is_a_risk():
    b = brief_content(hand_park(), today=dt.date(2014, 1, 15))
    overdue = [r for r in b.risks if r.kind == "overdue"]
    assert [r.parcel_ids for r in overdue] == [("B",)]


def test_enforcement_patches_add_findings(yuanba):
    patches = parkgis.illustrative_patches(yuanba)
    b = brief_content(yuanba, today=DAY, project="P13", patches=patches)
    assert b.scope.parcel_ids == ("YB-E-06",)
    found = [r for r in b.risks if r.in_scope]
    assert {r.kind for r in found} >= {"building_without_title", "no_title", "funds"}
    assert b.patches_checked


# --------------------------------------------------------------------------- scope


def test_scope_errors_name_the_way_out(yuanba):
    with pytest.raises(
        BriefError, match="zone '东山' is not a zone of park 'yuanba'; zones: xx山上台阶地, 傅家店"
    ):
        brief_content(yuanba, today=DAY, zone="东山")
    with pytest.raises(BriefError, match=r"parcel id.* YB-X-99 are not in park"):
        brief_content(yuanba, today=DAY, parcels="YB-R-01,YB-X-99")
    with pytest.raises(BriefError, match="project 'P99' is not in park"):
        brief_content(yuanba, today=DAY, project="P99")
    with pytest.raises(BriefError, match="not zone and project"):
        brief_content(yuanba, today=DAY, zone=TERRACE, project="P21")
    result = run("brief", "--zone", TERRACE, "--project", "P21", ok=(2,))
    assert "give one of --zone, --parcels, --project" in result.output
    result = run("brief", "--zone", "东山", "-o", "x.docx", ok=(1,))
    assert "zone '东山'" in result.output


def test_parcel_and_project_scopes(yuanba):
    b = brief_content(yuanba, today=DAY, parcels="YB-R-04，YB-R-05")
    assert b.scope.parcel_ids == ("YB-R-04", "YB-R-05")
    assert b.cost.lines[0].cost_wan == pytest.approx(180 * 5.0, rel=1e-4)  # 傅家店 5.0 万元/亩
    waiting = brief_content(yuanba, today=DAY, project="P21")
    assert waiting.scope.parcel_ids == ()
    assert any("P21 尚未持有地块, 尚需用地 40.00 亩" in n for n in waiting.notes)


def test_english_briefing(tmp_path):
    path = tmp_path / "en.docx"
    run("brief", "--zone", TERRACE, "--today", DAY.isoformat(), "--lang", "en", "-o", str(path))
    document = docx.Document(str(path))
    assert headings(document, "Heading 1")[:3] == ["Key figures", "Map", "Parcels in scope"]
    printed = dict(map(tuple, table(document, "Park land reserve and shortfall")[1:]))
    assert printed["Shortfall (mu)"] == "190.00"


# --------------------------------------------------------------------------- changes


def test_since_another_park_lists_status_changes(tmp_path):
    before = hand_park()
    after = before.parcels.copy()
    after.loc[after["parcel_id"] == "B", "acquisition_status"] = "acquiring"
    after.loc[after["parcel_id"] == "C", "acquisition_step"] = "pre_notice"
    after = after[after["parcel_id"] != "D"]
    old, new = tmp_path / "old", tmp_path / "new"
    write_park(before, old)
    # D is gone, so P1 no longer names it (a project naming a missing parcel is refused).
    write_park(before.replace(parcels=after, projects=before.projects.assign(parcel_ids=None)), new)
    out = tmp_path / "changes.md"
    run("brief", str(new), "--since", str(old), "--today", DAY.isoformat(), "-o", str(out),
        "--font", "none")  # fmt: skip
    md = out.read_text("utf-8")
    assert escape_markdown(f"与 {old} 相比", line_start=True) in md
    changes = md[md.index("地块状态变化") :]
    rows = [line for line in changes.splitlines() if line.startswith("| ")][1:4]
    assert rows == [
        "| B | 乙地块 | 状态变化 | 未征收 | 征收中 |  |",
        "| C | 丙地块 | 环节变化 |  | 预公告 |  |",
        "| D | 丁地块 | 地块已删除 | 已供地 |  |  |",
    ]


def test_since_a_date_reads_status_dates_or_explains_what_is_missing():
    b = brief_content(hand_park(), today=DAY, since_date=dt.date(2013, 3, 1))
    assert [(c.parcel_id, c.after, c.changed_on) for c in b.changes.rows] == [
        ("B", "unacquired", dt.date(2013, 5, 1))
    ]
    assert b.changes.unchecked == 1  # C has no status date
    with pytest.raises(DataError, match=r"no status change in its event log"):
        brief_content(hand_park(dates=False), today=DAY, since_date=dt.date(2013, 3, 1))
    result = run("brief", "--since", "2013-01-01", "--today", DAY.isoformat(), ok=(1,))
    assert "parkgis status set" in result.output
    result = run("brief", "--since", "no-such-thing", ok=(2,))
    assert "neither a date" in result.output


# --------------------------------------------------------------------------- fonts


def test_a_cjk_font_is_found_and_used():
    if find_cjk_font() is None:
        missing_part("no CJK font is installed (Debian: apt-get install fonts-noto-cjk)")
    choice = choose_font("zh")
    assert choice.cjk and choice.lang == "zh"


def test_without_a_cjk_font_one_warning_and_english_labels(tmp_path, monkeypatch, yuanba):
    monkeypatch.setenv(FONT_ENV, "none")
    b = brief_content(yuanba, today=DAY, zone=TERRACE, atlas=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = write_brief(b, tmp_path / "b.docx")
    # One warning for the whole briefing, and no "Glyph … missing" from matplotlib:
    # every label the pictures draw could be drawn (English, ids, numbers).
    assert [type(w.message) for w in caught] == [CJKFontWarning]
    assert "fonts-noto-cjk" in str(caught[0].message)
    assert len(docx.Document(str(path)).inline_shapes) == 4 + 3  # map, 3 charts, atlas
    with pytest.warns(CJKFontWarning):
        assert choose_font("zh", font="No Such Font").lang == "en"


def test_pictures_are_the_same_bytes_each_time(tmp_path, yuanba):
    from parkgis.brief.figures import render_figures

    b = brief_content(yuanba, today=DAY, zone=TERRACE)
    keys = ["map", "status_chart", "quarter_chart", "target_chart", "atlas:YB-R-03"]
    assert render_figures(b, keys, font="none" if not find_cjk_font() else "auto") == (
        render_figures(b, keys, font="none" if not find_cjk_font() else "auto")
    )


# --------------------------------------------------------------------------- map data


def test_map_is_drawn_in_the_local_gauss_kruger_zone(yuanba):
    b = brief_content(yuanba, today=DAY, zone=TERRACE)
    assert b.map.crs == "EPSG:4544"  # CM 105E holds 105.96E
    planar = b.map.parcels.geometry.area / SQM_PER_MU
    measured = parkgis.gross_area_mu(yuanba.parcels).to_numpy()
    assert planar.to_numpy() == pytest.approx(measured, rel=5e-4)  # GK scale, 0.96° off CM
    # East of the central meridian true north lies west of grid north, by the convergence
    # 0.96° × sin 32.32° ≈ 0.513°.
    assert b.map.north_deg == pytest.approx(-0.513, abs=0.01)
    assert b.map.parcels["in_scope"].sum() == 3
    assert sorted(b.map.corridors["kind"]) == ["hv_line", "river"]


# --------------------------------------------------------------------------- files


def test_markdown_links_its_pictures(tmp_path, yuanba):
    b = brief_content(yuanba, today=DAY, zone=TERRACE)
    path = write_brief(b, tmp_path / "t.md")
    md = path.read_text("utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(links) == 4
    for link in links:
        assert (tmp_path / link).read_bytes()[:4] == b"\x89PNG"
    assert assets_folder(path) == tmp_path / "t_files"
    assert "| YB-R-01 | xx山上台阶地一号 | 150.00 |" in md


def test_default_output_path_and_atomic_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("brief", "--zone", TERRACE, "--today", DAY.isoformat())
    target = Path("briefings") / f"yuanba-{TERRACE}.docx"
    assert result.output.strip() == str(target)
    assert target.is_file()
    run("brief", "--zone", TERRACE, "--today", DAY.isoformat())
    assert sorted(p.name for p in Path("briefings").iterdir()) == [target.name]


def test_unknown_suffix_is_refused(tmp_path, yuanba):
    b = brief_content(yuanba, today=DAY, zone=TERRACE)
    with pytest.raises(BriefError, match=r"name it \.docx, \.pdf, \.html or \.md"):
        write_brief(b, tmp_path / "b.rtf")
    assert not list(tmp_path.iterdir())


def test_html_is_self_contained_and_prints_on_a4(tmp_path, yuanba):
    b = brief_content(yuanba, today=DAY, zone=TERRACE)
    html = write_brief(b, tmp_path / "t.html").read_text("utf-8")
    assert "@page { size: A4;" in html
    assert html.count('src="data:image/png;base64,') == 4
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    text, _ = html_text(html)
    assert "元坝工业园区" in text and "394.65" in text


def test_importing_parkgis_loads_no_docx_or_matplotlib():
    code = (
        "import sys, parkgis, parkgis.brief\n"
        "parkgis.brief_content, parkgis.write_brief\n"
        "print(','.join(m for m in ('docx', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_format_number_matches_the_cli():
    assert format_number(1599.9997345900056) == "1,600.00"
    assert format_number(56.0, decimals=1) == "56.0"


# --------------------------------------------------------------------------- honest words
#
# The bundled park's reserve (YB-R-01 … 06, 694.65 mu net) is expected between 2013-12-31
# and 2014-09-30. On 2026-12-01 all of it is overdue: it is shown as overdue and the
# shortfall of 190 mu is never called closed. On 2013-06-30 (the report's date) the dates
# lie ahead and the shortfall closes in 2014Q1.

TODAY = dt.date(2026, 12, 1)
_FIGURE = re.compile(r"(\d[\d,]*\.\d\d) (亩|mu)")


@pytest.fixture(scope="module", params=[TODAY, DAY], ids=["2026-12-01", "2013-06-30"])
def written(request, tmp_path_factory, yuanba) -> tuple[dt.date, Path, Path]:
    """The whole park's briefing on that day, as Markdown and as Word."""
    folder = tmp_path_factory.mktemp(f"honest-{request.param.isoformat()}")
    b = brief_content(yuanba, today=request.param)
    return request.param, write_brief(b, folder / "b.md"), write_brief(b, folder / "b.docx")


def _md_parts(path: Path) -> tuple[list[str], dict[str, str], str, str]:
    """Paragraphs, the (label, value) rows of two-column tables, body and appendix text."""
    md = path.read_text("utf-8")
    body, _, appendix = md.partition("## 附录: 数据与方法")
    paragraphs, figures = [], {}
    for block in body.split("\n\n"):
        if block.startswith("|"):
            for line in block.splitlines()[2:]:
                cells = [c.strip().replace("\\", "") for c in line.strip("|").split("|")]
                if len(cells) == 2:
                    figures[cells[0]] = cells[1]
        elif not block.startswith(("#", "!", "**", "- ", "*")):
            paragraphs.append(block.replace("\\", ""))
    return paragraphs, figures, body, appendix


def _docx_parts(path: Path) -> tuple[list[str], dict[str, str], str, str]:
    document = docx.Document(str(path))
    paragraphs, figures, body, appendix, after = [], {}, [], [], False
    for kind, style, content in items(document):
        if kind == "p" and style == "Heading 1" and content == "附录: 数据与方法":
            after = True
        texts = [content] if kind == "p" else [" ".join(r) for r in content]  # type: ignore[union-attr]
        (appendix if after else body).extend(texts)
        if after:
            continue
        if kind == "table":
            figures.update({r[0]: r[1] for r in content if len(r) == 2})  # type: ignore[union-attr]
        elif style == "Normal" and content:
            paragraphs.append(content)
    return paragraphs, figures, "\n".join(body), "\n".join(appendix)


def _stated(paragraphs: list[str], figures: dict[str, str]) -> list[tuple[str, str]]:
    """Every mu figure a sentence states, with the table label that names it.

    A figure must come right after the label of a table row (without its unit), and
    must be that row's value: a sentence may not state a number the tables do not show.
    """
    names = {label.removesuffix("(亩)").removesuffix(" (mu)"): label for label in figures}
    stated = []
    for text in paragraphs:
        for match in _FIGURE.finditer(text):
            before = text[: match.start()].rstrip()
            fits = [n for n in names if before.endswith(n)]
            assert fits, f"{match[0]!r} in {text!r} is not named as a table names it"
            label = names[max(fits, key=len)]
            assert figures[label] == match[1], (text, label, figures[label])
            stated.append((label, match[1]))
    return stated


@pytest.mark.parametrize("parts", [_md_parts, _docx_parts], ids=["md", "docx"])
def test_every_figure_a_sentence_states_is_the_table_figure_of_that_name(written, parts):
    day, md, word = written
    paragraphs, figures, _, _ = parts(md if parts is _md_parts else word)
    stated = _stated(paragraphs, figures)
    reserve = json.loads(run("reserve", "--as-of", day.isoformat(), "--format", "json").output)
    by_label = {field_label(key, "zh"): key for key in PARK_FIGURES}
    for label, value in stated:
        if label in by_label:
            assert value == format_number(reserve[by_label[label]]), label
    expected = {
        TODAY: [
            ("签约项目用地需求(亩)", "190.00"), ("现有可用地(亩)", "0.00"), ("缺口(亩)", "190.00"),
            ("按未过期预计日期计入后缺口(亩)", "190.00"), ("逾期未征收·不计入(亩)", "694.65"),
        ],
        DAY: [
            ("签约项目用地需求(亩)", "190.00"), ("现有可用地(亩)", "0.00"), ("缺口(亩)", "190.00"),
        ],
    }  # fmt: skip
    assert stated == expected[day]


def test_overdue_reserve_is_shown_as_overdue_and_the_shortfall_never_closed(written):
    day, md, _ = written
    paragraphs, figures, body, _ = _md_parts(md)
    text = "\n".join(paragraphs)
    quarters = [line for line in body.splitlines() if re.match(r"\| 20\d\dQ\d ", line)]
    if day == TODAY:
        assert "消除。" not in text.replace("未消除", "")
        assert "至 2026Q4 缺口仍未消除" in text
        assert "原定 2013-12-31 至 2014-09-30 完成征收, 日期已过仍未征收" in text
        assert figures["逾期未征收·不计入(亩)"] == "694.65"
        # Quarter, new pipeline, new reserve, overdue, supply, demand, shortfall.
        assert quarters == ["| 2026Q4 | 0.00 | 0.00 | 694.65 | 0.00 | 190.00 | 190.00 |"]
    else:
        assert "按尚未到期的预计征收日期, 缺口在 2014Q1 消除。" in text
        assert "逾期" not in text
        assert [q.split(" | ")[4] for q in quarters] == [
            "0.00", "0.00", "150.00", "394.65", "574.65", "694.65"
        ]  # fmt: skip


def test_the_quarter_chart_draws_the_timeline_figures(yuanba):
    from parkgis.brief.figures import quarter_series

    series = quarter_series(brief_content(yuanba, today=TODAY, zone=TERRACE))
    assert series["quarter"] == ["2026Q4"]
    assert series["supply_mu"] == [0.0]  # overdue land is not drawn as supply
    assert series["shortfall_mu"] == [190.0]
    assert [round(v, 2) for v in series["overdue_mu"]] == [694.65]
    then = quarter_series(brief_content(yuanba, today=DAY, zone=TERRACE))
    assert [round(v, 2) for v in then["supply_mu"]] == [0, 0, 150, 394.65, 574.65, 694.65]
    assert then["overdue_mu"] == [0.0] * 6


@pytest.mark.parametrize("parts", [_md_parts, _docx_parts], ids=["md", "docx"])
def test_command_lines_only_in_the_appendix(written, parts):
    day, md, word = written
    _, _, body, appendix = parts(md if parts is _md_parts else word)
    assert "parkgis" not in body
    assert not re.search(r"--[a-z]", body.replace("|---", ""))
    assert "park.toml" not in body and "status_date" not in body.replace("\\_", "_")
    plain = appendix.replace("\\", "")
    assert f"parkgis reserve --as-of {day.isoformat()}" in plain
    assert f"parkgis targets --today {day.isoformat()}" in plain
    assert "逾期, 没有可以依靠的日期, 不计入" in plain


def test_english_sentences_name_their_figures(tmp_path, yuanba):
    b = brief_content(yuanba, today=TODAY, lang="en")
    md = write_brief(b, tmp_path / "en.md").read_text("utf-8")
    body = md.partition("## Appendix: data and method")[0].replace("\\", "")
    assert "Overdue, not counted 694.65 mu: it was to be acquired between 2013-12-31 and " in body
    assert "the shortfall is not closed by 2026Q4: Shortfall counting land" in body
    assert "parkgis" not in body
