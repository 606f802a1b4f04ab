"""The bundled sample park: 元坝工业园区, from its first-half work report.

:func:`build_yuanba` returns the park as a :class:`~parkgis.model.park.Park`
value. Its names, areas, stages and figures follow the report
(``shared/source/000_03c0617e8ed61f37.txt``, 工业园区xx年上半年工作总结); its
geometry is illustrative, since the report gives no coordinates. Whatever the
report leaves blank is an assumption, listed with its reason in
``data/parcels/yuanba.md`` (which gives the report's line for every
figure taken from it) and marked ``假设`` in the notes.

From the report (line in the source file): the ten first-half sites and their
mu, 536 in all, as 可供建设用地 — buildable land made available, not said to
be supplied (24); 大汉科技, 香香嘴, 丰田4S店 and 雨润 listed and sold (26); ~700 mu
unacquired at three places and no other land (34); the stages, title and
funding troubles of the named projects (24–28, 36–38); the targets and their
actuals (20–22, 34). Assumptions of the sample, not the report's: the year
(2013), the other seven first-half sites being supplied (已供地), the areas of the
sites the report does not measure, the split of the ~700 mu, the reserve's
expected acquisition dates (2013-12-31 … 2014-09-30), the land demand of the
projects still without land (佳龙工艺品 40, 佳南木制品 60, 清洁能源汽车改装 80,
标准化厂房 10: 190 mu, hence the shortfall), the investments and signing day of
the second-quarter batch, the 110 kV line and river with their setbacks, the
compensation rates and the owners (placeholders).

Each parcel is drawn in a GRS80 Lambert azimuthal equal-area CRS centred on
105.96E 32.32N, where planar area is ellipsoidal area, sized there to its
area in mu, then transformed to CGCS2000 (EPSG:4490) and rounded to 8
decimals (about 1 mm). Parcels are convex and kept apart by road strips, so
none overlap and their union encloses no hole.

Pure: no files, no clock; two builds are equal.

Examples
--------
>>> park = build_yuanba()
>>> park.manifest.title
'元坝工业园区'
>>> int(park.parcels["parcel_id"].str.startswith("YB-H1-").sum())
10
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, Polygon

from parkgis.measure.crs import CGCS2000
from parkgis.measure.units import SQM_PER_MU
from parkgis.model.park import Manifest, Park
from parkgis.model.schema import TABLES

__all__ = ["INTENDED_AREA_MU", "REPORT_YEAR", "build_yuanba"]

REPORT_YEAR = 2013
"""The report's year, which it leaves blank ("xx年"): an assumption (see README)."""

_LAEA = "+proj=laea +lat_0=32.32 +lon_0=105.96 +ellps=GRS80 +units=m +no_defs"
_DECIMALS = 8
_ROAD_M = 15.0

_H1 = "新增开发区"  # zone of the ten first-half sites (name assumed)
_BUILT = "已建成区"  # zone of the other projects' sites (name assumed)
_TERRACE = "xx山上台阶地"
_FUJIADIAN = "傅家店"
_SHANQING = "山清米业旁"

_Q2_SIGNING = f"{REPORT_YEAR}-06-28"  # 二季度集中签约: the day is an assumption

