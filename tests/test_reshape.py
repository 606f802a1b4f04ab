"""Splits (分宗) and merges (合宗) recorded in a park GeoPackage: the write, the CLI, the ledger.

The park of these tests (:func:`grid_park`): a 2 × 2 block of 100 m squares at
the central meridian of EPSG:4544 (500 000, 3 577 000), where a square measures
15 mu on the ellipsoid to 1e-9 — so a part 60 m wide is 9 mu, one 40 m wide
6 mu, two squares merged 30 mu — and a square apart held by a project. Its log
already holds a retirement (T-X, on 2023-01-01: in ``retired_parcels``), a
boundary change (T-B, 2023-06-01: its old, 90 m wide boundary in
``parcel_versions``) and a status change (T-A acquired on 2023-09-01); the
owners' names are private.

:func:`parkgis.io.gpkg.record_reshape` writes only the parcels involved; what
a reading gives afterwards must be exactly what
:func:`parkgis.io.gpkg.rewrite_park` (``import --update``, the way of earlier
versions) gives for the same change, today and ``--as-of`` any date.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import box

from parkgis.cli import cli
from parkgis.errors import DataError, InputError
from parkgis.io.gpkg import (
    create_park,
    read_park,
    record_park_changes,
    record_reshape,
    reshape_park,
    rewrite_park,
)
from parkgis.measure.area import gross_area_mu
from parkgis.model.history import Event, StatusChange, events_frame, events_of
from parkgis.model.park import VERSION_COLUMNS, Manifest, Park
from parkgis.model.reshape import merge_parcels, reshape_events, reshaped, split_parcel
from tests.conftest import REPO

X0, Y0 = 500_000.0, 3_577_000.0  # the central meridian of EPSG:4544: squares measure true
AT = "2024-06-01T09:00:00+08:00"
BY = "王工"
CELLS = {"T-A": (0, 0), "T-B": (100, 0), "T-C": (0, 100), "T-D": (100, 100), "T-E": (400, 0)}
OWNERS = {"T-A": "张三", "T-B": "李四", "T-C": "王五", "T-D": "赵六", "T-E": "钱七"}


def square(x: float, y: float, width: float = 100, height: float = 100):
    """A rectangle of the grid: its south-west corner (x, y) metres from the grid's."""
    return box(X0 + x, Y0 + y, X0 + x + width, Y0 + y + height)


def grid_park(path: Path) -> Path:
    """The park described in the module's notes, as a park GeoPackage."""
    ids = list(CELLS)
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": ids,
            "name": ["甲", "乙", "丙", "丁", "戊"],
            "zone": ["一区"] * 5,
            "acquisition_status": ["acquired", "acquired", "acquired", "unacquired", "acquired"],
            "declared_area_mu": [15.0] * 5,
            "status_date": ["2023-09-01", None, None, None, None],
            "owner_name": [OWNERS[p] for p in ids],
        },
        geometry=[square(*CELLS[p]) for p in ids],
        crs="EPSG:4544",
    )
    retired = gpd.GeoDataFrame(
        {"parcel_id": ["T-X"], "name": ["旧地块"], "zone": ["一区"],
         "acquisition_status": ["acquired"], "declared_area_mu": [15.0], "status_date": [None],
         "retired_on": ["2023-01-01"]},
        geometry=[square(600, 0)], crs="EPSG:4544",
    )  # fmt: skip
    versions = gpd.GeoDataFrame(
        {"parcel_id": ["T-B"], "version": [1], "valid_from": [None],
         "valid_to": ["2023-06-01"], "seq": [2]},
        geometry=[square(100, 0, width=90)], crs="EPSG:4544",
    )[[*VERSION_COLUMNS, "geometry"]]  # fmt: skip
    at = "2023-09-02T09:00:00+08:00"
    log = events_frame([
        Event("parcel", "T-X", "retired", None, "true", dt.date(2023, 1, 1), at, BY, seq=1),
        Event("parcel", "T-B", "geometry", "1", "2", dt.date(2023, 6, 1), at, BY, seq=2),
        Event("parcel", "T-A", "acquisition_status", "acquiring", "acquired",
              dt.date(2023, 9, 1), at, BY, seq=3),
    ])  # fmt: skip
    projects = pd.DataFrame({"project_id": ["P1"], "name": ["粮库"], "stage": ["construction"]})
    allocations = pd.DataFrame(
        {"project_id": ["P1"], "parcel_id": ["T-E"], "mu": [15.0], "allocated_on": ["2023-03-01"]}
    )
    park = Park(
        Manifest("grid", title="网格园区", private_fields=("owner_name",)),
        parcels,
        projects=projects,
        allocations=allocations,
        events=log,
        retired=retired,
        versions=versions,
    )
    return create_park(park, path)


