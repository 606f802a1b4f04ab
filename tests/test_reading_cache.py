"""Remembered geometry checks: the same reading as checking again, and never a stale one."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from parkgis.check.memo import Remembered
from parkgis.check.reading import read_checked
from parkgis.io.reading_cache import ReadingCache, cache_folder, code_version
from parkgis.model.park import Manifest, Park

REPO = Path(__file__).resolve().parents[1]
X, Y = 500_000.0, 3_577_000.0  # on the central meridian of EPSG:4544: 100 m square = 15 mu


class Counting(ReadingCache):
    """A cache that counts what it was asked for and what it found."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.hits = self.misses = 0

    def get(self, key: str) -> Remembered | None:
        value = super().get(key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value


def troubled_park(**changes) -> Park:
    """Parcels with one problem of each geometric kind (and sound ones around them)."""
    geoms = [
        box(X, Y, X + 100, Y + 100),  # P1 sound, 15 mu
        box(X + 90, Y, X + 190, Y + 100),  # P2 overlaps P1 by 10 × 100 m = 1.5 mu
        Polygon([(X, Y + 200), (X + 100, Y + 300), (X + 100, Y + 200), (X, Y + 300)]),  # bow-tie
        None,  # P4 no geometry
        box(X + 300, Y, X + 302, Y + 200),  # P5 a strip 2 m wide: a sliver (unless a road)
        box(X + 400, Y, X + 500, Y + 100),  # P6 declared 20 mu, measured 15
        box(X + 501, Y, X + 600, Y + 100),  # P7 a 1 m strip from P6: a narrow gap
    ]
    columns = {
        "parcel_id": [f"P{i + 1}" for i in range(len(geoms))],
        "acquisition_status": ["acquired"] * len(geoms),
        "land_use": ["industrial"] * len(geoms),
        "declared_area_mu": [np.nan] * 5 + [20.0, np.nan],
    }
    geometry = changes.pop("geometry", geoms)
    columns.update(changes)
    parcels = gpd.GeoDataFrame(columns, geometry=geometry, crs=changes.pop("crs", "EPSG:4544"))
    return Park(Manifest("demo", title="测试园区"), parcels)


def same_reading(a, b) -> None:
    assert [p.to_dict() for p in a.problems] == [p.to_dict() for p in b.problems]
    assert a.area_mu.index.tolist() == b.area_mu.index.tolist()
    np.testing.assert_array_equal(a.area_mu.to_numpy(), b.area_mu.to_numpy())
    assert a.notes == b.notes
    assert a.rows.tolist() == b.rows.tolist()
    assert shapely.equals_exact(
        np.asarray(a.measured.parcels.geometry.array, dtype=object),
        np.asarray(b.measured.parcels.geometry.array, dtype=object),
        tolerance=0,
    ).all()


def test_a_remembered_reading_is_the_reading(tmp_path):
    park = troubled_park()
    fresh = read_checked(park)
    codes = {p.code for p in fresh.problems}
    assert {"overlap", "invalid_geometry", "null_geometry", "sliver", "area_mismatch"} <= codes
    assert "narrow_gap" in codes
    memo = Counting(tmp_path)
    first = read_checked(park, memo=memo)
    second = read_checked(troubled_park(), memo=memo)  # read again: equal, not the same object
    assert (memo.misses, memo.hits) == (1, 1)
    same_reading(fresh, first)
    same_reading(fresh, second)
    assert second.area_mu["P1"] == pytest.approx(15.0, abs=1e-6)  # by hand: 100 m × 100 m


@pytest.mark.parametrize(
    "change",
    [
        "vertex",  # one corner moved by 1 mm
        "id",
        "land_use",
        "declared",
        "crs",
        "threshold",
    ],
)
def test_any_change_is_checked_again(tmp_path, change):
    memo = Counting(tmp_path)
    read_checked(troubled_park(), memo=memo)
    options = {}
    park = troubled_park()
    if change == "vertex":
        geoms = list(park.parcels.geometry)
        geoms[4] = box(X + 300, Y, X + 302, Y + 200.001)
        park = troubled_park(geometry=geoms)
    elif change == "id":
        park = troubled_park(parcel_id=[f"Q{i + 1}" for i in range(7)])
    elif change == "land_use":
        park = troubled_park(land_use=["industrial"] * 4 + ["road"] + ["industrial"] * 2)
    elif change == "declared":
        park = troubled_park(declared_area_mu=[np.nan] * 5 + [15.0, np.nan])
    elif change == "crs":  # the same numbers in the neighbouring zone's CRS
        park = troubled_park(crs="EPSG:4545")
    else:
        options = {"sliver_mu": 0.01}
    again = read_checked(park, memo=memo, **options)
    assert (memo.misses, memo.hits) == (2, 0)
    same_reading(read_checked(park, **options), again)


def test_declared_and_land_use_changes_change_the_problems(tmp_path):
    """The two changes above are not only new keys: the remembered answer would be wrong."""
    memo = ReadingCache(tmp_path)
    before = {p.code for p in read_checked(troubled_park(), memo=memo).problems}
    declared = troubled_park(declared_area_mu=[np.nan] * 5 + [15.0, np.nan])
    road = troubled_park(land_use=["industrial"] * 4 + ["road"] + ["industrial"] * 2)
    assert "area_mismatch" in before and "sliver" in before
    assert "area_mismatch" not in {p.code for p in read_checked(declared, memo=memo).problems}
    assert "sliver" not in {p.code for p in read_checked(road, memo=memo).problems}


def test_a_damaged_entry_is_a_miss_and_goes(tmp_path):
    memo = Counting(tmp_path)
    fresh = read_checked(troubled_park(), memo=memo)
    (entry,) = memo.entries()
    entry.write_bytes(entry.read_bytes()[:100])
    again = read_checked(troubled_park(), memo=memo)
    assert (memo.misses, memo.hits) == (2, 0)
    same_reading(fresh, again)
    assert len(memo.entries()) == 1  # written again, whole
    entry.write_bytes(b"not a pickle")
    assert memo.get(entry.name.split("-", 1)[1].removesuffix(".pkl")) is None
    assert not entry.exists()


def test_entries_are_named_by_the_code_version_and_pruned(tmp_path):
    memo = ReadingCache(tmp_path / "readings", keep=3)
    for k in range(5):
        park = troubled_park(parcel_id=[f"R{k}-{i}" for i in range(7)])
        read_checked(park, memo=memo)
    names = [p.name for p in memo.entries()]
    assert len(names) == 3
    assert all(n.startswith(code_version()[:16] + "-") for n in names)
    assert (tmp_path / "readings").stat().st_mode & 0o777 == 0o700  # this user's only
    assert memo.clear() == 3 and not memo.entries()


def test_a_folder_that_cannot_be_written_is_no_error(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would be")
    memo = ReadingCache(blocked / "readings")
    same_reading(read_checked(troubled_park()), read_checked(troubled_park(), memo=memo))


def test_the_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PARKGIS_CACHE_DIR", str(tmp_path / "c"))
    assert cache_folder() == tmp_path / "c"
    for off in ("off", "", "0"):
        monkeypatch.setenv("PARKGIS_CACHE_DIR", off)
        assert cache_folder() is None
    monkeypatch.delenv("PARKGIS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "parkgis" / "readings"


def _parkgis(args: list[str], cache: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PARKGIS_CACHE_DIR": cache}
    return subprocess.run(
        [sys.executable, "-m", "parkgis", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_commands_give_the_same_figures_from_the_cache(tmp_path):
    park = tmp_path / "parcels.gpkg"
    troubled_park().parcels.to_file(park, layer="parcels")
    folder = tmp_path / "cache"
    outputs = []
    for _ in range(2):
        area = _parkgis(["area", str(park), "--format", "csv", "--lang", "en"], str(folder))
        validate = _parkgis(["validate", str(park), "--format", "json"], str(folder))
        assert area.returncode == 1, area.stderr  # the overlap refuses area figures
        assert validate.returncode == 1
        outputs.append((area.stdout, area.stderr, validate.stdout))
    assert outputs[0] == outputs[1]
    assert len(list(folder.glob("*.pkl"))) == 1  # area and validate share one reading
    info = _parkgis(["cache", "info", "--format", "json"], str(folder))
    assert '"entries": 1' in info.stdout
    none = _parkgis(["validate", str(park), "--format", "json"], "off")
    assert none.stdout == outputs[0][2]
    assert not (REPO / "off").exists()  # "off" turns the cache off: no folder of that name
    cleared = _parkgis(["cache", "clear", "--lang", "en"], str(folder))
    assert cleared.stdout.strip() == "removed 1 remembered check(s)"
    assert not list(folder.glob("*.pkl"))


class Planted:
    def __reduce__(self):
        return (os.system, ("echo planted > planted.txt",))


def test_a_planted_entry_cannot_run_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    memo = Counting(tmp_path / "cache")
    fresh = read_checked(troubled_park(), memo=memo)
    (entry,) = memo.entries()
    entry.write_bytes(pickle.dumps(Planted()))
    again = read_checked(troubled_park(), memo=memo)
    assert not (tmp_path / "planted.txt").exists()
    assert (memo.misses, memo.hits) == (2, 0)
    same_reading(fresh, again)


def test_a_status_change_keeps_the_remembered_geometry_and_is_read_anew(tmp_path):
    memo = Counting(tmp_path)
    read_checked(troubled_park(), memo=memo)
    moved = troubled_park(acquisition_status=["acquired"] * 6 + ["not a status"])
    again = read_checked(moved, memo=memo)
    assert (memo.misses, memo.hits) == (1, 1)  # the geometry's checks are the same ...
    same_reading(read_checked(moved), again)  # ... and the status is checked as read
    assert "unknown_status" in {p.code for p in again.problems}
