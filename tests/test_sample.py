"""The bundled Yuanba sample park: its figures against the report, its geometry checked.

Areas are measured from the geometry on the ellipsoid, never read from the
tables. The report's figures are typed in here from the report itself
(shared/source/000_03c0617e8ed61f37.txt), not taken from the module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from pandas.testing import assert_frame_equal

from parkgis.check.problems import find_problems
from parkgis.io.store import bundled_park_path, read_park, write_park
from parkgis.measure.area import gross_area_mu
from parkgis.model.schema import TABLES
from parkgis.sample import INTENDED_AREA_MU, REPORT_YEAR, build_yuanba

# 可供建设用地536亩,主要包括: ... (report, section 一(一)).
REPORT_H1_MU = {
    "YB-H1-01": ("香香嘴", 65),
    "YB-H1-02": ("蜀丰", 30),
    "YB-H1-03": ("大汉", 45),
    "YB-H1-04": ("省粮库", 26),
    "YB-H1-05": ("丰田", 15),
    "YB-H1-06": ("胜利加气站", 25),
    "YB-H1-07": ("星荣焦化", 60),
    "YB-H1-08": ("光华", 30),
    "YB-H1-09": ("现代", 20),
    "YB-H1-10": ("中纺", 220),
}
# 二季度项目(...)集中签约 + 中纺粮油 5月30日正式签约 = 8 projects.
SIGNED_IN_H1 = [
    "佳龙工艺品",
    "蜀丰养生酒",
    "石典豆豆香",
    "佳南木制品",
    "清洁能源汽车改装",
    "壮牛饲料技改扩能",
    "现代4S店",
    "中纺粮油",
]
GK = "EPSG:4544"  # CGCS2000 3-degree Gauss-Kruger CM 105E, the local zone


@pytest.fixture(scope="module")
def park():
    return build_yuanba()


@pytest.fixture(scope="module")
def measured(park) -> pd.Series:
    return gross_area_mu(park.parcels).set_axis(park.parcels["parcel_id"])


def _project(park, fragment: str) -> pd.Series:
    hits = park.projects[park.projects["name"].str.contains(fragment, regex=False)]
    assert len(hits) == 1, f"{fragment!r} names {len(hits)} projects: {list(hits['name'])}"
    return hits.iloc[0]


def test_ten_first_half_sites_measure_536_mu(park, measured):
    h1 = park.parcels[park.parcels["parcel_id"].str.startswith("YB-H1-")]
    assert sorted(h1["parcel_id"]) == sorted(REPORT_H1_MU)
    assert measured[h1["parcel_id"]].sum() == pytest.approx(536, rel=1e-3)
    for pid, (who, mu) in REPORT_H1_MU.items():
        row = h1.set_index("parcel_id").loc[pid]
        assert who in row["name"], (pid, row["name"])
        assert row["declared_area_mu"] == mu
        assert measured[pid] == pytest.approx(mu, rel=1e-4), pid


def test_every_parcel_measures_its_intended_area(park, measured):
    assert set(INTENDED_AREA_MU) == set(park.parcels["parcel_id"])
    for pid, mu in INTENDED_AREA_MU.items():
        assert measured[pid] == pytest.approx(mu, rel=1e-4), f"{pid}: {measured[pid]} vs {mu}"


def test_declared_area_only_where_the_report_gives_one(park):
    declared = park.parcels.set_index("parcel_id")["declared_area_mu"]
    assert declared.notna().sum() == 10
    assert declared.dropna().index.str.startswith("YB-H1-").all()


def test_unacquired_reserve_is_about_700_mu_in_three_places(park, measured):
    reserve = park.parcels[park.parcels["acquisition_status"] == "unacquired"]
    assert measured[reserve["parcel_id"]].sum() == pytest.approx(700, rel=5e-3)
    assert set(reserve["zone"]) == {"xx山上台阶地", "傅家店", "山清米业旁"}
    assert reserve["project_id"].isna().all()
    assert reserve["expected_acquisition"].notna().all()
    # 完成xx山上台阶地勘测定界: the terrace is at the survey step, the rest has no step.
    steps = reserve.set_index("zone")["acquisition_step"]
    assert (steps.loc["xx山上台阶地"] == "survey").all()
    assert steps.drop("xx山上台阶地").isna().all()


def test_parcels_are_valid_apart_and_enclose_no_hole(park):
    geoms = np.asarray(park.parcels.to_crs(GK).geometry.array, dtype=object)
    assert shapely.is_valid(geoms).all()
    assert shapely.get_type_id(geoms).tolist() == [3] * len(geoms)  # polygons
    gaps = shapely.distance(geoms[:, None], geoms[None, :])
    np.fill_diagonal(gaps, np.inf)
    assert gaps.min() > 10  # a road apart: no overlap, no shared edge
    union = shapely.union_all(geoms)
    assert sum(len(part.interiors) for part in union.geoms) == 0


def test_coordinates_are_cgcs2000_lonlat_near_yuanba_rounded_to_8_decimals(park):
    assert park.parcels.crs.to_epsg() == 4490
    assert park.constraints.crs.to_epsg() == 4490
    lon0, lat0, lon1, lat1 = park.parcels.total_bounds
    assert 105.94 < lon0 < lon1 < 105.98
    assert 32.31 < lat0 < lat1 < 32.33
    coords = shapely.get_coordinates(np.asarray(park.parcels.geometry.array, dtype=object))
    assert np.array_equal(coords, np.round(coords, 8))


def test_two_builds_are_equal(park):
    again = build_yuanba()
    assert again.manifest == park.manifest
    assert_geodataframe_equal(again.parcels, park.parcels)
    assert_geodataframe_equal(again.constraints, park.constraints)
    for table in ("projects", "targets", "allocations"):
        assert_frame_equal(getattr(again, table), getattr(park, table))


def test_every_vocabulary_value_is_a_canonical_code(park):
    for table in ("parcels", "constraints", "projects"):
        frame = getattr(park, table)
        for field in TABLES[table].fields:
            if field.vocabulary is None or field.name not in frame.columns:
                continue
            values = set(frame[field.name].dropna())
            assert values <= set(field.vocabulary.codes), (table, field.name, values)
    assert park.parcels["acquisition_status"].notna().all()
    assert park.projects["stage"].notna().all()


def test_projects_and_parcels_link_both_ways(park):
    parcel_ids = set(park.parcels["parcel_id"])
    project_ids = set(park.projects["project_id"])
    assert park.projects["project_id"].is_unique and park.parcels["parcel_id"].is_unique
    linked = park.projects.dropna(subset=["parcel_ids"])
    for _, row in linked.iterrows():
        ids = row["parcel_ids"].split(";")
        assert set(ids) <= parcel_ids, row["project_id"]
        owners = park.parcels.set_index("parcel_id").loc[ids, "project_id"]
        assert (owners == row["project_id"]).all()
    assert set(park.parcels["project_id"].dropna()) <= project_ids
    alloc = park.allocations
    assert set(alloc["project_id"]) <= project_ids and set(alloc["parcel_id"]) <= parcel_ids
    pairs = {(r.project_id, pid) for r in linked.itertuples() for pid in r.parcel_ids.split(";")}
    assert set(zip(alloc["project_id"], alloc["parcel_id"], strict=True)) == pairs
    assert (alloc["mu"] == alloc["parcel_id"].map(INTENDED_AREA_MU)).all()


def test_zhongfang_oil_project_is_10_yi_signed_30_may_on_the_220_mu_site(park, measured):
    row = _project(park, "中纺粮油")
    assert row["investment_wan"] == 100_000
    assert row["signed_on"] == f"{REPORT_YEAR}-05-30"
    assert row["stage"] == "signed"
    assert row["parcel_ids"] == "YB-H1-10"
    assert measured["YB-H1-10"] == pytest.approx(220, rel=1e-4)


def test_eight_projects_signed_in_the_half_year_invest_over_18_yi(park):
    signed = park.projects[
        park.projects["signed_on"].between(f"{REPORT_YEAR}-01-01", f"{REPORT_YEAR}-06-30")
    ]
    assert len(signed) == 8
    for name in SIGNED_IN_H1:
        assert signed["name"].str.contains(name, regex=False).sum() == 1, name
    assert signed["investment_wan"].notna().all()
    assert signed["investment_wan"].sum() > 180_000


def test_stages_titles_and_funding_follow_the_report(park):
    expected = {
        "香香嘴": ("site_prep", None, None),
        "丰田": ("site_prep", None, None),
        "大汉科技": ("construction", None, None),
        "石典豆豆香": ("equipment", None, None),
        "雨润": ("trial", None, "partial"),
        "白龙酒业": ("equipment", "none", "partial"),
        "武媚娘酒业": ("construction", "none", "partial"),
        "壮牛饲料": (None, "applying", None),
        "南洋微电子": (None, "applying", None),
        "大业能源": ("stalled", None, "missing"),
    }
    for fragment, (stage, title, funding) in expected.items():
        row = _project(park, fragment)
        assert stage is None or row["stage"] == stage, fragment
        assert title is None or row["title_status"] == title, fragment
        assert funding is None or row["funding_status"] == funding, fragment
        if title is not None:  # the parcels say the same
            ids = row["parcel_ids"].split(";")
            assert (park.parcels.set_index("parcel_id").loc[ids, "title_status"] == title).all()


def test_signed_projects_wait_for_land_while_only_the_reserve_remains(park, measured):
    # Nothing acquired or leveled is left unallocated: nothing is available now.
    free = park.parcels[
        park.parcels["acquisition_status"].isin(["acquired", "leveled"])
        & park.parcels["project_id"].isna()
    ]
    assert free.empty
    projects = park.projects
    waiting = projects[projects["stage"].eq("signed") & projects["parcel_ids"].isna()]
    assert {"佳龙工艺品项目", "佳南木制品项目", "清洁能源汽车改装项目"} <= set(waiting["name"])
    assert waiting["land_demand_mu"].sum() == 190  # assumed demands: 40 + 60 + 80 + 10
    # Every parcel not in the reserve is held by a project.
    held = park.parcels[park.parcels["acquisition_status"] != "unacquired"]
    assert held["project_id"].notna().all()


def test_targets_reproduce_the_report(park):
    t = park.targets.set_index("metric")
    infra = t.loc["新增基础设施投入"]
    assert (infra["target"], infra["actual"]) == (10_000, 9_102)
    assert round(infra["actual"] / infra["target"] * 100) == infra["reported_pct"] == 91
    assert (t.loc["新入园项目", "actual"], t.loc["新入园项目", "target"]) == (5, 8)
    factory = t.loc["新增标准化厂房面积"]
    assert (factory["actual"], factory["target"]) == (0, 5_000)
    area = t.loc["新增开发面积"]
    assert np.isnan(area["target"]) and np.isnan(area["actual"]) and area["reported_pct"] == 56
    assert t.loc["规模以上企业主营业务收入", "target"] == 400_000
    assert np.isnan(t.loc["规模以上企业主营业务收入", "actual"])
    assert (t["period"] == str(REPORT_YEAR)).all()


def test_owners_of_unacquired_land_are_private_placeholders(park):
    private = list(park.manifest.private_fields)
    assert private == ["owner_name", "owner_id", "owner_phone"]
    unacquired = park.parcels["acquisition_status"] == "unacquired"
    owners = park.parcels[private]
    assert owners[unacquired].notna().all().all()
    assert owners[~unacquired].isna().all().all()
    assert owners.loc[unacquired, "owner_name"].str.endswith("某某").all()
    assert not set(private) & set(park.public_columns("parcels"))


def test_manifest_settings(park):
    s = park.manifest.settings
    assert (park.manifest.name, park.manifest.title) == ("yuanba", "元坝工业园区")
    assert s["crs"] == "EPSG:4490" and s["report_year"] == REPORT_YEAR == 2013
    assert set(s["compensation_wan_per_mu"]) == set(
        park.parcels.loc[park.parcels["acquisition_status"] == "unacquired", "zone"]
    )


def test_hv_corridor_crosses_only_the_terrace_reserve_and_the_river_setback_no_parcel(park):
    parcels = park.parcels.to_crs(GK).set_index("parcel_id")
    lines = park.constraints.to_crs(GK).set_index("kind")
    assert lines.loc["hv_line", "voltage_kv"] == 110
    corridor = lines.loc["hv_line", "geometry"].buffer(lines.loc["hv_line", "setback_m"])
    hit = parcels[parcels.intersects(corridor)]
    assert list(hit.index) == ["YB-R-03"]
    lost_mu = hit.intersection(corridor).area.iloc[0] * 15 / 10_000
    assert 3 < lost_mu < 10  # a 25 m wide corridor about 200 m long across the corner
    river = lines.loc["river", "geometry"].buffer(lines.loc["river", "setback_m"])
    assert not parcels.intersects(river).any()
    # 远通汽配前道路河堤: 远通汽配 is the riverside parcel.
    assert parcels.loc["YB-E-01"].geometry.distance(lines.loc["river", "geometry"]) < 60


def test_the_park_store_round_trips_the_sample(park, tmp_path):
    again = read_park(write_park(park, tmp_path / "yuanba"))
    assert again.value_issues == ()
    assert again.manifest == park.manifest
    public = [*park.public_columns("parcels"), "geometry"]
    assert_geodataframe_equal(again.parcels[public], park.parcels[public])
    assert_geodataframe_equal(again.constraints, park.constraints)
    for table in ("projects", "targets", "allocations"):
        assert_frame_equal(getattr(again, table), getattr(park, table))


def test_find_problems_reports_no_error(park):
    errors = [p for p in find_problems(park) if p.severity == "error"]
    assert errors == []


def test_the_bundled_files_are_what_the_builder_writes(park, tmp_path):
    """data/parcels/yuanba.gpkg is scripts/make_yuanba.py's output for today's sample.py.

    Every table of the GeoPackage is compared by content, row by row, exactly
    (geometries as identical blobs), and each layer as pyogrio reads it. When
    sample.py changes, run ``python scripts/make_yuanba.py`` and commit the result.
    """
    import sqlite3

    from parkgis.io.gpkg import create_park

    bundled = bundled_park_path()
    built = create_park(park, tmp_path / "yuanba.gpkg", journal="delete",
                        stamp="2013-07-01T00:00:00.000Z")  # fmt: skip

    def tables(path):
        con = sqlite3.connect(path)
        try:
            names = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger') "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")]  # fmt: skip
            schema = con.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name")
            out = {"schema": sorted(map(tuple, schema.fetchall()), key=str)}
            for name in names:
                if con.execute("SELECT type FROM sqlite_master WHERE name = ?",
                               (name,)).fetchone()[0] == "table":  # fmt: skip
                    rows = con.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
                    if name == "gpkg_contents":  # last_change: when QGIS's table was added
                        rows = [r[:4] + r[5:] for r in rows]
                    out[name] = rows
            return out
        finally:
            con.close()

    assert tables(bundled) == tables(built)
    layers = pyogrio.list_layers(built).tolist()
    assert pyogrio.list_layers(bundled).tolist() == layers
    for layer, kind in layers:
        if kind is None:
            continue
        a, b = (pyogrio.read_dataframe(f, layer=layer) for f in (bundled, built))
        assert a.crs == b.crs, layer
        assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"), check_exact=True)
        assert (
            shapely.to_wkb(a.geometry.values).tolist() == shapely.to_wkb(b.geometry.values).tolist()
        ), layer
