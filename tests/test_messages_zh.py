"""Chinese messages: every validation problem and every error parkgis raises has a Chinese text.

``--lang zh`` (the default) shows ``Problem.message_zh`` and ``ParkgisError.zh``;
``--lang en`` the English. The Chinese text keeps the ids, values and figures of
the English one (parcel ids, ``15.00`` mu, ``EPSG:4544`` ...), so a check that
every number and id of the English message appears in the Chinese one catches
a figure dropped or formatted differently.

Parcels are squares and strips in EPSG:4544 near Yuanba (x ≈ 590 km), as in
``test_validate.py``: a 100 m square measures 15.00 mu on the ellipsoid.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import LineString, Polygon, box

from parkgis.check.problems import Problem, find_problems, validate
from parkgis.cli import cli
from parkgis.errors import CRSMissingError, DataError, ParkgisError, SchemaError
from parkgis.land.buildable import buildable_by, metric_crs
from parkgis.land.tables import area_by
from parkgis.land.targets import period_bounds
from parkgis.maps.basemaps import BasemapError, TiandituKeyError, resolve_basemaps
from parkgis.measure.area import gross_area_mu
from parkgis.model.park import Manifest, Park
from parkgis.model.vocab import ACQUISITION

X, Y = 590_000.0, 3_577_000.0
CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
PROBLEMS_PY = Path(__file__).resolve().parents[1] / "parkgis" / "check" / "problems.py"


def sq(x: float, y: float, w: float, h: float | None = None):
    """A w × h metre box whose south-west corner is (X + x, Y + y)."""
    return box(X + x, Y + y, X + x + w, Y + y + (w if h is None else h))


def bow_tie(x: float):
    """A 100 m self-intersecting square: two triangles of 2 500 m² each (7.50 mu)."""
    return Polygon([(X + x, Y), (X + x + 100, Y + 100), (X + x + 100, Y), (X + x, Y + 100)])


# (parcel_id, geometry, acquisition_status, declared_area_mu, project_id)
PARCELS = [
    ("A", sq(0, 0, 100), "acquired", None, None),  # overlaps B by 10 × 100 m
    ("B", sq(90, 0, 100), "acquired", None, None),
    ("C1", sq(300, 0, 100, 40), "acquired", None, None),  # C1-C4 ring a 20 m square gap
    ("C2", sq(300, 60, 100, 40), "acquired", None, None),
    ("C3", sq(300, 40, 40, 20), "acquired", None, None),
    ("C4", sq(360, 40, 40, 20), "acquired", None, None),
    ("E", sq(600, 0, 100), "acquired", None, None),  # a 2 m open strip to F
    ("F", sq(702, 0, 100), "acquired", None, None),
    ("G", sq(900, 0, 4, 300), "acquired", None, None),  # a 4 m strip: sliver
    ("H", sq(1000, 0, 100), "acquired", 20.0, None),  # declared 20, measures 15.00
    ("I", bow_tie(1200), "acquired", None, None),
    ("NG", None, "acquired", None, None),
    ("J", sq(1400, 0, 50), "acquired", None, None),
    ("J", sq(1500, 0, 50), "acquired", None, None),  # duplicate id
    ("K", sq(1600, 0, 50), "征收", None, None),  # not a term
    ("K2", sq(1700, 0, 50), "已征收", None, None),  # a label, not the code
    ("L", sq(1800, 0, 50), "acquired", None, "PX"),  # no such project
    ("M", sq(1900, 0, 50), None, None, None),  # status blank
    ("N", sq(2000, 0, 100), "acquired", "多少", None),  # declared area unreadable
    ("EM", Polygon(), "acquired", None, None),
    ("LN", LineString([(X + 2200, Y), (X + 2300, Y)]), "acquired", None, None),
    (None, sq(2400, 0, 50), "acquired", None, None),  # no id
]


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    """One park with a problem of (nearly) every kind built in code."""
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [r[0] for r in PARCELS],
            "acquisition_status": [r[2] for r in PARCELS],
            "declared_area_mu": [r[3] for r in PARCELS],
            "project_id": [r[4] for r in PARCELS],
        },
        geometry=gpd.GeoSeries([r[1] for r in PARCELS], crs="EPSG:4544"),
    )
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P1"],
            "name": ["甲项目", None],
            "investment_wan": ["abc", 3],
            "signed_on": ["昨天", None],
            "parcel_ids": ["N, QQ", None],
        }
    )
    allocations = pd.DataFrame(
        {"project_id": ["P1", "P9"], "parcel_id": ["N", "ZZ"], "mu": [20.0, 1.0]}
    )
    park = Park(Manifest("zh"), parcels, projects=projects, allocations=allocations)
    return find_problems(park)


EXPECTED_CODES = {
    "overlap",
    "gap",
    "narrow_gap",
    "sliver",
    "area_mismatch",
    "invalid_geometry",
    "null_geometry",
    "empty_geometry",
    "not_polygon",
    "duplicate_parcel_id",
    "missing_parcel_id",
    "duplicate_project_id",
    "unknown_status",
    "unknown_project",
    "missing_value",
    "bad_area",
    "bad_number",
    "bad_date",
    "over_allocated",
    "allocation_unknown",
}


def assert_same_facts(en: str, zh: str | None) -> None:
    """``zh`` is Chinese and holds every number and quoted value of ``en``."""
    assert zh and CJK.search(zh), f"no Chinese text for: {en}"
    missing = set(NUMBER.findall(en)) - set(NUMBER.findall(zh))
    assert not missing, f"{sorted(missing)} of {en!r} not in {zh!r}"
    for quoted in re.findall(r"'[^']*'", en):
        if quoted != "'crs'" or "crs" in zh:
            assert quoted in zh or quoted.strip("'") in zh, f"{quoted} not in {zh!r}"


def test_the_park_has_a_problem_of_each_kind(problems):
    assert {p.code for p in problems} >= EXPECTED_CODES


def test_every_problem_has_chinese_with_the_same_ids_and_figures(problems):
    for p in problems:
        assert_same_facts(p.message, p.message_zh)
        for key in (p.parcel_id, p.project_id, p.details.get("other_parcel_id")):
            if key is not None and key in p.message:
                assert key in p.message_zh, (key, p.message_zh)
        assert p.text("zh") == p.message_zh and p.text("en") == p.message


def test_chinese_figures_by_hand(problems):
    by_code = {p.code: p for p in problems}
    # 10 × 100 m = 1 000 m² planar = 1.50 mu; 100 m square = 15.00 mu.
    assert "重叠 1.50 亩" in by_code["overlap"].message_zh
    assert "parcel_id=A" in by_code["overlap"].message_zh
    assert "parcel_id=B" in by_code["overlap"].message_zh
    assert "申报面积 20.00 亩" in by_code["area_mismatch"].message_zh
    assert "实测 15.00 亩" in by_code["area_mismatch"].message_zh
    assert "0.60 亩（400 m²）" in by_code["gap"].message_zh  # 20 × 20 m
    assert "C1、C2、C3、C4" in by_code["gap"].message_zh
    assert "自相交" in by_code["invalid_geometry"].message_zh
    assert "7.50 亩" in by_code["invalid_geometry"].message_zh
    assert "多分配了 5.00 亩" in by_code["over_allocated"].message_zh
    assert "unacquired/未征收、" in next(
        p.message_zh for p in problems if p.code == "unknown_status" and p.parcel_id == "K"
    )


def test_layer_problems_in_chinese():
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A"], "acquisition_status": ["acquired"]}, geometry=[sq(0, 0, 100)]
    )
    [missing_crs] = find_problems(Park(Manifest("t"), parcels))
    assert missing_crs.code == "missing_crs"
    assert_same_facts(missing_crs.message, missing_crs.message_zh)
    assert "--crs EPSG:NNNN" in missing_crs.message_zh

    swapped = parcels.set_geometry([box(Y, X, Y + 100, X + 100)], crs="EPSG:4544")
    [suspect] = find_problems(Park(Manifest("t"), swapped))
    assert suspect.code == "suspect_axis_order"
    assert CJK.search(suspect.message_zh) and "EPSG:4544" in suspect.message_zh

    no_column = pd.DataFrame({"parcel_id": ["A"]})
    zh = [p.message_zh for p in find_problems(Park(Manifest("t"), no_column))]
    assert all(m and CJK.search(m) for m in zh)
    assert any("acquisition_status（征收状态）" in m for m in zh)


def test_to_dict_carries_both_texts(problems):
    record = problems[0].to_dict()
    assert record["message"] == problems[0].message
    assert record["message_zh"] == problems[0].message_zh


def test_schema_error_lists_the_chinese_texts():
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["A", "B"], "acquisition_status": ["acquired", "acquired"]},
        geometry=[sq(0, 0, 100), sq(90, 0, 100)],
        crs="EPSG:4544",
    )
    with pytest.raises(SchemaError) as info:
        validate(Park(Manifest("t"), parcels))
    assert info.value.text("zh").startswith("1 个问题：")
    assert "重叠 1.50 亩" in info.value.text("zh")
    assert "overlaps" in str(info.value)


def test_every_found_add_passes_message_zh():
    """A source check: each ``found.add(...)``, ``add(...)`` and ``report(...)`` gives Chinese."""
    tree = ast.parse(PROBLEMS_PY.read_text("utf-8"))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    found_add = [
        c
        for c in calls
        if isinstance(c.func, ast.Attribute)
        and c.func.attr == "add"
        and isinstance(c.func.value, ast.Name)
        and c.func.value.id == "found"
    ]
    assert len(found_add) >= 15
    for call in found_add:
        assert any(k.arg == "message_zh" for k in call.keywords), f"line {call.lineno}"
    # add(code, pos, message, message_zh, ...) and report(pos, text, text_zh, ...)
    for name, positional in (("add", 4), ("report", 3)):
        local = [c for c in calls if isinstance(c.func, ast.Name) and c.func.id == name]
        assert local, name
        for call in local:
            assert len(call.args) >= positional, f"{name} at line {call.lineno}"


# -- errors ---------------------------------------------------------------------------


def no_crs() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"parcel_id": ["A"]}, geometry=[sq(0, 0, 100)])


@pytest.mark.parametrize(
    ("call", "error", "zh_part"),
    [
        (lambda: gross_area_mu(no_crs()), CRSMissingError, "没有坐标参考系"),
        (lambda: metric_crs(no_crs()), CRSMissingError, "没有坐标参考系"),
        (lambda: area_by(pd.DataFrame({"area_mu": [1.0]}), "zone"), DataError, "无法按 'zone'"),
        (
            lambda: buildable_by(pd.DataFrame({"net_mu": [1.0]}), "zone"),
            DataError,
            "无法按 'zone'",
        ),
        (lambda: period_bounds("明年"), DataError, "无法识别目标期限 '明年'"),
        (lambda: ACQUISITION.code("征收"), ValueError, "征收状态 '征收'"),
        (lambda: resolve_basemaps("nosuchmap"), BasemapError, "未知的底图 'nosuchmap'"),
        (
            lambda: resolve_basemaps("tianditu-vec", tianditu_key=None, environ={}),
            TiandituKeyError,
            "天地图密钥",
        ),
    ],
)
def test_errors_carry_chinese(call, error, zh_part):
    with pytest.raises(error) as info:
        call()
    err = info.value
    assert isinstance(err, ParkgisError)
    assert zh_part in err.text("zh")
    assert err.text("en") == str(err) != err.text("zh")


# -- the command line -----------------------------------------------------------------


@pytest.fixture
def bad_file(tmp_path) -> Path:
    """Parcels with an overlap, a status that is no term and a declared area off by 5 mu."""
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C"],
            "acquisition_status": ["acquired", "征收", "acquired"],
            "declared_area_mu": [15.0, 15.0, 20.0],
        },
        geometry=[sq(0, 0, 100), sq(90, 0, 100), sq(300, 0, 100)],
        crs="EPSG:4544",
    )
    path = tmp_path / "bad.geojson"
    parcels.to_file(path)
    return path


def run(*args: str) -> str:
    """The standard output of ``parkgis ARGS``, which exits 1 (errors found)."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 1, result.output
    return result.stdout


def test_validate_prints_chinese_by_default(bad_file, monkeypatch):
    monkeypatch.delenv("PARKGIS_LANG", raising=False)
    out = run("validate", str(bad_file))
    assert "重叠 1.50 亩" in out
    assert "不是已知术语" in out
    assert "申报面积 20.00 亩" in out
    assert "overlaps" not in out


def test_validate_prints_english_on_request(bad_file, monkeypatch):
    monkeypatch.delenv("PARKGIS_LANG", raising=False)
    out = run("validate", str(bad_file), "--lang", "en")
    assert "by 1.50 mu" in out
    assert "is not a known term" in out
    assert "重叠" not in out


def test_validate_json_keeps_english_message_and_adds_chinese(bad_file, monkeypatch):
    monkeypatch.delenv("PARKGIS_LANG", raising=False)
    report = json.loads(run("validate", str(bad_file), "--format", "json"))
    overlap = next(p for p in report["problems"] if p["code"] == "overlap")
    assert "overlaps" in overlap["message"] and not CJK.search(overlap["message"])
    assert "重叠 1.50 亩" in overlap["message_zh"]
