"""Reserve and shortfall: exact on hand-computable numbers; the bundled park tells the report."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from parkgis.errors import DataError, VocabularyError
from parkgis.io.store import bundled_park_path, read_park
from parkgis.land.allocation import effective_allocations, split_ids
from parkgis.land.buildable import buildable_table
from parkgis.land.reserve import apply_assumptions, quarter_of, reserve_figures, reserve_projects
from parkgis.model.park import Manifest, Park
from tests.conftest import GK_X, GK_Y, gk_square

# --- A park whose figures are worked out by hand ----------------------------------------------
#
# parcel  zone  status      net mu  expected     held/earmarked by
# A       西区  acquired    100                  -                 -> available 100
# B       西区  leveled      50                  P1 20 mu          -> available  30
# C       北区  acquiring    80     2014-02-15   P4 40 mu (earmark) -> pipeline 80 (2014Q1)
# D       北区  acquiring    40     2014-08-01   -                 -> pipeline 40 (2014Q3)
# H       北区  acquiring    25     2014-02-01   P5 (negotiating)  -> earmarked for a project
#                                                                     that does not count: 0
# E       东区  unacquired  200     2014-11-30   -                 -> reserve 200 (2014Q4)
# F       东区  unacquired   60     (none)       -                 -> reserve 60, unscheduled
# G       西区  supplied     30                  P2 (whole parcel)  -> nothing to supply
#
# project stage         demand  holds                       need
# P1      operating      20     B 20                         0
# P2      signed        100     G 30 (parcel's project_id)  70
# P3      signed        150     -                          150
# P4      construction   60     C 40 is only earmarked      60
# P5      negotiating    25     H (projects.parcel_ids)     not counted: not signed
# P6      stalled        50     -                           not counted: stalled
#
# demand 280; available 130 -> shortfall 150; + pipeline 120 -> 30; + reserve 260 -> 0 (230 over)
# by quarter, cumulative supply: 2014Q1 130+80=210 (short 70), Q2 210 (70), Q3 250 (30),
# Q4 450 (0, 170 over).

NET = {"A": 100.0, "B": 50.0, "C": 80.0, "D": 40.0, "H": 25.0, "E": 200.0, "F": 60.0, "G": 30.0}


def _hand_park() -> tuple[Park, pd.DataFrame]:
    ids = list(NET)
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ids,
            "zone": ["西区", "西区", "北区", "北区", "北区", "东区", "东区", "西区"],
            "acquisition_status": [
                "acquired",
                "leveled",
                "acquiring",
                "acquiring",
                "acquiring",
                "unacquired",
                "unacquired",
                "supplied",
            ],
            "expected_acquisition": [
                None,
                None,
                "2014-02-15",
                "2014-08-01",
                "2014-02-01",
                "2014-11-30",
                None,
                None,
            ],
            "project_id": [None, None, None, None, None, None, None, "P2"],
        },
        geometry=[gk_square(GK_X + 200 * i, GK_Y, 100) for i in range(len(ids))],
        crs="EPSG:4544",
    )
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "name": ["一号", "二号", "三号", "四号", "五号", "六号"],
            "stage": ["operating", "signed", "signed", "construction", "negotiating", "stalled"],
            "land_demand_mu": [20.0, 100.0, 150.0, 60.0, 25.0, 50.0],
            "parcel_ids": [None, None, None, None, "H", None],
        }
    )
    allocations = pd.DataFrame(
        {"project_id": ["P1", "P4"], "parcel_id": ["B", "C"], "mu": [20.0, 40.0]}
    )
    park = Park(Manifest("hand"), parcels, projects=projects, allocations=allocations)
    # The buildable table, given so that every figure is exact: gross = net here.
    table = pd.DataFrame(
        {"parcel_id": ids, "gross_mu": [NET[i] for i in ids], "constrained_mu": 0.0,
         "net_mu": [NET[i] for i in ids]}
    )  # fmt: skip
    return park, table


def test_shortfall_now_and_by_quarter_is_exact():
    park, table = _hand_park()
    f = reserve_figures(park, buildable=table)
    assert f["available_mu"] == 130
    assert f["pipeline_mu"] == 120
    assert f["reserve_mu"] == 260
    assert f["reserve_unscheduled_mu"] == 60
    assert f["pipeline_unscheduled_mu"] == 0
    assert f["demand_mu"] == 280
    assert f["shortfall_mu"] == 150
    assert f["shortfall_after_pipeline_mu"] == 30
    assert f["shortfall_after_reserve_mu"] == 0
    assert f["surplus_after_reserve_mu"] == 230
    assert f["surplus_mu"] == 0
    quarters = [(q["quarter"], q["supply_mu"], q["shortfall_mu"], q["surplus_mu"])
                for q in f["by_quarter"]]  # fmt: skip
    assert quarters == [
        ("2014Q1", 210, 70, 0),
        ("2014Q2", 210, 70, 0),
        ("2014Q3", 250, 30, 0),
        ("2014Q4", 450, 0, 170),
    ]
    assert [q["new_pipeline_mu"] for q in f["by_quarter"]] == [80, 0, 40, 0]
    assert [q["new_reserve_mu"] for q in f["by_quarter"]] == [0, 0, 0, 200]
    assert all(q["demand_mu"] == 280 for q in f["by_quarter"])


def test_projects_waiting_and_excluded_are_named():
    park, table = _hand_park()
    f = reserve_figures(park, buildable=table)
    waiting = {p["project_id"]: (p["held_mu"], p["earmarked_mu"], p["need_mu"])
               for p in f["projects_waiting"]}  # fmt: skip
    assert waiting == {"P2": (30, 0, 70), "P3": (0, 0, 150), "P4": (0, 40, 60)}
    excluded = {p["project_id"]: p["reason"] for p in f["projects_excluded"]}
    assert excluded == {"P5": "negotiating", "P6": "stalled"}
    supply = {p["parcel_id"]: (p["role"], p["supply_mu"]) for p in f["supply_parcels"]}
    assert supply == {
        "A": ("available", 100), "B": ("available", 30), "C": ("pipeline", 80),
        "D": ("pipeline", 40), "E": ("reserve", 200), "F": ("reserve", 60),
    }  # fmt: skip


def test_overdue_land_is_shown_as_overdue_never_as_arriving():
    # On 2014-05-10, C (pipeline 80, expected 2014-02-15) is overdue: it is not counted in
    # any quarter. H (expected 2014-02-01) gives no supply, so it is not listed. Supply:
    # available 130, D 40 in 2014Q3 (170), E 200 in 2014Q4 (370): demand 280 met in 2014Q4.
    park, table = _hand_park()
    f = reserve_figures(park, buildable=table, as_of="2014-05-10")
    rows = [(q["quarter"], q["new_pipeline_mu"], q["overdue_mu"], q["supply_mu"],
             q["shortfall_mu"], q["surplus_mu"]) for q in f["by_quarter"]]  # fmt: skip
    assert rows == [
        ("2014Q2", 0, 80, 130, 150, 0),
        ("2014Q3", 40, 80, 170, 110, 0),
        ("2014Q4", 0, 80, 370, 0, 90),
    ]
    assert f["as_of"] == "2014-05-10"
    assert (f["pipeline_overdue_mu"], f["reserve_overdue_mu"], f["overdue_mu"]) == (80, 0, 80)
    assert (f["unscheduled_mu"], f["reserve_unscheduled_mu"]) == (60, 60)
    assert f["overdue_parcels"] == [
        {"parcel_id": "C", "name": None, "zone": "北区", "role": "pipeline",
         "expected_acquisition": "2014-02-15", "supply_mu": 80.0}
    ]  # fmt: skip
    assert (f["shortfall_after_scheduled_mu"], f["surplus_after_scheduled_mu"]) == (0, 90)
    assert f["shortfall_closes_in"] == "2014Q4"
    # The capacity figures still count all the land, overdue and undated included.
    assert (f["shortfall_after_reserve_mu"], f["surplus_after_reserve_mu"]) == (0, 230)
    # Later, everything dated is overdue: nothing arrives, the shortfall never closes.
    late = reserve_figures(park, buildable=table, as_of="2015-01-01")
    assert [(q["quarter"], q["overdue_mu"], q["supply_mu"], q["shortfall_mu"])
            for q in late["by_quarter"]] == [("2015Q1", 320, 130, 150)]  # fmt: skip
    assert late["shortfall_closes_in"] is None
    assert late["shortfall_after_scheduled_mu"] == 150
    # Without a date nothing is judged: every expected date is taken at its word.
    assert reserve_figures(park, buildable=table)["overdue_mu"] == 0


def test_land_expected_on_the_as_of_day_is_not_overdue():
    park, table = _hand_park()
    f = reserve_figures(park, buildable=table, as_of="2014-02-15")
    assert f["overdue_mu"] == 0  # C is due that very day; H gives no supply
    assert f["by_quarter"][0] == {
        "quarter": "2014Q1", "new_pipeline_mu": 80.0, "new_reserve_mu": 0.0, "overdue_mu": 0.0,
        "supply_mu": 210.0, "demand_mu": 280.0, "shortfall_mu": 70.0, "surplus_mu": 0.0,
    }  # fmt: skip


def _yuanba_timeline(as_of: str) -> tuple[dict, list[tuple]]:
    f = reserve_figures(read_park(bundled_park_path()), as_of=as_of)
    keys = ("new_reserve_mu", "overdue_mu", "supply_mu", "shortfall_mu")
    rows = [(q["quarter"], *(round(q[k], 2) for k in keys)) for q in f["by_quarter"]]
    return f, rows


def test_yuanba_today_all_reserve_is_overdue_and_the_shortfall_never_closes():
    """2026-12-01: the reserve's dates (2013-12-31 … 2014-09-30) have all passed."""
    f, rows = _yuanba_timeline("2026-12-01")
    assert rows == [("2026Q4", 0.0, 694.65, 0.0, 190.0)]
    assert round(f["reserve_mu"], 2) == round(f["overdue_mu"], 2) == 694.65
    assert f["available_mu"] == 0 and f["demand_mu"] == 190
    assert f["shortfall_after_scheduled_mu"] == 190
    assert f["shortfall_closes_in"] is None
    assert [(p["parcel_id"], p["expected_acquisition"]) for p in f["overdue_parcels"]] == [
        ("YB-R-01", "2013-12-31"), ("YB-R-02", "2014-03-31"), ("YB-R-03", "2014-03-31"),
        ("YB-R-04", "2014-06-30"), ("YB-R-05", "2014-06-30"), ("YB-R-06", "2014-09-30"),
    ]  # fmt: skip