# fmt: off
# Parcels: id, name, zone, land use, status, step, area in mu, declared in the
# report?, project, title status, expected acquisition, notes.
_PARCELS: tuple[tuple[Any, ...], ...] = (
    ("YB-H1-01", "香香嘴食品地块", _H1, "industrial", "sold", None, 65, True, "P01", None, None,
     "上半年新增可供建设用地;报告:香香嘴有限公司65亩;土地已挂牌出让摘牌;正在进行场地平整"),
    ("YB-H1-02", "蜀丰酒业地块", _H1, "industrial", "supplied", None, 30, True, "P02", None, None,
     "上半年新增可供建设用地;报告:蜀丰酒业30亩;供地状态按'可供建设用地'理解(假设)"),
    ("YB-H1-03", "大汉科技地块", _H1, "industrial", "sold", None, 45, True, "P03", None, None,
     "上半年新增可供建设用地;报告:大汉科技45亩;土地已挂牌出让摘牌;正在进行基础建设"),
    ("YB-H1-04", "省粮库仓储地块", _H1, "storage", "supplied", None, 26, True, "P04", None, None,
     "上半年新增可供建设用地;报告:省粮库仓储项目26亩;供地状态按'可供建设用地'理解(假设)"),
    ("YB-H1-05", "丰田4S店地块", _H1, "commercial", "sold", None, 15, True, "P05", None, None,
     "上半年新增可供建设用地;报告:丰田4s店项目15亩;土地已挂牌出让摘牌;已完成线外地征收、"
     "高压线路搬迁,正在进行场地平整"),
    ("YB-H1-06", "胜利加气站地块", _H1, "commercial", "supplied", None, 25, True, "P06", None, None,
     "上半年新增可供建设用地;报告:胜利加气站25亩;供地状态按'可供建设用地'理解(假设)"),
    ("YB-H1-07", "星荣焦化地块", _H1, "industrial", "supplied", None, 60, True, "P07", None, None,
     "上半年新增可供建设用地;报告:星荣焦化60亩;供地状态按'可供建设用地'理解(假设)"),
    ("YB-H1-08", "光华重介洗选地块", _H1, "industrial", "supplied", None, 30, True, "P08", None,
     None, "上半年新增可供建设用地;报告:光华重介洗选项目30亩;供地状态按'可供建设用地'理解(假设)"),
    ("YB-H1-09", "北京现代4S店地块", _H1, "commercial", "supplied", None, 20, True, "P09", None,
     None, "上半年新增可供建设用地;报告:北京现代4s店项目20亩;供地状态按'可供建设用地'理解(假设)"),
    ("YB-H1-10", "中纺油脂地块", _H1, "industrial", "supplied", None, 220, True, "P10", None, None,
     "上半年新增可供建设用地;报告:中纺油脂项目220亩;供地状态按'可供建设用地'理解(假设)"),
    ("YB-E-01", "远通汽配地块", _BUILT, "industrial", "supplied", None, 30, False, "P19", "issued",
     None, "面积、供地及权证状态为假设;报告:远通汽配前道路河堤正在推进"),
    ("YB-E-02", "山清米业地块", _BUILT, "industrial", "supplied", None, 40, False, "P20", "issued",
     None, "面积、供地及权证状态为假设;报告仅以'山清米业旁'指储备地位置"),
    ("YB-E-03", "冰鸟矿泉水地块", _BUILT, "industrial", "supplied", None, 30, False, "P15",
     "issued", None, "面积、供地及权证状态为假设;报告:冰鸟矿泉水技改项目竣工投产"),
    ("YB-E-04", "广元雨润食品地块", _BUILT, "industrial", "sold", None, 50, False, "P12", None,
     None, "面积为假设;报告:雨润食品项目土地已经挂牌出让摘牌"),
    ("YB-E-05", "大业能源地块", _BUILT, "industrial", "supplied", None, 80, False, "P18", None,
     None, "面积、供地状态为假设;报告:6000万元资金尚未到位,项目建设仍未复工"),
    ("YB-E-06", "白龙酒业地块", _BUILT, "industrial", "leveled", None, 40, False, "P13", "none",
     None, "面积为假设;报告:正在办理供地程序报建,进行项目地址灾害评估;未办理土地证,"
     "面临国土卫片执法检查处罚"),
    ("YB-E-07", "武媚娘酒业地块", _BUILT, "industrial", "leveled", None, 60, False, "P14", "none",
     None, "面积为假设;报告:正在办理供地程序报建,进行项目地址灾害评估;未办理土地证,"
     "面临国土卫片执法检查处罚"),
    ("YB-E-08", "石典豆豆香地块", _BUILT, "industrial", "supplied", None, 20, False, "P11", None,
     None, "面积、供地状态为假设;报告:正在进行采购设备、安装"),
    ("YB-E-09", "壮牛饲料地块", _BUILT, "industrial", "supplied", None, 40, False, "P16",
     "applying", None, "面积、供地状态为假设;报告:加快壮牛饲料土地证的办理进度"),
    ("YB-E-10", "南洋微电子地块", _BUILT, "industrial", "supplied", None, 30, False, "P17",
     "applying", None, "面积、供地状态为假设;报告:加快南洋微电子土地证的办理进度"),
    ("YB-R-01", "xx山上台阶地一号", _TERRACE, "industrial", "unacquired", "survey", 150, False,
     None, None, f"{REPORT_YEAR}-12-31",
     "储备;报告:已完成xx山上台阶地勘测定界;近700亩分块面积、预计征收日期为假设"),
    ("YB-R-02", "xx山上台阶地二号", _TERRACE, "industrial", "unacquired", "survey", 130, False,
     None, None, f"{REPORT_YEAR + 1}-03-31",
     "储备;报告:已完成xx山上台阶地勘测定界;近700亩分块面积、预计征收日期为假设"),
    ("YB-R-03", "xx山上台阶地三号", _TERRACE, "industrial", "unacquired", "survey", 120, False,
     None, None, f"{REPORT_YEAR + 1}-03-31",
     "储备;报告:已完成xx山上台阶地勘测定界;110千伏线路穿越(示意);分块面积、预计征收日期为假设"),
    ("YB-R-04", "傅家店一号", _FUJIADIAN, "industrial", "unacquired", None, 100, False, None, None,
     f"{REPORT_YEAR + 1}-06-30",
     "储备;报告:傅家店用地征收打造方案已拟定(未见预公告);分块面积、预计征收日期为假设"),
    ("YB-R-05", "傅家店二号", _FUJIADIAN, "industrial", "unacquired", None, 80, False, None, None,
     f"{REPORT_YEAR + 1}-06-30",
     "储备;报告:傅家店用地征收打造方案已拟定(未见预公告);分块面积、预计征收日期为假设"),
    ("YB-R-06", "山清米业旁储备地", _SHANQING, "industrial", "unacquired", None, 120, False, None,
     None, f"{REPORT_YEAR + 1}-09-30", "储备;近700亩的分块面积、预计征收日期为假设"),
)
# fmt: on

