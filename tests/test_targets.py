"""Target progress: percent done, reported vs computed, pace; Yuanba's figures."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from parkgis.errors import DataError
from parkgis.io.store import bundled_park_path, read_park
from parkgis.land.targets import period_bounds, target_figures, target_progress

MID_YEAR = dt.date(2013, 6, 30)  # the end of the report's half year: 181 of 365 days


def _yuanba_like() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric": ["新增基础设施投入", "新入园项目", "新增标准化厂房面积", "新增开发面积",
                       "主营业务收入"],
            "target": [10000.0, 8.0, 5000.0, None, 400000.0],
            "actual": [9102.0, 5.0, 0.0, None, None],
            "unit": ["万元", "个", "平方米", "平方公里", "万元"],
            "period": ["2013"] * 5,
            "reported_pct": [91.0, None, None, 56.0, None],
        }
    )  # fmt: skip


def test_percentages_and_pace():
    table = target_progress(_yuanba_like(), today=MID_YEAR).set_index("metric")
    assert table.loc["新增基础设施投入", "pct"] == pytest.approx(91.02)  # the report: 91 %
    assert table.loc["新入园项目", "pct"] == 62.5
    assert table.loc["新增标准化厂房面积", "pct"] == 0
    assert table["elapsed_pct"].iloc[0] == pytest.approx(181 / 365 * 100)
    assert table["on_track"].tolist() == [True, True, False, True, None]
    assert table["basis"].tolist() == ["computed", "computed", "computed", "reported", None]
    assert table.loc["新增开发面积", "pct"] == 56  # reported, not computed
    assert pd.isna(table.loc["主营业务收入", "pct"])


def test_figures_list_the_targets_behind():
    f = target_figures(_yuanba_like(), today=MID_YEAR)
    assert f["behind"] == ["新增标准化厂房面积"]
    assert f["targets"][4]["pct"] is None
    assert f["today"] == "2013-06-30"


def test_pace_before_and_after_the_period():
    t = _yuanba_like().iloc[[2]]
    assert target_progress(t, today=dt.date(2012, 12, 1))["elapsed_pct"].iloc[0] == 0
    assert target_progress(t, today=dt.date(2012, 12, 1))["on_track"].iloc[0] is True
    late = target_progress(t, today=dt.date(2014, 3, 1))
    assert late["elapsed_pct"].iloc[0] == 100
    assert late["on_track"].iloc[0] is False


@pytest.mark.parametrize(
    ("period", "bounds"),
    [
        ("2013", ("2013-01-01", "2013-12-31")),
        ("2013年", ("2013-01-01", "2013-12-31")),
        ("2013年度", ("2013-01-01", "2013-12-31")),
        ("2013H2", ("2013-07-01", "2013-12-31")),
        ("2013上半年", ("2013-01-01", "2013-06-30")),
        ("2013Q1", ("2013-01-01", "2013-03-31")),
        ("2013年第四季度", ("2013-10-01", "2013-12-31")),
        ("2013-03-01/2013-05-31", ("2013-03-01", "2013-05-31")),
    ],
)
def test_periods(period, bounds):
    assert period_bounds(period) == tuple(dt.date.fromisoformat(b) for b in bounds)


def test_unreadable_period_names_the_metric():
    t = _yuanba_like().assign(period=["明年"] * 5)
    with pytest.raises(DataError, match="metric=新增基础设施投入: target period '明年'"):
        target_progress(t, today=MID_YEAR)


@pytest.mark.skipif(
    not bundled_park_path().is_file(),
    reason="data/parcels/yuanba.gpkg not generated yet (scripts/make_yuanba.py)",
)
def test_bundled_park_reproduces_the_report():
    park = read_park()
    table = target_progress(park.targets, today=MID_YEAR)
    pct = dict(zip(table["metric"], table["pct"], strict=True))
    assert round(pct["新增基础设施投入"]) == 91
    assert pct["新增基础设施投入"] == pytest.approx(91.02)
    assert pct["新入园项目"] == 62.5
    assert pct["新增标准化厂房面积"] == 0