def test_yuanba_at_the_report_date_the_reserve_closes_the_shortfall_in_2014q1():
    """2013-06-30: the assumed dates lie ahead; 150 mu in 2013Q4, 244.65 more in 2014Q1."""
    f, rows = _yuanba_timeline("2013-06-30")
    assert rows == [
        ("2013Q2", 0.0, 0.0, 0.0, 190.0),
        ("2013Q3", 0.0, 0.0, 0.0, 190.0),
        ("2013Q4", 150.0, 0.0, 150.0, 40.0),
        ("2014Q1", 244.65, 0.0, 394.65, 0.0),
        ("2014Q2", 180.0, 0.0, 574.65, 0.0),
        ("2014Q3", 120.0, 0.0, 694.65, 0.0),
    ]
    assert f["overdue_mu"] == 0 and f["overdue_parcels"] == []
    assert f["shortfall_closes_in"] == "2014Q1"
    assert round(f["surplus_after_scheduled_mu"], 2) == 504.65


def test_scenario_assumes_a_zone_acquired():
    park, table = _hand_park()
    f = reserve_figures(park, buildable=table, assume={"东区": "已征收"})
    assert f["available_mu"] == 390
    assert f["reserve_mu"] == 0
    assert f["shortfall_mu"] == 0
    assert f["surplus_mu"] == 110
    assert f["assumptions"] == [
        {"zone": "东区", "status": "acquired", "parcels": 2, "gross_mu": 260.0, "net_mu": 260.0}
    ]
    assert park.parcels["acquisition_status"].tolist()[5] == "unacquired"  # input untouched
    with pytest.raises(DataError, match=r"'南区' is neither a zone nor a parcel id.*东区"):
        apply_assumptions(park, {"南区": "acquired"})
    with pytest.raises(VocabularyError):
        apply_assumptions(park, {"东区": "bought"})
    one = apply_assumptions(park, {"F": "acquired"})
    assert one.parcels["acquisition_status"].tolist()[6] == "acquired"