INTENDED_AREA_MU: dict[str, float] = {row[0]: float(row[6]) for row in _PARCELS}
"""Each parcel's area in mu as drawn: the report's figure, or the assumed one."""

# Placeholder owners of the unacquired land, for the privacy features: not real people.
_OWNERS = {
    "YB-R-01": ("张某某", "5108xxxxxxxxxxxx01", "138****0001"),
    "YB-R-02": ("李某某", "5108xxxxxxxxxxxx02", "138****0002"),
    "YB-R-03": ("王某某", "5108xxxxxxxxxxxx03", "138****0003"),
    "YB-R-04": ("赵某某", "5108xxxxxxxxxxxx04", "138****0004"),
    "YB-R-05": ("刘某某", "5108xxxxxxxxxxxx05", "138****0005"),
    "YB-R-06": ("陈某某", "5108xxxxxxxxxxxx06", "138****0006"),
}
_PRIVATE_FIELDS = ("owner_name", "owner_id", "owner_phone")

# fmt: off
# Projects: id, name, company, industry, investment (万元), land demand (mu, None
# = the parcels' areas), stage, signed on, funding, title status, notes.
_PROJECTS: tuple[tuple[Any, ...], ...] = (
    ("P01", "香香嘴食品项目", "香香嘴有限公司", "食品", None, None, "site_prep", None, "unknown",
     None, "上半年新入园;正在进行场地平整;土地已挂牌出让摘牌"),
    ("P02", "蜀丰养生酒项目", "蜀丰酒业", "酒类", 15000, None, "signed", _Q2_SIGNING, "unknown",
     None, "二季度集中签约;投资额、签约日为假设;下半年加快开工建设"),
    ("P03", "大汉科技项目", "大汉科技(大汉集团)", None, None, None, "construction", None,
     "unknown", None, "上半年新入园;正在进行基础建设;土地已挂牌出让摘牌;施工正常"),
    ("P04", "省粮库仓储项目", "省粮库", "仓储", None, None, "signed", None, "unknown", None,
     "项目阶段为假设(报告仅列可供建设用地26亩)"),
    ("P05", "丰田4S店项目", None, "汽车销售服务", None, None, "site_prep", None, "unknown", None,
     "上半年新入园;正在进行场地平整;土地已挂牌出让摘牌;施工正常"),
    ("P06", "胜利加气站项目", "胜利加气站", "燃气", None, None, "signed", None, "unknown", None,
     "项目阶段为假设(报告仅列可供建设用地25亩)"),
    ("P07", "星荣焦化项目", "星荣焦化", "焦化", None, None, "signed", None, "unknown", None,
     "项目阶段为假设(报告仅列可供建设用地60亩)"),
    ("P08", "光华重介洗选项目", "光华", "煤炭洗选", None, None, "signed", None, "unknown", None,
     "项目阶段为假设(报告仅列可供建设用地30亩)"),
    ("P09", "现代4S店项目", "北京现代4S店", "汽车销售服务", 5000, None, "signed", _Q2_SIGNING,
     "unknown", None, "二季度集中签约;投资额、签约日为假设"),
    ("P10", "中纺粮油60万吨油脂项目", "中纺粮油集团", "粮油加工", 100000, None, "signed",
     f"{REPORT_YEAR}-05-30", "unknown", None,
     "5月30日正式签约落地,总投资10亿元(年份为假设);正在办理立项、环评、营业执照等手续"),
    ("P11", "石典豆豆香豆制品项目", "石典豆豆香", "食品", 6000, None, "equipment", _Q2_SIGNING,
     "unknown", None, "上半年新入园,二季度集中签约;正在进行采购设备、安装;投资额、签约日为假设"),
    ("P12", "广元雨润食品2万吨肉制品加工项目", "广元雨润食品", "食品", None, None, "trial", None,
     "partial", None,
     "上半年新入园;厂房及设备已全部完成,正在设备调试;3月28日举行投产仪式,由于环评、资金等原因"
     "未实质性投产"),
    ("P13", "白龙酒业项目", "白龙酒业", "酒类", None, None, "equipment", None, "partial", "none",
     "续建;厂房已完工,正在进行设备安装;未办理土地证,无法有效融资,拖欠部分民工工资;"
     "面临国土卫片执法检查处罚"),
    ("P14", "武媚娘酒业项目", "武媚娘酒业", "酒类", None, None, "construction", None, "partial",
     "none", "续建;厂房主体已经完工,计划进行4800平方米的窖池建设;未办理土地证,无法有效融资;"
     "面临国土卫片执法检查处罚"),
    ("P15", "冰鸟矿泉水技改项目", "冰鸟矿泉水", "饮料", None, None, "operating", None, "unknown",
     "issued", "技改项目竣工投产仪式;权证状态为假设"),
    ("P16", "年产20万吨壮牛饲料技改扩能项目", "壮牛饲料", "饲料", 18000, None, "signed",
     _Q2_SIGNING, "unknown", "applying", "二季度集中签约;投资额、签约日为假设;土地证办理中"),
    ("P17", "南洋微电子项目", "南洋微电子", "电子", None, None, "operating", None, "unknown",
     "applying", "项目阶段为假设;报告:加快土地证的办理进度"),
    ("P18", "大业能源项目", "大业能源(母公司陈家岭煤业有限公司)", "能源", None, None, "stalled",
     None, "missing", None, "母公司未完成企业改制,6000万元资金尚未到位,项目建设仍未复工"),
    ("P19", "远通汽配", "远通汽配", "汽车配件", None, None, "operating", None, "unknown", "issued",
     "已建企业(阶段、权证状态为假设)"),
    ("P20", "山清米业", "山清米业", "粮食加工", None, None, "operating", None, "unknown", "issued",
     "已建企业(阶段、权证状态为假设)"),
    ("P21", "佳龙工艺品项目", "佳龙工艺品", "工艺品", 8000, 40, "signed", _Q2_SIGNING, "unknown",
     None, "二季度集中签约,待落地;投资额、用地需求、签约日为假设"),
    ("P22", "佳南木制品项目", "佳南木制品", "木制品", 10000, 60, "signed", _Q2_SIGNING, "unknown",
     None, "二季度集中签约,待落地;投资额、用地需求、签约日为假设"),
    ("P23", "清洁能源汽车改装项目", "远通(清洁能源车改装)", "汽车改装", 20000, 80, "signed",
     _Q2_SIGNING, "unknown", None, "二季度集中签约,待落地;投资额、用地需求、签约日为假设"),
    ("P24", "标准化厂房项目(5000平方米)", "元坝工业园区", "标准化厂房", None, 10, "signed", None,
     "unknown", None,
     "尚未启动,已做好项目立项核准;土地及资金待落实;阶段'签约'表示已立项待落地,用地需求为假设"),
    ("P25", "铁路专用线工程", None, "铁路", None, None, "negotiating", None, "unknown", None,
     "前期工作:省发改委已同意开展前期工作,可研修编已完成;预计总投资报告空缺;力争年底开工"),
)

