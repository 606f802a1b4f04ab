"""Tests of parkgis.check.problems: one or more per problem code, on tiny parks built in code.

Parcels are squares and strips in EPSG:4544 (CGCS2000 3-degree Gauss-Kruger CM
105E) near Yuanba, x ≈ 590 km (about 105.96E), y ≈ 3577 km (about 32.3N).

How the expected figures are checked by hand: a planar area of A m² there
measures A / k² on the ellipsoid, with the grid scale factor
k ≈ 1 + Δx² / (2R²) = 1 + 90 000² / (2 × 6 371 000²) ≈ 1.0001, so k² ≈ 1.0002
(CHINA_GIS.md: planar GK area is about 0.02 % larger near 106E). A 100 m
square (10 000 m² planar = 15 mu) measures 9 998 m² = 14.997 mu. Figures are
compared with ``planar / 1.0002`` at ``rel=1e-4``: the higher-order terms of
the scale factor are below 1e-6, and the approximation of k by its first term
is within 3e-5 here.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from parkgis.check.problems import CODES, Problem, find_problems, validate
from parkgis.errors import SchemaError
from parkgis.measure.units import SQM_PER_MU
from parkgis.model.park import Manifest, Park, empty_table
from parkgis.model.schema import ValueIssue

X, Y = 590_000.0, 3_577_000.0
K2 = 1.0002  # planar / ellipsoidal area at x = 590 km in EPSG:4544 (see module docstring)


def sq(x: float, y: float, w: float, h: float | None = None):
    """A w × h metre box whose south-west corner is (X + x, Y + y)."""
    return box(X + x, Y + y, X + x + w, Y + y + (w if h is None else h))


def mu(planar_sqm: float) -> float:
    """Expected ellipsoidal area in mu of a planar area in m² near x = 590 km."""
    return planar_sqm / K2 / SQM_PER_MU


def parcels_of(rows: list[dict], *, crs: str | None = "EPSG:4544") -> gpd.GeoDataFrame:
    """Parcels from records holding a ``geometry``; status ``acquired`` unless given."""
    records = [{"acquisition_status": "acquired", **r} for r in rows]
    geoms = [r.pop("geometry") for r in records]
    frame = pd.DataFrame(records)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs))


def park_of(
    parcels: gpd.GeoDataFrame,
    *,
    projects: list[dict] | None = None,
    allocations: list[dict] | None = None,
) -> Park:
    return Park(
        manifest=Manifest(name="test"),
        parcels=parcels,
        projects=pd.DataFrame(projects) if projects else empty_table("projects"),
        allocations=pd.DataFrame(allocations) if allocations else empty_table("allocations"),
    )


def codes(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


def only(problems: list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


@pytest.fixture
def clean_park() -> Park:
    """Four parcels touching edge to edge, one project, one allocation: no problem."""
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100), "declared_area_mu": 15.0},
            {
                "parcel_id": "B",
                "geometry": sq(100, 0, 100),
                "declared_area_mu": "15亩",
                "project_id": "P1",
                "land_use": "industrial",
                "title_status": "issued",
                "expected_acquisition": "2024-06-30",
            },
            {"parcel_id": "C", "geometry": sq(0, 100, 200, 50), "declared_area_mu": 15.0},
            # A 300 m × 4 m road: thin, but roads are exempt from the thinness test.
            {"parcel_id": "D", "geometry": sq(200, 0, 300, 4), "land_use": "road"},
        ]
    )
    projects = [
        {
            "project_id": "P1",
            "name": "中纺油脂",
            "stage": "signed",
            "land_demand_mu": "约15亩",
            "funding_status": "in_place",
            "signed_on": "2024-05-30",
            "parcel_ids": "B",
        }
    ]
    allocations = [{"project_id": "P1", "parcel_id": "B", "mu": 15.0}]
    return park_of(parcels, projects=projects, allocations=allocations)


# -- the whole ---------------------------------------------------------------


def test_clean_park_has_no_problems(clean_park):
    assert find_problems(clean_park) == []
    validate(clean_park)  # does not raise


def test_every_code_has_a_severity_and_the_docstring_table_agrees():
    import re

    import parkgis.check.problems as module

    assert set(CODES.values()) == {"error", "warning"}
    table = dict(re.findall(r"^([a-z_]+) +(error|warning) ", module.__doc__, re.MULTILINE))
    assert table == CODES
    assert {"area_mismatch", "sliver", "gap", "narrow_gap"} <= {
        c for c, s in CODES.items() if s == "warning"
    }


def test_validate_raises_with_every_error_and_no_warning():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100), "declared_area_mu": 20.0},
            {"parcel_id": "A", "geometry": sq(90, 0, 100)},
            {"parcel_id": "C", "geometry": None},
        ]
    )
    park = park_of(parcels)
    problems = find_problems(park)
    assert codes(problems) == ["overlap", "area_mismatch", "duplicate_parcel_id", "null_geometry"]
    with pytest.raises(SchemaError) as info:
        validate(park)
    assert info.value.problems == [p for p in problems if p.severity == "error"]
    assert codes(info.value.problems) == ["overlap", "duplicate_parcel_id", "null_geometry"]
    assert "[overlap]" in str(info.value) and "area_mismatch" not in str(info.value)


def test_validate_passes_options_on():
    park = park_of(parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 10)}]))  # 0.15 mu
    assert codes(find_problems(park)) == []
    assert codes(find_problems(park, sliver_mu=0.2)) == ["sliver"]
    validate(park, sliver_mu=0.2)  # a sliver is a warning


def test_warnings_alone_do_not_raise():
    park = park_of(
        parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100), "declared_area_mu": 20}])
    )
    assert codes(find_problems(park)) == ["area_mismatch"]
    validate(park)


def test_problems_come_by_table_then_row_whatever_order_they_are_found_in():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},  # overlaps C: found last
            {"parcel_id": "B", "geometry": sq(300, 0, 100), "acquisition_status": None},
            {"parcel_id": "C", "geometry": sq(50, 0, 100), "land_use": "工厂"},
        ]
    )
    park = park_of(
        parcels,
        projects=[{"project_id": "P1", "name": "x"}, {"project_id": "P1", "name": "y"}],
    )
    problems = find_problems(park)
    assert [(p.table, p.row, p.code) for p in problems] == [
        ("parcels", 1, "overlap"),
        ("parcels", 2, "missing_value"),
        ("parcels", 3, "unknown_value"),
        ("projects", 2, "duplicate_project_id"),
    ]
    assert find_problems(park) == problems


def test_layer_problems_come_before_row_problems():
    parcels = parcels_of([{"parcel_id": None, "geometry": sq(0, 0, 100)}], crs=None)
    assert codes(find_problems(park_of(parcels))) == ["missing_crs", "missing_parcel_id"]


def test_to_dict_is_json_ready():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "B", "geometry": sq(90, 0, 100), "declared_area_mu": float("nan")},
            {
                "parcel_id": 7.0,
                "geometry": Polygon([(X, Y), (X + 9, Y + 9), (X + 9, Y), (X, Y + 9)]),
            },
        ]
    )
    problems = find_problems(park_of(parcels))
    assert problems
    for p in problems:
        d = p.to_dict()
        assert {"code", "severity", "parcel_id", "message", "row", "table", "details"} <= set(d)
        json.dumps(d, ensure_ascii=False, allow_nan=False)
    assert problems[-1].parcel_id == "7"  # ids are text: 7.0 is "7"


# -- geometry ----------------------------------------------------------------


@pytest.mark.parametrize("crs", ["EPSG:4544", "EPSG:4490", "EPSG:3857"])
def test_overlap_reports_each_pair_once_with_its_ellipsoidal_area(crs):
    # A and B are 100 m squares overlapping by 10 m × 100 m = 1000 m² planar (1.5 mu);
    # C touches B along an edge, D touches C at a corner: neither is an overlap.
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "B", "geometry": sq(90, 0, 100)},
            {"parcel_id": "C", "geometry": sq(190, 0, 100)},
            {"parcel_id": "D", "geometry": sq(290, 100, 100)},
        ]
    ).to_crs(crs)
    problems = find_problems(park_of(parcels))
    assert codes(problems) == ["overlap"]
    (p,) = problems
    assert (p.parcel_id, p.row, p.details["other_parcel_id"], p.details["other_row"]) == (
        "A",
        1,
        "B",
        2,
    )
    # Same figure whatever the CRS: the area is taken on the ellipsoid.
    assert p.details["overlap_m2"] == pytest.approx(1000 / K2, rel=1e-4)
    assert p.details["overlap_mu"] == pytest.approx(mu(1000), rel=1e-4)
    assert p.severity == "error"
    assert "A" in p.message and "B" in p.message and "1.50 mu" in p.message


def test_three_parcels_overlapping_give_three_pairs():
    parcels = parcels_of(
        [{"parcel_id": k, "geometry": sq(10 * i, 0, 100)} for i, k in enumerate("ABC")]
    )
    pairs = [(p.parcel_id, p.details["other_parcel_id"]) for p in find_problems(park_of(parcels))]
    assert pairs == [("A", "B"), ("A", "C"), ("B", "C")]


def test_overlap_of_a_parcel_inside_another_is_its_whole_area():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "B", "geometry": sq(20, 20, 30)},
        ]
    )
    (p,) = find_problems(park_of(parcels))
    assert p.details["overlap_m2"] == pytest.approx(900 / K2, rel=1e-4)


def test_overlap_below_one_square_metre_is_ignored():
    # 0.008 m × 100 m = 0.8 m²: digitising noise.
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "B", "geometry": sq(99.992, 0, 100)},
        ]
    )
    assert find_problems(park_of(parcels)) == []
    # 0.02 m × 100 m = 2 m² is reported.
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "B", "geometry": sq(99.98, 0, 100)},
        ]
    )
    (p,) = find_problems(park_of(parcels))
    assert p.details["overlap_m2"] == pytest.approx(2 / K2, rel=1e-3)


def test_overlaps_in_a_large_grid_are_found_and_touching_cells_are_not():
    # 40 × 40 touching 25 m cells, two of them widened by 5 m into their east neighbour.
    rows = [
        {"parcel_id": f"G{i}-{j}", "geometry": sq(25 * i, 25 * j, 25)}
        for j in range(40)
        for i in range(40)
    ]
    rows[5]["geometry"] = sq(125, 0, 30, 25)  # G5-0 into G6-0
    rows[1000]["geometry"] = sq(0, 625, 30, 25)  # G0-25 into G1-25
    problems = find_problems(park_of(parcels_of(rows)))
    assert [(p.parcel_id, p.details["other_parcel_id"]) for p in problems] == [
        ("G5-0", "G6-0"),
        ("G0-25", "G1-25"),
    ]
    assert all(p.details["overlap_m2"] == pytest.approx(125 / K2, rel=1e-4) for p in problems)


def test_gap_between_neighbours_is_reported_with_its_area_and_neighbours():
    # A and B are 100 m squares 2 m apart; C (top) and D (bottom) close the slot:
    # a gap of 2 m × 100 m = 200 m² planar = 0.3 mu.
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "B", "geometry": sq(102, 0, 100)},
            {"parcel_id": "C", "geometry": sq(0, 100, 202, 50)},
            {"parcel_id": "D", "geometry": sq(0, -50, 202, 50)},
        ]
    )
    problems = find_problems(park_of(parcels))
    assert codes(problems) == ["gap"]
    (p,) = problems
    assert p.severity == "warning"
    assert p.details["gap_m2"] == pytest.approx(200 / K2, rel=1e-4)
    assert p.details["gap_mu"] == pytest.approx(mu(200), rel=1e-4)
    assert p.details["neighbour_parcel_ids"] == ["A", "B", "C", "D"]
    assert p.details["neighbour_rows"] == [1, 2, 3, 4]
    assert "0.30 mu" in p.message and "A, B, C, D" in p.message


def test_hole_larger_than_gap_max_is_unmapped_land_not_a_gap():
    # The same ring with a 100 m slot: 10 000 m² ≈ 15 mu > 5 mu.
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "B", "geometry": sq(200, 0, 100)},
            {"parcel_id": "C", "geometry": sq(0, 100, 300, 50)},
            {"parcel_id": "D", "geometry": sq(0, -50, 300, 50)},
        ]
    )
    assert find_problems(park_of(parcels)) == []
    assert codes(find_problems(park_of(parcels), gap_max_mu=20)) == ["gap"]


def test_sliver_by_area_and_by_thinness():
    parcels = parcels_of(
        [
            # 5 m × 5 m = 25 m² = 0.0375 mu < 0.1 mu.
            {"parcel_id": "S", "geometry": sq(0, 0, 5)},
            # 300 m × 4 m: thinness 4π·1200/608² = 0.041 < 0.05.
            {"parcel_id": "T", "geometry": sq(0, 100, 300, 4), "land_use": "industrial"},
            # The same strip as a road is not a sliver.
            {"parcel_id": "R", "geometry": sq(0, 200, 300, 4), "land_use": "road"},
            # 300 m × 6 m: thinness 4π·1800/612² = 0.060, not a sliver.
            {"parcel_id": "W", "geometry": sq(0, 300, 300, 6)},
        ]
    )
    problems = find_problems(park_of(parcels))
    assert [(p.code, p.parcel_id) for p in problems] == [("sliver", "S"), ("sliver", "T")]
    small, thin = problems
    assert small.severity == "warning"
    assert small.details["area_mu"] == pytest.approx(mu(25), rel=1e-4)
    assert "0.037 mu" in small.message
    assert thin.details["thinness"] == pytest.approx(
        4 * 3.141592653589793 * 1200 / 608**2, rel=1e-6
    )
    assert thin.details["width_m"] == pytest.approx(4.0, rel=1e-3)
    assert "4.0 m wide" in thin.message


def test_sliver_thinness_is_the_same_in_degrees():
    parcels = parcels_of([{"parcel_id": "T", "geometry": sq(0, 100, 300, 4)}]).to_crs("EPSG:4490")
    (p,) = find_problems(park_of(parcels))
    assert p.code == "sliver"
    assert p.details["thinness"] == pytest.approx(0.0408, abs=2e-4)
    assert p.details["width_m"] == pytest.approx(4.0, rel=2e-3)


def test_bow_tie_is_invalid_and_its_area_before_is_both_lobes():
    # Crossing at (50, 50): two triangles of 50 × 100 / 2 = 2500 m² each, 5000 m² = 7.5 mu.
    bow_tie = Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100)])
    parcels = parcels_of([{"parcel_id": "A", "geometry": bow_tie}])
    (p,) = find_problems(park_of(parcels))
    assert (p.code, p.severity, p.parcel_id, p.row) == ("invalid_geometry", "error", "A", 1)
    assert "Self-intersection" in p.details["reason"]
    assert p.details["area_before_mu"] == pytest.approx(mu(5000), rel=1e-4)
    assert p.details["area_after_repair_mu"] == pytest.approx(mu(5000), rel=1e-4)
    # buffer(0) keeps one lobe; the ring as written cancels the lobes.
    assert p.details["area_after_buffer0_mu"] == pytest.approx(mu(2500), rel=1e-4)
    assert p.details["area_as_written_mu"] == pytest.approx(0, abs=1e-3)
    assert "7.50 mu" in p.message and "do not repair" not in p.message


def test_repair_that_changes_the_area_is_escalated():
    # A 20 m square part drawn inside a 100 m square part: make_valid's default
    # (linework) turns it into a hole, 10 000 -> 9 600 m² (-4 %).
    nested = MultiPolygon([sq(0, 0, 100), sq(20, 20, 20)])
    parcels = parcels_of([{"parcel_id": "A", "geometry": nested}])
    (p,) = find_problems(park_of(parcels))
    assert p.code == "invalid_geometry"
    assert p.details["area_before_mu"] == pytest.approx(mu(10_000), rel=1e-4)
    assert p.details["area_after_repair_mu"] == pytest.approx(mu(9_600), rel=1e-4)
    assert p.details["change_pct"] == pytest.approx(-4.0, abs=1e-3)
    assert "do not repair automatically" in p.message and "-4.00%" in p.message


def test_invalid_parcel_still_counts_in_overlaps_after_structure_repair():
    bow_tie = Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100)])
    parcels = parcels_of(
        [{"parcel_id": "A", "geometry": bow_tie}, {"parcel_id": "B", "geometry": sq(90, 0, 100)}]
    )
    problems = find_problems(park_of(parcels))
    assert codes(problems) == ["invalid_geometry", "overlap"]
    # The right lobe is 2x - 100 m high at x (50..100), so its part over B (x 90..100)
    # is the integral of (2x - 100) dx from 90 to 100 = 900 m².
    assert problems[1].details["overlap_m2"] == pytest.approx(900 / K2, rel=1e-4)


def test_null_empty_and_non_polygon_geometries():
    parcels = parcels_of(
        [
            {"parcel_id": "N", "geometry": None},
            {"parcel_id": "E", "geometry": Polygon()},
            {"parcel_id": "L", "geometry": LineString([(X, Y), (X + 100, Y)])},
        ]
    )
    problems = find_problems(park_of(parcels))
    assert [(p.code, p.parcel_id, p.row) for p in problems] == [
        ("null_geometry", "N", 1),
        ("empty_geometry", "E", 2),
        ("not_polygon", "L", 3),
    ]
    assert all(p.severity == "error" for p in problems)
    assert "LineString" in problems[2].message


def test_missing_crs_is_reported_and_area_checks_skipped():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "B", "geometry": sq(90, 0, 100)},
        ],
        crs=None,
    )
    problems = find_problems(park_of(parcels))  # does not raise
    assert codes(problems) == ["missing_crs"]
    assert problems[0].severity == "error" and "--crs" in problems[0].message


def test_suspect_axis_order_when_northing_and_easting_are_swapped():
    swapped = box(Y, X, Y + 100, X + 100)  # x holds the northing, y the easting
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": swapped},
            {"parcel_id": "B", "geometry": box(Y + 50, X, Y + 150, X + 100)},
        ]
    )
    problems = find_problems(park_of(parcels))
    assert codes(problems) == ["suspect_axis_order"]  # and no overlap: areas would be wrong
    assert "swapped" in problems[0].message.lower()
    assert problems[0].details["bounds"] == [Y, X, Y + 150, X + 100]


def test_suspect_axis_order_for_latitude_longitude():
    parcels = parcels_of(
        [{"parcel_id": "A", "geometry": box(32.30, 105.96, 32.301, 105.961)}], crs="EPSG:4490"
    )
    assert codes(find_problems(park_of(parcels))) == ["suspect_axis_order"]


# -- fields and values -------------------------------------------------------


def test_area_mismatch_beyond_tolerance_with_both_figures():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100), "declared_area_mu": 16.0},
            {"parcel_id": "B", "geometry": sq(200, 0, 100), "declared_area_mu": 15.1},  # +0.69 %
            {"parcel_id": "C", "geometry": sq(400, 0, 100), "declared_area_mu": "15.5亩"},
        ]
    )
    problems = find_problems(park_of(parcels))
    assert [(p.code, p.parcel_id) for p in problems] == [
        ("area_mismatch", "A"),
        ("area_mismatch", "C"),
    ]
    a = problems[0]
    measured = mu(10_000)  # 14.997 mu
    assert a.severity == "warning"
    assert a.details["declared_mu"] == 16.0
    assert a.details["measured_mu"] == pytest.approx(measured, rel=1e-4)
    assert a.details["difference_pct"] == pytest.approx((16 / measured - 1) * 100, rel=1e-3)
    assert "16.00 mu" in a.message and "15.00 mu" in a.message and "+6.69%" in a.message
    assert codes(find_problems(park_of(parcels), area_tolerance=0.07)) == []


def test_duplicate_and_missing_parcel_ids():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "  ", "geometry": sq(200, 0, 100)},
            {"parcel_id": "A", "geometry": sq(400, 0, 100)},
            {"parcel_id": None, "geometry": sq(600, 0, 100)},
        ]
    )
    problems = find_problems(park_of(parcels))
    assert [(p.code, p.row, p.parcel_id) for p in problems] == [
        ("missing_parcel_id", 2, None),
        ("duplicate_parcel_id", 3, "A"),
        ("missing_parcel_id", 4, None),
    ]
    assert problems[1].details["first_row"] == 1 and "row 1" in problems[1].message


def test_unknown_status_in_the_table_and_from_the_reader_once_per_cell():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100), "acquisition_status": "征收??"},
            {"parcel_id": "B", "geometry": sq(200, 0, 100), "acquisition_status": "已征收"},
            {"parcel_id": "C", "geometry": sq(400, 0, 100), "title_status": "lost"},
        ]
    )
    issue = ValueIssue(
        "parcels",
        "acquisition_status",
        1,
        "A",
        "征收??",
        "acquisition_status '征收??' is not a known term",
    )
    problems = find_problems(park_of(parcels), value_issues=[issue, issue])
    assert [(p.code, p.row, p.details["field"]) for p in problems] == [
        ("unknown_status", 1, "acquisition_status"),
        ("unknown_status", 2, "acquisition_status"),
        ("unknown_status", 3, "title_status"),
    ]
    assert problems[0].message.startswith(
        "parcels row 1 (parcel_id=A): acquisition_status '征收??'"
    )
    assert problems[1].details["canonical"] == "acquired"  # an alias, not the code
    assert "'acquired'" in problems[1].message
    assert "issued/已办证" in problems[2].message


def test_unknown_value_for_other_vocabularies():
    parcels = parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100), "land_use": "工厂"}])
    (p,) = find_problems(park_of(parcels))
    assert (p.code, p.severity, p.details["value"]) == ("unknown_value", "error", "工厂")


def test_value_issues_map_to_codes():
    parcels = parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100)}])
    park = park_of(parcels, projects=[{"project_id": "P1", "name": "x"}])
    issues = [
        ValueIssue("parcels", "land_use", 1, "A", "工厂", "land_use '工厂' is not a known term"),
        ValueIssue(
            "parcels", "declared_area_mu", 1, "A", "三十亩", "area '三十亩' is not a number"
        ),
        ValueIssue(
            "parcels",
            "expected_acquisition",
            1,
            "A",
            "明年",
            "expected_acquisition '明年' is not a date",
        ),
        ValueIssue("projects", "stage", 1, "P1", "开干", "stage '开干' is not a known term"),
        ValueIssue("projects", "land_demand_mu", 1, "P1", "很多", "area '很多' has no known unit"),
        ValueIssue(
            "projects", "investment_wan", 1, "P1", "十亿", "investment_wan '十亿' is not a number"
        ),
    ]
    problems = find_problems(park, value_issues=issues)
    # Parcels before projects; within a row in the order of CODES.
    assert [(p.table, p.code, p.parcel_id, p.project_id) for p in problems] == [
        ("parcels", "unknown_value", "A", None),
        ("parcels", "bad_area", "A", None),
        ("parcels", "bad_date", "A", None),
        ("projects", "unknown_status", None, "P1"),
        ("projects", "bad_land_demand", None, "P1"),
        ("projects", "bad_number", None, "P1"),
    ]
    assert all(p.severity == "error" and p.row == 1 for p in problems)
    assert problems[0].message.startswith("parcels row 1 (parcel_id=A): land_use '工厂'")


def test_bad_area_and_bad_date_in_a_table_built_in_code():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100), "declared_area_mu": "三十亩"},
            {"parcel_id": "B", "geometry": sq(200, 0, 100), "declared_area_mu": -3.0},
            {"parcel_id": "C", "geometry": sq(400, 0, 100), "expected_acquisition": "明年"},
            {"parcel_id": "D", "geometry": sq(600, 0, 100), "expected_acquisition": "2024-02-30"},
            {"parcel_id": "E", "geometry": sq(800, 0, 100), "expected_acquisition": "2024年6月"},
        ]
    )
    problems = find_problems(park_of(parcels))
    assert [(p.code, p.parcel_id) for p in problems] == [
        ("bad_area", "A"),
        ("bad_area", "B"),
        ("bad_date", "C"),
        ("bad_date", "D"),
    ]
    assert "'三十亩'" in problems[0].message and "-3.0" in problems[1].message


def test_bad_land_demand_negative_or_unparseable_but_written_areas_parse():
    projects = [
        {"project_id": "P1", "name": "a", "land_demand_mu": "约30亩"},
        {"project_id": "P2", "name": "b", "land_demand_mu": -5.0},
        {"project_id": "P3", "name": "c", "land_demand_mu": "很多"},
        {"project_id": "P4", "name": "d", "land_demand_mu": "2公顷"},
        {"project_id": "P5", "name": "e", "land_demand_mu": None},
    ]
    park = park_of(parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100)}]), projects=projects)
    problems = find_problems(park)
    assert [(p.code, p.table, p.row, p.project_id) for p in problems] == [
        ("bad_land_demand", "projects", 2, "P2"),
        ("bad_land_demand", "projects", 3, "P3"),
    ]
    assert "'很多'" in problems[1].message


def test_bad_number():
    projects = [
        {"project_id": "P1", "name": "a", "investment_wan": "1,000"},
        {"project_id": "P2", "name": "b", "investment_wan": "十亿"},
    ]
    park = park_of(parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100)}]), projects=projects)
    assert [(p.code, p.project_id) for p in find_problems(park)] == [("bad_number", "P2")]


def test_missing_field_and_missing_value():
    parcels = parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100)}]).drop(
        columns="acquisition_status"
    )
    (p,) = find_problems(park_of(parcels))
    assert (p.code, p.severity, p.details["field"], p.row) == (
        "missing_field",
        "error",
        "acquisition_status",
        None,
    )
    assert "--field acquisition_status=" in p.message

    blank = parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100), "acquisition_status": "-"}])
    assert [(p.code, p.row) for p in find_problems(park_of(blank))] == [("missing_value", 1)]


def test_missing_geometry_column_is_a_missing_field():
    parcels = pd.DataFrame({"parcel_id": ["A"], "acquisition_status": ["acquired"]})
    problems = find_problems(park_of(parcels))
    assert [(p.code, p.details["field"]) for p in problems] == [("missing_field", "geometry")]


def test_missing_field_of_projects():
    park = park_of(
        parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100)}]),
        projects=[{"project_id": "P1", "stage": "signed"}],
    )
    assert [(p.code, p.table, p.details["field"]) for p in find_problems(park)] == [
        ("missing_field", "projects", "name")
    ]


# -- projects and allocations ------------------------------------------------


def test_unknown_project_both_ways():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100), "project_id": "P1"},
            {"parcel_id": "B", "geometry": sq(200, 0, 100), "project_id": "P9"},
            {"parcel_id": "C", "geometry": sq(400, 0, 100), "project_id": "P1；P8"},
        ]
    )
    projects = [{"project_id": "P1", "name": "中纺油脂", "parcel_ids": "A、Z; Y"}]
    problems = find_problems(park_of(parcels, projects=projects))
    assert [(p.code, p.table, p.row, p.parcel_id, p.project_id) for p in problems] == [
        ("unknown_project", "parcels", 2, "B", "P9"),
        ("unknown_project", "parcels", 3, "C", "P8"),  # a parcel may list several projects
        ("unknown_project", "projects", 1, None, "P1"),
    ]
    assert problems[2].details["missing_parcel_ids"] == ["Z", "Y"]
    assert "P9" in problems[0].message and "Z, Y" in problems[2].message


def test_duplicate_and_missing_project_ids():
    projects = [
        {"project_id": "P1", "name": "a"},
        {"project_id": None, "name": "b"},
        {"project_id": "P1", "name": "c"},
    ]
    park = park_of(parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100)}]), projects=projects)
    problems = find_problems(park)
    assert [(p.code, p.table, p.row, p.project_id) for p in problems] == [
        ("missing_project_id", "projects", 2, None),
        ("duplicate_project_id", "projects", 3, "P1"),
    ]


def test_allocation_unknown():
    park = park_of(
        parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100)}]),
        projects=[{"project_id": "P1", "name": "a"}],
        allocations=[
            {"project_id": "P1", "parcel_id": "A", "mu": 5.0},
            {"project_id": "P1", "parcel_id": "Z", "mu": 5.0},
            {"project_id": "P9", "parcel_id": "A", "mu": 5.0},
        ],
    )
    problems = find_problems(park)
    assert [(p.code, p.table, p.row, p.parcel_id, p.project_id) for p in problems] == [
        ("allocation_unknown", "allocations", 2, "Z", "P1"),
        ("allocation_unknown", "allocations", 3, "A", "P9"),
    ]
    assert "'Z'" in problems[0].message and "'P9'" in problems[1].message


def test_over_allocated_beyond_measured_area():
    # Each parcel is a 100 m square measuring 14.997 mu.
    parcels = parcels_of(
        [{"parcel_id": k, "geometry": sq(200 * i, 0, 100)} for i, k in enumerate("ABC")]
    )
    allocations = [
        {"project_id": "P1", "parcel_id": "A", "mu": 8.0},  # 8 + 7 = 15: +0.02 %, within 0.1 %
        {"project_id": "P2", "parcel_id": "A", "mu": 7.0},
        {"project_id": "P1", "parcel_id": "B", "mu": 10.0},  # 10 + 6 = 16: over by 1.003 mu
        {"project_id": "P2", "parcel_id": "B", "mu": "6亩"},
        {"project_id": "P1", "parcel_id": "C", "mu": None},  # takes the rest: never over
        {"project_id": "P2", "parcel_id": "C", "mu": 1.0},
    ]
    park = park_of(
        parcels,
        projects=[{"project_id": "P1", "name": "a"}, {"project_id": "P2", "name": "b"}],
        allocations=allocations,
    )
    problems = find_problems(park)
    assert [(p.code, p.table, p.row, p.parcel_id) for p in problems] == [
        ("over_allocated", "allocations", 3, "B")
    ]
    b = problems[0]
    assert b.details["allocated_mu"] == 16.0
    assert b.details["measured_mu"] == pytest.approx(mu(10_000), rel=1e-4)
    assert b.details["over_mu"] == pytest.approx(16 - mu(10_000), rel=1e-3)
    assert b.details["allocation_rows"] == [3, 4] and b.details["project_ids"] == ["P1", "P2"]


def test_bad_allocated_area_and_blank_ids():
    park = park_of(
        parcels_of([{"parcel_id": "A", "geometry": sq(0, 0, 100)}]),
        projects=[{"project_id": "P1", "name": "a"}],
        allocations=[
            {"project_id": "P1", "parcel_id": "A", "mu": "一半"},
            {"project_id": "P1", "parcel_id": None, "mu": 1.0},
        ],
    )
    problems = find_problems(park)
    assert [(p.code, p.table, p.row) for p in problems] == [
        ("bad_area", "allocations", 1),
        ("missing_value", "allocations", 2),
    ]


def test_open_strip_between_neighbours_is_a_narrow_gap():
    # B's west edge leans: 2 m from A at the bottom, 1 m at the top; no parcel closes the strip.
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "B", "geometry": Polygon(
                [(X + 102, Y), (X + 202, Y), (X + 202, Y + 100), (X + 101, Y + 100)])},
        ]
    )  # fmt: skip
    (p,) = find_problems(park_of(parcels))
    assert (p.code, p.severity, p.parcel_id, p.details["other_parcel_id"]) == (
        "narrow_gap", "warning", "A", "B"
    )  # fmt: skip
    assert p.details["narrowest_m"] == pytest.approx(1.0, abs=1e-9)
    # From A's corner (100, 0) square to B's leaning edge: 2 m across, cos of the lean.
    assert p.details["widest_m"] == pytest.approx(2 / (1 + 0.01**2) ** 0.5, abs=1e-9)
    assert p.details["length_m"] == pytest.approx(100.0, abs=1e-9)


def test_strip_wider_than_gap_width_is_not_a_narrow_gap():
    parcels = parcels_of(
        [
            {"parcel_id": "A", "geometry": sq(0, 0, 100)},
            {"parcel_id": "B", "geometry": sq(104, 0, 100)},
        ]
    )
    assert find_problems(park_of(parcels)) == []
    assert codes(find_problems(park_of(parcels), gap_width_m=5.0)) == ["narrow_gap"]