@pytest.fixture
def park_file(tmp_path: Path) -> Path:
    return grid_park(tmp_path / "park.gpkg")


def halves(pid: str = "T-A", *, at: float = 60, ids: tuple[str, str] = ("T-A1", "T-A2")):
    """The parts of square ``pid`` cut at ``at`` metres from its west side."""
    x, y = CELLS[pid]
    return gpd.GeoDataFrame(
        {"parcel_id": list(ids), "name": ["东", "西"]},
        geometry=[square(x, y, width=at), square(x + at, y, width=100 - at)],
        crs="EPSG:4544",
    )


def copy_file(source: Path, target: Path) -> Path:
    """A consistent copy of a park GeoPackage, whatever its WAL holds (SQLite's backup)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    with src, dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def rewritten(path: Path, make, *, date: dt.date, note: str, evidence=None) -> tuple:
    """The change written the way of earlier versions: ``rewrite_park`` (``import --update``)."""
    recorded: list[Event] = []

    def build(old: Park) -> Park:
        change = make(old)
        events = reshape_events(old, change, date=date, by=BY, recorded_at=AT, note=note)
        recorded.extend(replace(e, evidence=evidence) for e in events)
        return reshaped(old, change).replace(events=events_frame([*events_of(old.events),
                                                                  *recorded]))  # fmt: skip

    rewrite_park(path, build)
    return tuple(recorded)


def recorded(path: Path, make, *, date: dt.date, note: str, evidence=None, park=None) -> tuple:
    return reshape_park(path, make, date=date, by=BY, note=note, evidence=evidence,
                        recorded_at=AT, park=park)  # fmt: skip


def assert_same_park(a: Park, b: Park) -> None:
    assert a.manifest == b.manifest
    assert_geodataframe_equal(a.parcels, b.parcels)
    assert_geodataframe_equal(a.constraints, b.constraints)
    for table in ("projects", "targets", "allocations", "events"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))
    for layer in ("retired", "versions"):
        x, y = getattr(a, layer), getattr(b, layer)
        assert (x is None) == (y is None), layer
        if x is not None:
            assert_geodataframe_equal(x, y)
    assert a.value_issues == b.value_issues


def private_rows(path: Path) -> list[tuple]:
    """The rows of ``private_fields`` (without fid), sorted."""
    with sqlite3.connect(path) as con:
        names = [r[1] for r in con.execute("PRAGMA table_info(private_fields)") if r[1] != "fid"]
        rows = con.execute(f"SELECT {', '.join(names)} FROM private_fields").fetchall()
    con.close()
    return sorted(rows, key=repr)


def state_of(path: Path) -> tuple[Park, list[tuple]]:
    return read_park(path, private=True), private_rows(path)


def mu_of(park: Park, pid: str) -> float:
    return float(gross_area_mu(park.parcels[park.parcels["parcel_id"] == pid]).iloc[0])


# --------------------------------------------------------------------------- the write

MARCH, APRIL = dt.date(2024, 3, 1), dt.date(2024, 4, 1)
STEPS = {
    "split": [(lambda p: split_parcel(p, "T-A", halves()), MARCH)],
    "merge": [(lambda p: merge_parcels(p, ["T-A", "T-B"], "M-1", name="合一"), MARCH)],
    "merge three": [(lambda p: merge_parcels(p, ["T-C", "T-A", "T-B"], "M-3"), MARCH)],
    "split then merge a part": [
        (lambda p: split_parcel(p, "T-A", halves()), MARCH),
        (lambda p: merge_parcels(p, ["T-A2", "T-B"], "M-2"), APRIL),
    ],
}
DAYS = [dt.date(2022, 12, 31), dt.date(2023, 7, 1), dt.date(2024, 2, 29), MARCH,
        dt.date(2024, 3, 31), APRIL, dt.date(2024, 5, 31)]  # fmt: skip


@pytest.mark.parametrize("steps", STEPS.values(), ids=STEPS.keys())
def test_the_write_reads_back_as_rewrite_park_writes_it(park_file, tmp_path, steps):
    old, new = (
        copy_file(park_file, tmp_path / "old.gpkg"),
        copy_file(park_file, tmp_path / "new.gpkg"),
    )
    for make, day in steps:
        events = recorded(new, make, date=day, note="分宗合宗", evidence="测量报告")
        assert events == rewritten(old, make, date=day, note="分宗合宗", evidence="测量报告")
    assert_same_park(read_park(old, private=True), read_park(new, private=True))
    assert private_rows(old) == private_rows(new)
    for day in DAYS:
        assert_same_park(read_park(old, as_of=day, private=True),
                         read_park(new, as_of=day, private=True))  # fmt: skip


def test_a_split_as_the_planner_sees_it(park_file):
    events = recorded(park_file, STEPS["split"][0][0], date=MARCH, note="分宗测量",
                      evidence="分宗测量报告 2024-02")  # fmt: skip
    assert [(e.seq, e.entity_id, e.field, e.from_, e.to) for e in events] == [
        (4, "T-A", "split", "T-A", "T-A1,T-A2"),
        (5, "T-A", "retired", None, "true"),
        (6, "T-A1", "added", None, "true"),
        (7, "T-A2", "added", None, "true"),
    ]
    assert {(e.date, e.by, e.evidence) for e in events} == {(MARCH, BY, "分宗测量报告 2024-02")}
    park = read_park(park_file, private=True)
    rows = park.parcels.set_index("parcel_id")
    assert sorted(rows.index) == ["T-A1", "T-A2", "T-B", "T-C", "T-D", "T-E"]
    for pid, name, mu in (("T-A1", "东", 9.0), ("T-A2", "西", 6.0)):
        assert mu_of(park, pid) == pytest.approx(mu, abs=1e-6)
        assert (rows.loc[pid, "name"], rows.loc[pid, "derived_from"]) == (name, "T-A")
        assert rows.loc[pid, "acquisition_status"] == "acquired"
        assert rows.loc[pid, "status_date"] == "2023-09-01"
        assert rows.loc[pid, "owner_name"] == "张三"  # the private field goes with the parts
    assert "owner_name" not in read_park(park_file).parcels.columns
    retired = park.retired.set_index("parcel_id")
    assert retired.loc["T-A", "retired_on"] == "2024-03-01"
    assert retired.loc["T-X", "retired_on"] == "2023-01-01"
    # --as-of the day before: T-A back, whole, as it was; 2023-07-01: still being acquired.
    before = read_park(park_file, as_of=dt.date(2024, 2, 29))
    assert sorted(before.parcels["parcel_id"]) == ["T-A", "T-B", "T-C", "T-D", "T-E"]
    assert mu_of(before, "T-A") == pytest.approx(15.0, abs=1e-6)
    earlier = read_park(park_file, as_of=dt.date(2023, 7, 1)).parcels.set_index("parcel_id")
    assert earlier.loc["T-A", "acquisition_status"] == "acquiring"
    assert read_park(park_file, as_of=MARCH).parcels["parcel_id"].tolist() == [
        "T-B", "T-C", "T-D", "T-E", "T-A1", "T-A2"]  # fmt: skip


def test_a_merge_sums_the_declared_areas_and_joins_the_owners(park_file):
    recorded(park_file, STEPS["merge"][0][0], date=MARCH, note="合宗批复")
    park = read_park(park_file, private=True)
    merged = park.parcels.set_index("parcel_id").loc["M-1"]
    assert (merged["name"], merged["derived_from"]) == ("合一", "T-A,T-B")
    assert merged["declared_area_mu"] == 30.0
    assert merged["owner_name"] == "张三；李四"
    assert mu_of(park, "M-1") == pytest.approx(30.0, abs=1e-6)
    assert sorted(park.retired["parcel_id"]) == ["T-A", "T-B", "T-X"]
    # T-B's old boundary is still there for a date before its change, through its retirement.
    assert mu_of(read_park(park_file, as_of=dt.date(2023, 5, 1)), "T-B") == pytest.approx(13.5)


def test_a_change_elsewhere_meanwhile_is_no_obstacle(park_file):
    """A reading older than the file: the change is recorded after the log as it is now."""
    park = read_park(park_file, private=True)
    change = split_parcel(park, "T-A", halves())
    events = reshape_events(park, change, date=MARCH, by=BY, recorded_at=AT, note="分宗")
    other = StatusChange("T-D", "acquisition_status", "acquiring", MARCH, "李工")
    record_park_changes(park_file, [other], recorded_at=AT)  # seq 4, by someone else
    written = record_reshape(park_file, change, events)
    assert [e.seq for e in events] == [4, 5, 6, 7]
    assert [e.seq for e in written] == [5, 6, 7, 8]
    log = read_park(park_file).events
    assert log["seq"].tolist() == list(range(1, 9))
    assert log["entity_id"].tolist()[3:] == ["T-D", "T-A", "T-A", "T-A1", "T-A2"]


def _concurrent(park_file: Path, what: str) -> None:
    """Someone else changes the park between the reading and the write."""
    if what == "gone":
        recorded(park_file, lambda p: merge_parcels(p, ["T-A", "T-B"], "M-9"), date=MARCH,
                 note="合宗")  # fmt: skip
    elif what == "taken":
        recorded(park_file, lambda p: split_parcel(p, "T-C", halves("T-C", ids=("T-A2", "C2"))),
                 date=MARCH, note="分宗")  # fmt: skip
    elif what == "changed":
        change = StatusChange("T-A", "acquisition_status", "leveled", MARCH, "李工")
        record_park_changes(park_file, [change], recorded_at=AT)
    else:  # "allocated": a newer ledger allocates T-A (no event: allocations have no log)
        rows = pd.DataFrame(
            {
                "project_id": ["P1", "P1"],
                "parcel_id": ["T-E", "T-A"],
                "mu": ["15.0", "15.0"],
                "allocated_on": ["2023-03-01", None],
            }
        )
        rewrite_park(park_file, lambda p: p.replace(allocations=rows))


@pytest.mark.parametrize(
    ("what", "en", "zh"),
    [
        ("gone", "parcel(s) T-A no longer in the park", "地块 T-A 已不在园区中"),
        ("taken", "the new id(s) are taken: T-A2 (a parcel of the park)", "新编号已被使用"),
        ("changed", "changed since the park was read (#4 T-A acquisition_status (2024-03-01))",
         "读取园区后地块已有变更"),
        ("allocated", "allocations name the parcel(s) (T-A → P1)", "用地分配中仍有这些地块"),
    ],
)  # fmt: skip
def test_a_concurrent_change_of_the_parcels_involved_is_refused(park_file, what, en, zh):
    park = read_park(park_file, private=True)
    change = split_parcel(park, "T-A", halves())
    events = reshape_events(park, change, date=MARCH, by=BY, recorded_at=AT, note="分宗")
    _concurrent(park_file, what)
    before = state_of(park_file)
    with pytest.raises(DataError) as refused:
        record_reshape(park_file, change, events)
    assert en in refused.value.text("en")
    assert zh in refused.value.text("zh")
    if what in ("gone", "changed"):
        assert "read the park again and redo the change" in refused.value.text("en")
    after = state_of(park_file)
    assert_same_park(before[0], after[0])  # nothing written
    assert before[1] == after[1]


def test_events_that_do_not_record_the_change_are_refused(park_file):
    park = read_park(park_file, private=True)
    change = split_parcel(park, "T-A", halves())
    events = reshape_events(park, change, date=MARCH, by=BY, recorded_at=AT, note="分宗")
    before = state_of(park_file)
    no_retirement = [e for e in events if e.field != "retired"]
    with pytest.raises(DataError, match="T-A leave or enter the park without the 'retired'"):
        record_reshape(park_file, change, [replace(e, seq=4 + k)
                                           for k, e in enumerate(no_retirement)])  # fmt: skip
    with pytest.raises(DataError, match="numbered after the log"):
        record_reshape(park_file, change, [replace(e, seq=None) for e in events])
    stray = Event("parcel", "T-C", "name", "丙", "x", MARCH, AT, BY, seq=8)
    with pytest.raises(DataError, match=r"event #8 \(parcel T-C name\) is not part of"):
        record_reshape(park_file, change, [*events, stray])
    assert_same_park(before[0], read_park(park_file, private=True))


def test_a_change_from_a_park_read_without_its_private_fields_is_refused(park_file):
    park = read_park(park_file)  # no owner_name: the parts would lose it
    change = split_parcel(park, "T-A", halves())
    events = reshape_events(park, change, date=MARCH, by=BY, recorded_at=AT, note="分宗")
    with pytest.raises(DataError, match="lack the park's private field"):
        record_reshape(park_file, change, events)
    assert read_park(park_file).events["seq"].tolist() == [1, 2, 3]


def test_the_date_must_follow_the_last_change_and_not_be_to_come(park_file):
    split = STEPS["split"][0][0]
    with pytest.raises(DataError) as refused:
        recorded(park_file, split, date=dt.date(2023, 8, 1), note="分宗")
    assert "parcel T-A last changed on 2023-09-01 (acquisition_status)" in refused.value.text("en")
    assert "请将分宗日期定为 2023-09-01 或更晚" in refused.value.text("zh")
    with pytest.raises(DataError, match="in the future"):
        recorded(park_file, split, date=dt.date(2024, 6, 2), note="分宗")
    with pytest.raises(DataError, match="a note is required"):
        recorded(park_file, split, date=MARCH, note="  ")
    assert read_park(park_file).events["seq"].tolist() == [1, 2, 3]


def test_the_bundled_park_is_never_changed(park_file):
    from parkgis.io.store import bundled_park_path

    park = read_park(park_file, private=True)
    change = split_parcel(park, "T-A", halves())
    events = reshape_events(park, change, date=MARCH, by=BY, recorded_at=AT, note="分宗")
    bundled = bundled_park_path()
    logged = len(read_park(bundled).events)
    with pytest.raises(InputError, match="bundled sample park"):
        record_reshape(bundled, change, events)
    assert len(read_park(bundled).events) == logged


def test_the_served_park_records_from_its_snapshot_unless_the_file_changed(park_file):
    from parkgis.serve.state import ParkState

    state = ParkState(park_file)
    state.latest()
    events = state.record_reshape(lambda p: split_parcel(p, "T-A", halves()), date=MARCH,
                                  by="editor1", note="分宗", evidence="报告")  # fmt: skip
    assert [e.seq for e in events] == [4, 5, 6, 7]
    served = state.latest().park.parcels.set_index("parcel_id")
    assert served.loc["T-A1", "owner_name"] == "张三"
    assert "T-A" not in served.index
    # Someone changes T-C outside the server: the split takes T-C as it is now.
    change = StatusChange("T-C", "acquisition_status", "leveled", APRIL, "李工")
    record_park_changes(park_file, [change], recorded_at=AT)
    state.record_reshape(lambda p: split_parcel(p, "T-C", halves("T-C", ids=("C1", "C2"))),
                         date=APRIL, by="editor1", note="分宗")  # fmt: skip
    parts = read_park(park_file).parcels.set_index("parcel_id")
    assert parts.loc[["C1", "C2"], "acquisition_status"].tolist() == ["leveled", "leveled"]


def test_a_split_and_a_merge_in_a_park_of_10000_parcels_touch_only_them(tmp_path):
    side, n = 20.0, 100  # 100 × 100 squares of 20 m: 400 m² = 0.6 mu each
    xs, ys = np.meshgrid(np.arange(n) * side, np.arange(n) * side)
    x, y = X0 + xs.ravel(), Y0 + ys.ravel()
    ids = [f"G{i:05d}" for i in range(n * n)]
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ids, "zone": "一区", "acquisition_status": "acquired",
         "owner_name": [f"户{i}" for i in range(n * n)]},
        geometry=shapely.box(x, y, x + side, y + side), crs="EPSG:4544",
    )  # fmt: skip
    path = create_park(Park(Manifest("big", private_fields=("owner_name",)), parcels),
                       tmp_path / "big.gpkg")  # fmt: skip

    def fids(table: str) -> dict[str, int]:
        with sqlite3.connect(path) as con:
            rows = dict(con.execute(f"SELECT parcel_id, fid FROM {table}").fetchall())
        con.close()
        return rows

    before = {t: fids(t) for t in ("parcels", "private_fields")}
    parts = gpd.GeoDataFrame(
        {"parcel_id": ["G00000-1", "G00000-2"]},
        geometry=[box(X0, Y0, X0 + 5, Y0 + side), box(X0 + 5, Y0, X0 + side, Y0 + side)],
        crs="EPSG:4544",
    )
    recorded(path, lambda p: split_parcel(p, "G00000", parts), date=MARCH, note="分宗")
    recorded(path, lambda p: merge_parcels(p, ["G00001", "G00002"], "GM"), date=MARCH,
             note="合宗")  # fmt: skip
    park = read_park(path, private=True)
    assert len(park.parcels) == n * n - 1 + 2 - 2 + 1
    for pid, mu in (("G00000-1", 0.15), ("G00000-2", 0.45), ("GM", 1.2)):
        assert mu_of(park, pid) == pytest.approx(mu, abs=1e-6)
    assert park.parcels.set_index("parcel_id").loc["GM", "owner_name"] == "户1；户2"
    assert sorted(park.retired["parcel_id"]) == ["G00000", "G00001", "G00002"]
    assert park.events["field"].tolist() == ["split", "retired", "added", "added",
                                             "merge", "retired", "retired", "added"]  # fmt: skip
    assert len(read_park(path, as_of=dt.date(2024, 2, 29)).parcels) == n * n
    # Proportional: every other parcel's rows (and private fields) stay where they were.
    gone = {"G00000", "G00001", "G00002"}
    for table, rows in before.items():
        after = fids(table)
        kept = {pid: fid for pid, fid in rows.items() if pid not in gone}
        assert {pid: after[pid] for pid in kept} == kept, table


# --------------------------------------------------------------------------- the command line


def parkgis(*args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("PARKGIS_USER", None)
    if user is not None:
        env["PARKGIS_USER"] = user
    return subprocess.run([sys.executable, "-m", "parkgis", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)  # fmt: skip


def parts_file(folder: Path, parts: gpd.GeoDataFrame, name: str = "分宗.geojson") -> Path:
    """The survey of the parts as the office writes it: Chinese headers, in lon/lat."""
    path = folder / name
    parts.rename(columns={"parcel_id": "宗地号", "name": "名称"}).to_crs(4326).to_file(path)
    return path


def test_split_on_the_command_line(park_file, tmp_path):
    parts = parts_file(tmp_path, halves())
    done = parkgis("split", str(park_file), "T-A", "--parts", str(parts), "--date", "2024-03-01",
                   "--note", "分宗测量", "--by", BY, "--evidence", "分宗测量报告")  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "#4 parcel T-A split: T-A → T-A1,T-A2 (2024-03-01, 王工)",
        "#5 parcel T-A retired: — → true (2024-03-01, 王工)",
        "#6 parcel T-A1 added: — → true (2024-03-01, 王工)",
        "#7 parcel T-A2 added: — → true (2024-03-01, 王工)",
    ]
    area = parkgis("area", str(park_file), "--format", "json")
    rows = {r["parcel_id"]: r["area_mu"] for r in json.loads(area.stdout)}
    assert sorted(rows) == ["T-A1", "T-A2", "T-B", "T-C", "T-D", "T-E"]
    assert (rows["T-A1"], rows["T-A2"]) == (
        pytest.approx(9.0, abs=1e-4),
        pytest.approx(6.0, abs=1e-4),
    )
    then = parkgis("area", str(park_file), "--as-of", "2024-02-29", "--format", "json")
    rows = {r["parcel_id"]: r["area_mu"] for r in json.loads(then.stdout)}
    assert sorted(rows) == ["T-A", "T-B", "T-C", "T-D", "T-E"]
    assert rows["T-A"] == pytest.approx(15.0, abs=1e-4)
    history = parkgis("history", "T-A", "--park", str(park_file), "--format", "json")
    events = json.loads(history.stdout)
    assert [(e["seq"], e["field"], e["to"]) for e in events] == [
        (3, "acquisition_status", "acquired"),
        (4, "split", "T-A1,T-A2"),
        (5, "retired", "true"),
    ]
    assert events[2]["note"] == "split into T-A1,T-A2; 分宗测量"
    assert events[2]["evidence"] == "分宗测量报告"


def test_merge_on_the_command_line_in_english_as_json(park_file):
    done = parkgis("--lang", "en", "merge", str(park_file), "T-A", "T-B", "--into", "M-1",
                   "--name", "合一", "--date", "2024-03-01", "--note", "合宗批复", "--format",
                   "json", user="李工")  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    events = json.loads(done.stdout)
    assert [
        (e["seq"], e["entity_id"], e["field"], e["from"], e["to"], e["by"]) for e in events
    ] == [
        (4, "M-1", "merge", "T-A,T-B", "M-1", "李工"),
        (5, "T-A", "retired", None, "true", "李工"),
        (6, "T-B", "retired", None, "true", "李工"),
        (7, "M-1", "added", None, "true", "李工"),
    ]
    text = parkgis("--lang", "en", "history", "--park", str(park_file), "--field", "merge")
    assert "merge" in text.stdout and "T-A,T-B" in text.stdout
    park = read_park(park_file, private=True)
    assert mu_of(park, "M-1") == pytest.approx(30.0, abs=1e-6)


def test_refusals_on_the_command_line_are_one_line(park_file, tmp_path):
    parts = parts_file(tmp_path, halves())
    folder = tmp_path / "folder"
    from parkgis.io.store import write_park

    write_park(read_park(park_file), folder)
    common = ["--date", "2024-03-01", "--note", "分宗", "--by", BY]
    for args, code, line in [
        (["split", str(park_file), "T-A", "--parts", str(parts), "--date", "2999-01-01",
          "--note", "分宗", "--by", BY], 1, "parkgis: 错误: 日期 2999-01-01 在将来"),
        (["--lang", "en", "split", str(folder), "T-A", "--parts", str(parts), *common], 2,
         f"parkgis: error: {folder} is a park folder of an earlier parkgis version"),
        (["merge", "postgresql://u@127.0.0.1:1/db?park=x", "T-A", "T-B", "--into", "M", *common],
         2, "parkgis: 错误: postgresql://u@127.0.0.1:1/db?park=x：分宗与合宗目前只能记录在园区"),
    ]:  # fmt: skip
        done = parkgis(*args)
        assert done.returncode == code, done.stderr
        assert done.stdout == ""
        assert done.stderr.startswith(line), done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert read_park(park_file).events["seq"].tolist() == [1, 2, 3]


REFUSED = [
    (["split", "T-A", "--note", " "], 1, "请填写说明（必填）"),
    (["split", "T-Z"], 1, "园区中没有地块 T-Z"),
    (["split", "T-A", "--date", "2023-08-01"], 1, "地块 T-A 最近一次变更在 2023-09-01"),
    (["split", "T-A", "--parts", "@overlapping"], 1, "各宗相互重叠（T-A1 与 T-A2：1000.0 平方米）"),
    (["split", "T-A", "--parts", "@short"], 1, "原地块有 3.0000 亩未被覆盖"),
    (["split", "T-A", "--parts", "@no_ids"], 1, "没有各宗的地块编号列"),
    (["split", "T-A", "--parts", "@missing"], 2, "文件或文件夹不存在"),
    (["split", "T-E"], 1, "用地分配中仍有这些地块（T-E → P1）"),
    (["merge", "T-A", "T-D", "--into", "M-1"], 1, "不相连"),
    (["merge", "T-C", "T-D", "--into", "M-1"], 1, "待合并地块的 acquisition_status 不一致"),
    (["merge", "T-A", "T-B", "--into", "T-C"], 1, "T-C 是园区中已有地块的编号"),
    (["merge", "T-A", "T-B", "--into", "T-X"], 1, "T-X 是已注销地块的编号"),
    (["merge", "T-A", "--into", "M-1"], 1, "请选择两宗或以上不同的地块进行合并"),
]


@pytest.mark.parametrize(("args", "code", "text"), REFUSED, ids=[r[2][:12] for r in REFUSED])
def test_what_the_commands_refuse(park_file, tmp_path, args, code, text):
    overlapping, short = halves(), halves()
    overlapping.geometry = [square(0, 0, width=60), square(50, 0, width=50)]
    short.geometry = [square(0, 0, width=60), square(60, 0, width=20)]
    files = {
        "@parts": parts_file(tmp_path, halves()),
        "@overlapping": parts_file(tmp_path, overlapping, "overlapping.geojson"),
        "@short": parts_file(tmp_path, short, "short.geojson"),
        "@no_ids": parts_file(tmp_path, halves().drop(columns="parcel_id"), "no_ids.geojson"),
        "@missing": tmp_path / "missing.geojson",
    }
    command, *rest = args
    if command == "split" and "--parts" not in rest:
        rest += ["--parts", "@parts"]
    for option, value in (("--date", "2024-03-01"), ("--note", "分宗"), ("--by", BY)):
        if option not in rest:
            rest += [option, value]
    rest = [str(files[a]) if a in files else a for a in rest]
    result = CliRunner().invoke(cli, [command, str(park_file), *rest])
    assert result.exit_code == code, result.output
    assert text in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert read_park(park_file).events["seq"].tolist() == [1, 2, 3]


# --------------------------------------------------------------------------- ledgers


def test_a_ledger_header_in_chinese_is_read_as_derived_from(park_file, tmp_path):
    from parkgis.io.importer import import_sources
    from parkgis.io.loose import read_parcel_file

    park = read_park(park_file)
    kept = park.parcels[park.parcels["parcel_id"] != "T-A"].drop(columns=["status_date"])
    parts = halves().assign(zone="一区", acquisition_status="acquired", declared_area_mu=None)
    ledger = pd.concat([kept.assign(derived_from=None), parts.assign(derived_from="T-A")],
                       ignore_index=True)  # fmt: skip
    ledger = gpd.GeoDataFrame(ledger, geometry="geometry", crs="EPSG:4544")
    for header in ("来源地块", "原地块编号", "分自", "合并自"):
        path = tmp_path / f"台账-{header}.gpkg"
        ledger.rename(columns={"derived_from": header}).to_file(path)
        frame, decisions, _ = read_parcel_file(path)
        assert f"column '{header}' → derived_from" in decisions
        assert frame["derived_from"].tolist() == [None] * 4 + ["T-A", "T-A"]
    import_sources([path], park_file, update=True, date=MARCH, by=BY, recorded_at=AT)
    events = read_park(park_file).events
    life = events[events["seq"] > 3]
    assert [(r.entity_id, r.field, r.to) for r in life.itertuples()] == [
        ("T-A", "split", "T-A1,T-A2"), ("T-A", "retired", "true"),
        ("T-A1", "added", "true"), ("T-A2", "added", "true")]  # fmt: skip


# --------------------------------------------------------------------------- SIGKILL

KILLS = 25
FORKER = r"""
import datetime as dt, json, os, signal, sys, time
import geopandas as gpd
from shapely.geometry import box
from parkgis.io.gpkg import read_park, record_reshape
from parkgis.model.reshape import merge_parcels, reshape_events, split_parcel