_TARGETS: tuple[tuple[Any, ...], ...] = (
    ("新增基础设施投入", 10000, 9102, "万元", 91,
     "1-6月实现9102万元,完成任务91%;年目标1亿元"),
    ("新入园项目", 8, 5, "个", None, "新入园项目5个,年计划8个;报告完成率空缺(5/8=62.5%)"),
    ("新增标准化厂房面积", 5000, 0, "平方米", None, "尚未启动,已做好项目立项核准"),
    ("新增开发面积", None, None, "平方公里", 56,
     "报告空缺平方公里数,仅给完成率56%;其中可供建设用地536亩"),
    ("规模以上企业主营业务收入", 400000, None, "万元", None,
     "年计划40亿元;报告空缺完成数与完成率"),
)

# The illustrative layout, in metres east and north of 105.96E 32.32N: rows of
# (west x, parcels), each parcel (id, y of its SW, SE, NE and NW corners).
_LAYOUT: tuple[tuple[float, tuple[tuple[str, float, float, float, float], ...]], ...] = (
    # West block: existing enterprises, on the riverside road (y = -550).
    (-900, (("YB-E-01", -550, -550, -350, -350), ("YB-E-02", -550, -550, -350, -350),
            ("YB-R-06", -550, -550, -350, -350), ("YB-E-03", -550, -550, -350, -350),
            ("YB-E-04", -550, -550, -350, -350), ("YB-E-05", -550, -550, -350, -350))),
    (-900, (("YB-E-06", -335, -335, -185, -185), ("YB-E-07", -335, -335, -185, -185),
            ("YB-E-08", -335, -335, -185, -185), ("YB-E-09", -335, -335, -185, -185),
            ("YB-E-10", -335, -335, -185, -185))),
    # East block: the first-half sites, east of the 110 kV line (x = 370); the
    # 4S shops and the gas station on the riverside road.
    (400, (("YB-H1-05", -550, -550, -400, -400), ("YB-H1-09", -550, -550, -400, -400),
           ("YB-H1-06", -550, -550, -400, -400), ("YB-H1-10", -550, -550, -250, -250),
           ("YB-H1-04", -550, -550, -350, -350))),
    (400, (("YB-H1-01", -235, -235, -55, -55), ("YB-H1-02", -235, -235, -55, -55),
           ("YB-H1-03", -235, -235, -55, -55), ("YB-H1-07", -235, -235, -55, -55),
           ("YB-H1-08", -235, -235, -55, -55))),
    # Terraces on the hill to the north, with sloping upper edges; the line crosses R-03.
    (-600, (("YB-R-01", -40, -40, 230, 190), ("YB-R-02", -40, -40, 210, 230),
            ("YB-R-03", -40, -40, 240, 210))),
    # 傅家店, east of the first-half sites: irregular quadrilaterals.
    (1330, (("YB-R-04", -550, -530, -260, -250),)),
    (1330, (("YB-R-05", -235, -225, -20, -40),)),
)
# fmt: on


