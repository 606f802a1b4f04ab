"""The one reading of a park: problems, the parcels the figures count, and the notes."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Polygon, box

from parkgis.check.problems import CODES
from parkgis.check.reading import ACTIONS, FIGURE_TABLES, measured_parcels, read_checked
from parkgis.land.buildable import buildable_table
from parkgis.land.reserve import reserve_figures
from parkgis.land.tables import area_table
from parkgis.model.park import Manifest, Park

REPO = Path(__file__).resolve().parents[1]
# On the central meridian of EPSG:4544 a 100 m square measures 15 mu on the ellipsoid (1e-9).
X, Y = 500_000.0, 3_577_000.0


def square(i: int, side: float = 100.0) -> Polygon:
    return box(X + i * 120, Y, X + i * 120 + side, Y + side)


BOWTIE = Polygon([(X, Y), (X + 100, Y + 100), (X + 100, Y), (X, Y + 100)])  # 2 × 2,500 m²
PARTS = MultiPolygon([box(X, Y + 200, X + 100, Y + 300), box(X + 50, Y + 200, X + 150, Y + 300)])


def park_of(geoms, statuses=None, **tables) -> Park:
    n = len(geoms)
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i + 1}" for i in range(n)],
            "acquisition_status": statuses or ["acquired"] * n,
        },
        geometry=list(geoms),
        crs="EPSG:4544",
    )
    return Park(Manifest("demo", title="测试园区"), parcels, **tables)


def test_invalid_parcels_are_measured_as_validate_reports_them():
    reading = read_checked(park_of([BOWTIE, PARTS, square(3)]))
    assert [p.code for p in reading.problems] == ["invalid_geometry", "invalid_geometry"]
    assert reading.area_mu.to_dict() == pytest.approx({"P1": 7.5, "P2": 22.5, "P3": 15.0})
    # validate's "as drawn" area is the figure the reading measures, to the last digit
    before = {p.parcel_id: p.details["area_before_mu"] for p in reading.problems}
    assert before == {"P1": reading.area_mu["P1"], "P2": reading.area_mu["P2"]}
    assert [n.kind for n in reading.notes] == ["repaired", "repaired"]
    assert "7.50 亩" in reading.notes[0].zh and "7.50 mu" in reading.notes[0].en


def test_area_buildable_and_reserve_count_each_parcel_as_the_reading_measures_it():
    reading = read_checked(park_of([BOWTIE, PARTS, square(3)]))
    area = area_table(reading.measured.parcels).set_index("parcel_id")["area_mu"]
    gross = buildable_table(reading.measured).set_index("parcel_id")["gross_mu"]
    supply = pd.DataFrame(reserve_figures(reading.measured, as_of="2013-06-30")["supply_parcels"])
    for pid, mu in reading.area_mu.items():
        assert area[pid] == pytest.approx(mu, abs=1e-9)
        assert gross[pid] == pytest.approx(mu, abs=1e-9)
    assert supply.set_index("parcel_id")["gross_mu"].to_dict() == pytest.approx(
        reading.area_mu.to_dict(), abs=1e-9
    )


def test_parcels_with_nothing_to_measure_are_left_out_and_named():
    with np.errstate(invalid="ignore"):
        nan_square = Polygon([(X, Y), (X + 100, Y), (X + 100, np.nan), (X, Y + 100)])
    reading = read_checked(park_of([square(0), None, Polygon(), nan_square, square(4)]))
    assert [p.code for p in reading.problems] == [
        "null_geometry",
        "empty_geometry",
        "broken_geometry",
    ]
    assert list(reading.area_mu.index) == ["P1", "P5"]
    assert reading.rows.tolist() == [1, 5]
    (note,) = reading.notes
    assert note.kind == "left_out" and note.parcel_ids == ("P2", "P3", "P4")
    assert "P2（没有图形）" in note.zh and "P4 (coordinates that are not numbers)" in note.en
    rows = measured_parcels(reading)
    assert [(r["parcel_id"], r["counted"], r["note"]) for r in rows] == [
        ("P1", True, None),
        ("P2", False, "left_out"),
        ("P3", False, "left_out"),
        ("P4", False, "left_out"),
        ("P5", True, None),
    ]


def test_errors_stop_only_the_commands_whose_figures_use_their_table():
    overlap = box(X + 90, Y, X + 190, Y + 100)
    reading = read_checked(park_of([square(0), overlap]))
    assert [p.code for p in reading.errors] == ["overlap"]
    assert [p.code for p in reading.blocking(FIGURE_TABLES["area"])] == ["overlap"]
    assert reading.blocking(FIGURE_TABLES["targets"]) == []
    assert reading.blocking(FIGURE_TABLES["map"]) == []
    assert reading.summary("zh") == "测试园区: 1 个错误, 0 个警告"


def test_repairs_go_on_unless_strict():
    reading = read_checked(park_of([BOWTIE]))
    assert reading.blocking(FIGURE_TABLES["reserve"]) == []
    assert [p.code for p in reading.blocking(FIGURE_TABLES["reserve"], strict=True)] == [
        "invalid_geometry"
    ]
    assert [p.code for p in reading.blocking(FIGURE_TABLES["map"], strict=True)] == [
        "invalid_geometry"
    ]


def test_a_clean_park_is_measured_as_it_is():
    park = park_of([square(0), square(1)])
    reading = read_checked(park)
    assert reading.problems == () and reading.notes == () and reading.summary() is None
    assert reading.measured.parcels.geometry.equals(park.parcels.geometry)


def test_every_code_has_an_action_and_the_readme_table_says_it():
    assert set(ACTIONS) == set(CODES)
    assert set(ACTIONS.values()) <= {"refuse", "repair", "exclude", "warn"}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+)` \| (error|warning) \| (\w+) \|$", readme, re.MULTILINE)
    assert {code: (severity, action) for code, severity, action in rows} == {
        code: (CODES[code], ACTIONS[code]) for code in CODES
    }


def test_area_is_stopped_only_by_what_it_measures():
    reading = read_checked(park_of([square(0), square(1)], statuses=["acquired", "征收"]))
    assert [p.code for p in reading.errors] == ["unknown_status"]
    assert reading.blocking(FIGURE_TABLES["area"]) == []
    by_status = FIGURE_TABLES["area"] | {"parcels.acquisition_status"}  # area --by status
    assert [p.code for p in reading.blocking(by_status)] == ["unknown_status"]
    assert [p.code for p in reading.blocking(FIGURE_TABLES["reserve"])] == ["unknown_status"]
