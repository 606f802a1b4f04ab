"""The three gaps: which parcels, how many mu, how many days; idle-land alerts."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import pytest

from parkgis.errors import DataError
from parkgis.io.store import bundled_park_path, read_park
from parkgis.land.gaps import gap_figures, gaps_table, one_year_before
from parkgis.model.park import Manifest, Park
from tests.conftest import GK_X, GK_Y, gk_square

TODAY = dt.date(2013, 6, 30)

# parcel status      step      project (stage)    status date  gap                    days
# A      unacquired  approved  -                  2013-01-31   approved_not_acquired   150
# B      acquiring   approved  -                  2013-06-30   approved_not_acquired     0
# C      acquiring   dossier   -                  -            none (not yet approved)
# D      leveled     -         -                  2012-12-31   acquired_not_supplied   181
# E      sold        -         P1 (construction)  -            acquired_not_supplied   no date
# F      supplied    -         P2 (signed)        2012-06-29   supplied_not_built      366 idle
# G      supplied    -         P3 (stalled)       2012-06-30   supplied_not_built      365, not
#                                                              idle: supplied a year ago today
# H      supplied    -         -                  2013-03-01   supplied_not_built      121
# I      supplied    -         P4 (operating)     2010-01-01   none (built)
# J      supplied    -         P2 + P4            2011-01-01   none: one holder has built
AREA = {"A": 10.0, "B": 20.0, "C": 30.0, "D": 40.0, "E": 50.0, "F": 60.0, "G": 70.0, "H": 80.0,
        "I": 90.0, "J": 100.0}  # fmt: skip


def _park() -> Park:
    ids = list(AREA)
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ids,
            "acquisition_status": [
                "unacquired",
                "acquiring",
                "acquiring",
                "leveled",
                "sold",
                "supplied",
                "supplied",
                "supplied",
                "supplied",
                "supplied",
            ],
            "acquisition_step": ["approved", "approved", "dossier"] + [None] * 7,
            "project_id": [None, None, None, None, "P1", "P2", "P3", None, "P4", "P2;P4"],
            "status_date": [
                "2013-01-31",
                "2013-06-30",
                None,
                "2012-12-31",
                None,
                "2012-06-29",
                "2012-06-30",
                "2013-03-01",
                "2010-01-01",
                "2011-01-01",
            ],
        },
        geometry=[gk_square(GK_X + 200 * i, GK_Y, 100) for i in range(len(ids))],
        crs="EPSG:4544",
    )
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3", "P4"],
            "name": ["甲", "乙", "丙", "丁"],
            "stage": ["construction", "signed", "stalled", "operating"],
        }
    )
    return Park(Manifest("gaps"), parcels, projects=projects)


def _area() -> pd.Series:
    return pd.Series(list(AREA.values()))


def test_each_parcel_lands_in_its_gap_with_days():
    table = gaps_table(_park(), today=TODAY, area_mu=_area())
    got = {r.parcel_id: (r.gap, None if pd.isna(r.days_in_stage) else int(r.days_in_stage), r.idle)
           for r in table.itertuples()}  # fmt: skip
    assert got == {
        "A": ("approved_not_acquired", 150, False),
        "B": ("approved_not_acquired", 0, False),
        "D": ("acquired_not_supplied", 181, False),
        "E": ("acquired_not_supplied", None, False),
        "F": ("supplied_not_built", 366, True),
        "G": ("supplied_not_built", 365, False),
        "H": ("supplied_not_built", 121, False),
    }
    assert table["gap"].tolist()[0] == "approved_not_acquired"  # gap order
    assert table.set_index("parcel_id").loc["G", "stage"] == "stalled"


def test_figures_sum_each_gap():
    f = gap_figures(_park(), today=TODAY, area_mu=_area())
    gaps = {g["gap"]: g for g in f["gaps"]}
    assert gaps["approved_not_acquired"]["mu"] == 30
    assert gaps["approved_not_acquired"]["zh"] == "批而未征"
    assert gaps["acquired_not_supplied"]["mu"] == 90
    assert gaps["acquired_not_supplied"]["parcels_without_date"] == 1
    assert gaps["supplied_not_built"]["mu"] == 210
    assert gaps["supplied_not_built"]["max_days"] == 366
    assert gaps["supplied_not_built"]["median_days"] == 365
    assert gaps["supplied_not_built"]["parcel_ids"] == ["F", "G", "H"]
    assert [a["parcel_id"] for a in f["idle_alerts"]] == ["F"]
    assert f["idle_mu"] == 60
    assert f["today"] == "2013-06-30"


def test_since_from_an_event_log_replaces_status_date():
    # A status-history log says when each parcel entered its current status.
    log = pd.Series({"H": dt.date(2012, 1, 1), "F": pd.Timestamp("2013-06-01")}, name="since")
    table = gaps_table(_park(), today=TODAY, since=log, area_mu=_area()).set_index("parcel_id")
    assert table.loc["H", "days_in_stage"] == 546
    assert bool(table.loc["H", "idle"]) is True
    assert bool(table.loc["F", "idle"]) is False
    assert pd.isna(table.loc["A", "days_in_stage"])  # not in the log: unknown, not guessed


def test_bad_dates_are_refused():
    with pytest.raises(DataError, match=r"parcel A: status date 'last spring'"):
        gaps_table(_park(), today=TODAY, since=pd.Series({"A": "last spring"}))
    with pytest.raises(DataError, match="appears twice"):
        gaps_table(_park(), today=TODAY, since=pd.Series(["2013-01-01"] * 2, index=["A", "A"]))


def test_areas_are_measured_when_not_given():
    table = gaps_table(_park(), today=TODAY)
    # 100 m squares: 15 mu in the GK plane, 2e-4 less on the ellipsoid.
    assert table["area_mu"].tolist() == pytest.approx([15.0] * len(table), rel=5e-4)


def test_one_year_before():
    assert one_year_before(dt.date(2013, 6, 30)) == dt.date(2012, 6, 30)
    assert one_year_before(dt.date(2016, 2, 29)) == dt.date(2015, 2, 28)


@pytest.mark.skipif(
    not bundled_park_path().is_file(),
    reason="data/parcels/yuanba.gpkg not generated yet (scripts/make_yuanba.py)",
)
def test_bundled_park_has_land_between_stages():
    f = gap_figures(read_park(), today=TODAY)
    gaps = {g["gap"]: g for g in f["gaps"]}
    # 武媚娘酒业 and 白龙酒业 are still going through supply (正在办理供地程序).
    assert {"YB-E-06", "YB-E-07"} <= set(gaps["acquired_not_supplied"]["parcel_ids"])
    # The 中纺油脂 site of a project signed on 30 May is supplied but not yet built on.
    assert "YB-H1-10" in gaps["supplied_not_built"]["parcel_ids"]