def build_yuanba() -> Park:
    """Build the Yuanba sample park from the first-half report's figures.

    Returns
    -------
    Park
        Parcels (26: the ten first-half sites ``YB-H1-01``..``10`` of 536 mu,
        ten other project sites ``YB-E-*`` (areas assumed), and the ~700 mu
        unacquired reserve ``YB-R-*`` (split and expected dates assumed), a
        110 kV line and a river as constraints (assumed), 25 projects (the
        land demand of P21–P24, 190 mu, assumed), their allocations and the
        year's five targets (the report's), with canonical columns and codes.
        Geometry is illustrative; ``data/parcels/yuanba.md`` gives the
        report's line for each figure and the reason for each assumption.

    Examples
    --------
    >>> park = build_yuanba()
    >>> round(float(park.projects.set_index("project_id").loc["P10", "investment_wan"]))
    100000
    """
    parcels = _parcels()
    projects = _projects(parcels)
    allocations = _normalised(
        pd.DataFrame(
            [
                {
                    "project_id": row["project_id"],
                    "parcel_id": row["parcel_id"],
                    "mu": INTENDED_AREA_MU[row["parcel_id"]],
                }
                for _, row in parcels.iterrows()
                if pd.notna(row["project_id"])
            ]
        ),
        "allocations",
    )
    targets = _normalised(
        pd.DataFrame(
            [
                {
                    "metric": m,
                    "target": t,
                    "actual": a,
                    "unit": u,
                    "period": str(REPORT_YEAR),
                    "reported_pct": p,
                    "notes": n,
                }
                for m, t, a, u, p, n in _TARGETS
            ]
        ),
        "targets",
    )
    manifest = Manifest(
        name="yuanba",
        title="元坝工业园区",
        private_fields=_PRIVATE_FIELDS,
        settings={
            "crs": CGCS2000,
            "report_year": REPORT_YEAR,
            "report_period": f"{REPORT_YEAR}H1",
            "source": "工业园区xx年上半年工作总结 (shared/source/000_03c0617e8ed61f37.txt)",
            "geometry": "illustrative: the report gives no coordinates",
            "assumptions": "data/parcels/yuanba.md lists every figure and assumption",
            # Assumption: the report gives no compensation standard.
            "compensation_wan_per_mu": {_TERRACE: 4.0, _FUJIADIAN: 5.0, _SHANQING: 4.5},
        },
    )
    return Park(
        manifest=manifest,
        parcels=parcels,
        constraints=_constraints(),
        projects=projects,
        targets=targets,
        allocations=allocations,
    )