def test_never_negative_and_surplus_when_supply_exceeds_demand():
    park, table = _hand_park()
    rich = table.assign(net_mu=table["net_mu"] * 10, gross_mu=table["gross_mu"] * 10)
    f = reserve_figures(park, buildable=rich)
    for key in ("shortfall_mu", "shortfall_after_pipeline_mu", "shortfall_after_reserve_mu"):
        assert f[key] == 0
    # available A 1000 + B (500 - 20); P2 now holds all of G (300 mu), so demand is P3 150 + P4 60
    assert f["demand_mu"] == 210
    assert f["surplus_mu"] == 1000 + 480 - 210


def test_effective_allocations_merge_three_sources():
    park, _ = _hand_park()
    alloc = effective_allocations(park, area_mu=pd.Series(NET))
    rows = {(r.project_id, r.parcel_id): (r.mu, r.basis) for r in alloc.itertuples()}
    assert rows == {
        ("P1", "B"): (20.0, "allocations"),
        ("P4", "C"): (40.0, "allocations"),
        ("P2", "G"): (30.0, "parcels.project_id (rest of the parcel)"),
        ("P5", "H"): (25.0, "projects.parcel_ids (rest of the parcel)"),
    }


def test_a_parcel_shared_without_mu_is_split_and_says_so():
    park, _ = _hand_park()
    projects = park.projects.assign(parcel_ids=[None, "G", "G；A", None, "H", None])
    alloc = effective_allocations(park.replace(projects=projects), area_mu=pd.Series(NET))
    g = alloc[alloc["parcel_id"] == "G"].set_index("project_id")
    assert g["mu"].to_dict() == {"P2": 15.0, "P3": 15.0}
    assert g.loc["P2", "basis"] == (
        "parcels.project_id and projects.parcel_ids (rest of the parcel shared by 2 projects)"
    )
    assert split_ids("A, B;C、D") == ["A", "B", "C", "D"]


