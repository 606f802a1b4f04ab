"""Enforcement pre-check: patches on unapproved land, building without a title, outside."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from parkgis.io.store import bundled_park_path, read_park
from parkgis.land.enforce import (
    ILLUSTRATIVE,
    enforcement_check,
    enforcement_figures,
    illustrative_patches,
    title_risks,
)
from parkgis.measure.units import SQM_PER_MU
from parkgis.model.park import Manifest, Park
from tests.conftest import GK_X, GK_Y, gk_square

# Four 100 m parcels in a row, 200 m apart (x0 = GK_X + 200 i):
# A unacquired, step survey              -> a patch on it is 未批先建
# B acquiring, step approved             -> approved: no finding
# C leveled, P1 construction, title none -> 无证建设
# D supplied, P2 operating; the parcel says issued, the project none -> the worst: none
PLANAR_TO_ELLIPSOID = 1 - 2.0e-4  # GK scale at 90 km from the CM (see test_buildable.py)


def _park() -> Park:
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ["A", "B", "C", "D"],
            "name": ["甲", "乙", "丙", "丁"],
            "acquisition_status": ["unacquired", "acquiring", "leveled", "supplied"],
            "acquisition_step": ["survey", "approved", None, None],
            "project_id": [None, None, "P1", "P2"],
            "title_status": [None, None, None, "issued"],
        },
        geometry=[gk_square(GK_X + 200 * i, GK_Y, 100) for i in range(4)],
        crs="EPSG:4544",
    )
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P2", "P3"],
            "name": ["一号厂", "二号厂", "三号厂"],
            "company": ["甲公司", "乙公司", "丙公司"],
            "stage": ["construction", "operating", "signed"],
            "title_status": ["none", "none", "applying"],
        }
    )
    return Park(Manifest("enforce"), parcels, projects=projects)


def _patches() -> gpd.GeoDataFrame:
    x = GK_X
    return gpd.GeoDataFrame(
        {"图斑编号": ["T1", "T2", "T3", "T4"]},
        geometry=[
            box(x + 25, GK_Y + 25, x + 75, GK_Y + 75),  # 50 x 50 on A
            box(x + 225, GK_Y + 25, x + 275, GK_Y + 75),  # on B: approved
            box(x + 400, GK_Y + 50, x + 450, GK_Y + 100),  # 50 x 50 on C
            box(x + 650, GK_Y + 80, x + 700, GK_Y + 120),  # 50 x 20 on D, 50 x 20 outside
        ],
        crs="EPSG:4544",
    ).to_crs(4490)  # a patch layer in lon/lat; the parcels are in GK


def test_findings_with_reason_area_parcel_and_project():
    findings = enforcement_check(_patches(), _park())
    rows = [(r.patch_id, r.reason, r.parcel_id, r.project_id) for r in findings.itertuples()]
    assert [(p, r, q, None if pd.isna(j) else j) for p, r, q, j in rows] == [
        ("T1", "not_approved", "A", None),
        ("T3", "no_title", "C", "P1"),
        ("T4", "no_title", "D", "P2"),
        ("T4", "outside_park", None, None),
    ]
    mu = findings["overlap_mu"].tolist()
    expected = [2500, 2500, 1000, 1000]
    assert mu == pytest.approx([e * PLANAR_TO_ELLIPSOID / SQM_PER_MU for e in expected], rel=1e-4)
    assert findings["patch_mu"].iloc[3] == pytest.approx(2000 * PLANAR_TO_ELLIPSOID / SQM_PER_MU,
                                                         rel=1e-4)  # fmt: skip
    c = findings.iloc[1]
    assert (c["project"], c["company"], c["stage"], c["title_status"]) == (
        "一号厂", "甲公司", "construction", "none"
    )  # fmt: skip
    assert findings.crs.to_epsg() == 4490  # geometry in the patches' CRS, for the package
    assert findings.geometry.iloc[3].is_valid


def test_figures_sum_by_reason():
    findings = enforcement_check(_patches(), _park())
    f = enforcement_figures(findings, patches=4)
    by = {r["reason"]: (r["findings"], r["patches"]) for r in f["by_reason"]}
    assert by == {"not_approved": (1, 1), "no_title": (2, 2), "outside_park": (1, 1)}
    assert f["patches_with_findings"] == 3
    assert f["findings"][0]["project_id"] is None


def test_slivers_along_edges_are_noise():
    edge = gpd.GeoDataFrame(
        geometry=[box(GK_X - 50, GK_Y, GK_X + 0.001, GK_Y + 100)], crs="EPSG:4544"
    )  # 0.1 m² on A: below 1 m²
    findings = enforcement_check(edge, _park())
    assert findings["reason"].tolist() == ["outside_park"]
    assert findings["patch_id"].tolist() == ["1"]  # numbered when the layer has no id


def test_title_risks_without_patches():
    risks = title_risks(_park()).set_index("project_id")
    assert risks["risk"].to_dict() == {
        "P1": "building_without_title",
        "P2": "building_without_title",
        "P3": "title_pending",
    }
    assert risks.loc["P2", "parcel_ids"] == "D"


@pytest.mark.skipif(
    not bundled_park_path().is_file(),
    reason="data/parcels/yuanba.gpkg not generated yet (scripts/make_yuanba.py)",
)
def test_bundled_park_flags_the_two_distilleries():
    park = read_park()
    risks = title_risks(park)
    building = risks.loc[risks["risk"] == "building_without_title", "company"]
    assert sorted(building) == ["武媚娘酒业", "白龙酒业"]
    pending = risks.loc[risks["risk"] == "title_pending", "company"]
    assert {"壮牛饲料", "南洋微电子"} <= set(pending)
    patches = illustrative_patches(park)
    assert (patches["source"] == ILLUSTRATIVE).all()
    findings = enforcement_check(patches, park)
    assert sorted(findings["company"]) == ["武媚娘酒业", "白龙酒业"]
    assert set(findings["reason"]) == {"no_title"}