def _parcels() -> gpd.GeoDataFrame:
    shapes = _layout_m()
    rows = []
    for row in _PARCELS:
        pid, name, zone, use, status, step, mu, declared, project, title, expected, notes = row
        owner = _OWNERS.get(pid, (None, None, None))
        rows.append(
            {
                "parcel_id": pid,
                "name": name,
                "zone": zone,
                "land_use": use,
                "acquisition_status": status,
                "acquisition_step": step,
                "declared_area_mu": float(mu) if declared else np.nan,
                "project_id": project,
                "title_status": title,
                "expected_acquisition": expected,
                "status_date": None,
                "notes": notes,
                **dict(zip(_PRIVATE_FIELDS, owner, strict=True)),
            }
        )
    frame = _normalised(pd.DataFrame(rows), "parcels")
    for column in _PRIVATE_FIELDS:  # not schema fields: keep None for "no owner listed"
        frame[column] = pd.Series([r[column] for r in rows], index=frame.index, dtype=object)
    geometry = _to_cgcs2000([shapes[pid] for pid in frame["parcel_id"]])
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=CGCS2000)


def _projects(parcels: gpd.GeoDataFrame) -> pd.DataFrame:
    held = parcels.dropna(subset=["project_id"]).groupby("project_id")["parcel_id"].agg(list)
    rows = []
    for row in _PROJECTS:
        pid, name, company, industry, invest, demand, stage, signed, funding, title, notes = row
        ids = held.get(pid, [])
        if demand is None and ids:
            demand = sum(INTENDED_AREA_MU[i] for i in ids)
        rows.append(
            {
                "project_id": pid,
                "name": name,
                "company": company,
                "industry": industry,
                "investment_wan": invest,
                "land_demand_mu": demand,
                "stage": stage,
                "signed_on": signed,
                "funding_status": funding,
                "title_status": title,
                "parcel_ids": ";".join(ids) if ids else None,
                "notes": notes,
            }
        )
    return _normalised(pd.DataFrame(rows), "projects")