path = sys.argv[1]
X0, Y0 = 500_000.0, 3_577_000.0
print("ready", flush=True)
for line in sys.stdin:
    job = json.loads(line)
    park = read_park(path, private=True)
    if job["op"] == "merge":
        change = merge_parcels(park, job["ids"], job["into"])
    else:
        parts = gpd.GeoDataFrame({"parcel_id": job["into"]}, crs="EPSG:4544",
                                 geometry=[box(X0, Y0, X0 + 100, Y0 + 100),
                                           box(X0 + 100, Y0, X0 + 200, Y0 + 100)])
        change = split_parcel(park, job["ids"][0], parts)
    events = reshape_events(park, change, date=dt.date(2024, 3, 1), by="测试",
                            recorded_at=job["at"], note="kill")
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the writing process
        try:
            record_reshape(path, change, events)
        finally:
            os._exit(0)
    if job["delay"] is not None:
        time.sleep(job["delay"])
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    print(json.dumps({"killed": os.WIFSIGNALED(status), "elapsed": elapsed}), flush=True)
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork() and SIGKILL")
def test_sigkill_at_random_moments_of_a_split_or_merge_leaves_before_or_after(tmp_path):
    """Merge the two halves of a strip into one parcel, split it again, and so on; kill each."""
    rng = random.Random(20240301)
    path, scratch = tmp_path / "strip.gpkg", tmp_path / "scratch.gpkg"
    strip = gpd.GeoDataFrame(
        {"parcel_id": ["L0", "R0"], "acquisition_status": ["acquired"] * 2,
         "owner_name": ["张三", "李四"]},
        geometry=[square(0, 0), square(100, 0)], crs="EPSG:4544",
    )  # fmt: skip
    create_park(Park(Manifest("strip", private_fields=("owner_name",)), strip), path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    forker = subprocess.Popen([sys.executable, "-c", FORKER, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=tmp_path, env=env)  # fmt: skip
    assert forker.stdout.readline().strip() == "ready"
    count = iter(range(1, 10_000))

    def job(**spec):
        forker.stdin.write(json.dumps(spec) + "\n")
        forker.stdin.flush()
        return json.loads(forker.stdout.readline())

    def next_job(before: Park) -> dict:
        """Merge the two parcels into a new one, or split the one into two new ones."""
        ids = before.parcels["parcel_id"].tolist()
        k = next(count)
        into = f"M{k}" if len(ids) == 2 else [f"L{k}", f"R{k}"]
        return {"op": "merge" if len(ids) == 2 else "split", "ids": ids, "into": into, "at": AT}

    def expected_after(spec: dict) -> tuple[Park, list[tuple]]:
        copy_file(path, scratch)
        if spec["op"] == "merge":
            make = lambda p: merge_parcels(p, spec["ids"], spec["into"])  # noqa: E731
        else:
            parts = gpd.GeoDataFrame({"parcel_id": spec["into"]}, crs="EPSG:4544",
                                     geometry=[square(0, 0), square(100, 0)])  # fmt: skip
            make = lambda p: split_parcel(p, spec["ids"][0], parts)  # noqa: E731
        park = read_park(scratch, private=True)
        change = make(park)
        events = reshape_events(park, change, date=MARCH, by="测试", recorded_at=AT, note="kill")
        record_reshape(scratch, change, events)
        return state_of(scratch)

    def same(a: tuple[Park, list], b: tuple[Park, list]) -> bool:
        try:
            assert_same_park(a[0], b[0])
        except AssertionError:
            return False
        return a[1] == b[1]

    try:
        durations = [job(delay=None, **next_job(read_park(path)))["elapsed"] for _ in range(6)]
        window = 1.2 * sorted(durations)[len(durations) // 2]
        outcomes = {"before": 0, "after": 0, "interrupted": 0}
        for _ in range(KILLS):
            before = state_of(path)
            spec = next_job(before[0])
            after = expected_after(spec)
            assert not same(before, after)
            done = job(delay=rng.uniform(0, window), **spec)
            outcomes["interrupted"] += done["killed"]
            now = state_of(path)  # opens, whatever the moment of the kill
            if same(now, before):
                outcomes["before"] += 1
            else:
                assert same(now, after), f"neither before nor after: {spec} killed={done}"
                outcomes["after"] += 1
    finally:
        forker.stdin.close()
        forker.wait(timeout=60)
        forker.stdout.close()
    print(f"kills: {outcomes}; kill window (s): {window}")
    assert outcomes["interrupted"] >= KILLS // 5, (outcomes, window)
    assert outcomes["before"] >= 3 and outcomes["after"] >= 3, (outcomes, window)
    assert [p for p in os.listdir(tmp_path) if p.startswith(".")] == []