def test_measured_areas_are_used_when_no_table_is_given():
    park, _ = _hand_park()
    line = gpd.GeoDataFrame(
        {"kind": ["hv_line"], "setback_m": [10.0]},
        geometry=[LineString([(GK_X + 50, GK_Y - 10), (GK_X + 50, GK_Y + 110)])],
        crs="EPSG:4544",
    )
    park = park.replace(constraints=line)
    table = buildable_table(park)
    f = reserve_figures(park)
    a = table["net_mu"].iloc[0]
    assert a == pytest.approx(table["gross_mu"].iloc[0] * 0.8, rel=1e-5)  # a 20 m strip of A
    # B (a 100 m square, 15 mu) is allocated 20 mu: nothing of it is available.
    assert table["net_mu"].iloc[1] < 20
    assert f["available_mu"] == pytest.approx(a, rel=1e-12)


def test_held_land_within_tolerance_of_demand_is_no_need():
    park, table = _hand_park()
    # P2's parcel G measures a hair under its ledger area: not a 1e-5 mu shortfall.
    table = table.assign(gross_mu=table["gross_mu"].where(table["parcel_id"] != "G", 29.99999))
    projects = park.projects.assign(land_demand_mu=[20.0, 30.0, 150.0, 60.0, 25.0, 50.0])
    out = reserve_projects(park.replace(projects=projects), buildable=table)
    assert out.set_index("project_id").loc["P2", "need_mu"] == 0


def test_quarters():
    assert quarter_of("2014-12-31") == "2014Q4"
    assert quarter_of(pd.Timestamp("2015-01-01")) == "2015Q1"
    park, table = _hand_park()
    broken = park.parcels.assign(expected_acquisition=["soon"] + [None] * 7)
    broken.loc[0, "acquisition_status"] = "acquiring"
    with pytest.raises(DataError, match="parcel_id=A: expected_acquisition 'soon'"):
        reserve_figures(park.replace(parcels=broken), buildable=table)


@pytest.mark.skipif(
    not bundled_park_path().is_file(),
    reason="data/parcels/yuanba.gpkg not generated yet (scripts/make_yuanba.py)",
)
def test_bundled_park_tells_what_the_report_says():
    park = read_park()
    f = reserve_figures(park)
    table = buildable_table(park)
    unacquired = park.parcels["acquisition_status"].to_numpy() == "unacquired"
    # "apart from the ~700 mu still unacquired, there is no land left"
    assert f["available_mu"] == 0
    assert f["pipeline_mu"] == 0
    assert table.loc[unacquired, "gross_mu"].sum() == pytest.approx(700, rel=0.02)
    assert f["reserve_mu"] == pytest.approx(table.loc[unacquired, "net_mu"].sum())
    assert f["reserve_mu"] < table.loc[unacquired, "gross_mu"].sum()  # the 110 kV line
    # "signed projects wait": a named shortfall
    assert f["shortfall_mu"] > 0
    assert f["shortfall_mu"] == pytest.approx(sum(p["need_mu"] for p in f["projects_waiting"]))
    assert all(p["name"] for p in f["projects_waiting"])
    assert {p["stage"] for p in f["projects_waiting"]} <= {
        "signed",
        "site_prep",
        "construction",
        "equipment",
        "trial",
        "operating",
    }
    assert f["shortfall_after_reserve_mu"] == 0
    values = [v for k, v in f.items() if k.endswith("_mu")]
    assert all(np.isfinite(values)) and min(values) >= 0