def _constraints() -> gpd.GeoDataFrame:
    # The 110 kV line after its relocation (高压线路搬迁): north along the road
    # strip west of the 丰田4S店 site, then across the terrace reserve.
    line = LineString([(370, -720), (370, -60), (620, 300), (800, 700)])
    # The river along the south edge, in front of 远通汽配 (河堤): 35-45 m wide.
    xs = (-1100, -700, -300, 100, 500, 900, 1300, 1800)
    north = (-606, -604, -610, -603, -608, -605, -611, -604)
    south = (-642, -645, -648, -641, -649, -643, -650, -646)
    river = Polygon([*zip(xs, north, strict=True), *reversed(list(zip(xs, south, strict=True)))])
    frame = _normalised(
        pd.DataFrame(
            {
                "constraint_id": ["C-01", "C-02"],
                "kind": ["hv_line", "river"],
                "name": ["110千伏高压线(搬迁后走向,示意)", "园区河道(河名报告未载,示意)"],
                "voltage_kv": [110.0, np.nan],
                # Assumptions: half the commonly cited 25 m corridor of a 110 kV
                # line; a 30 m river blue-line setback (see README).
                "setback_m": [12.5, 30.0],
                "corridor_m": [np.nan, np.nan],
            }
        ),
        "constraints",
    )
    return gpd.GeoDataFrame(frame, geometry=_to_cgcs2000([line, river]), crs=CGCS2000)


def _layout_m() -> dict[str, Polygon]:
    """Every parcel in metres east and north of 105.96E 32.32N (equal-area plane).

    Each row of :data:`_LAYOUT` is laid west to east from its ``x0``, a road
    apart; each parcel's east edge is placed to give it its area.
    """
    shapes: dict[str, Polygon] = {}
    for x0, sites in _LAYOUT:
        x = x0
        for pid, y_sw, y_se, y_ne, y_nw in sites:
            corners = [(x, y_sw), (x + 1, y_se), (x + 1, y_ne), (x, y_nw)]
            shapes[pid] = _sized(pid, corners)
            x = shapes[pid].bounds[2] + _ROAD_M
    return shapes


def _sized(pid: str, corners: list[tuple[float, float]]) -> Polygon:
    """The quadrilateral ``corners`` (SW, SE, NE, NW) with its east edge moved to give its area.

    Moving the east edge sideways by ``dx`` changes the area linearly, so two
    trial areas give the exact shift.
    """
    target = INTENDED_AREA_MU[pid] * SQM_PER_MU
    base = np.array(corners, dtype=float)
    east = np.array([0.0, 1.0, 1.0, 0.0])

    def shifted(dx: float) -> Polygon:
        return Polygon(np.column_stack([base[:, 0] + east * dx, base[:, 1]]))

    a0, a1 = shifted(0.0).area, shifted(1.0).area
    return shifted((target - a0) / (a1 - a0))


def _to_cgcs2000(geoms: Sequence[shapely.Geometry]) -> gpd.GeoSeries:
    """Transform from the local equal-area plane to EPSG:4490 lon/lat, rounded to ~1 mm."""
    tr = Transformer.from_crs(_LAEA, CGCS2000, always_xy=True)

    def lonlat(xy: np.ndarray) -> np.ndarray:
        lon, lat = tr.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), _DECIMALS)

    return gpd.GeoSeries(shapely.transform(np.asarray(geoms, dtype=object), lonlat), crs=CGCS2000)


def _normalised(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Bring a table to canonical form; any value not understood is a bug here."""
    out, issues = TABLES[table].normalise(frame)
    if issues:
        msg = f"sample park table {table}: " + "; ".join(i.message for i in issues)
        raise ValueError(msg)
    return out
