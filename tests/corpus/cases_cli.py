"""Park folders damaged as they are in real life: a hand-edited park.toml, a ledger
saved empty by a crashed Excel, a GeoPackage without its parcels, a corrupt event log."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

from corpus.harness import GK_X, GK_Y, Case
from parkgis.io.store import write_park
from parkgis.model.park import Manifest, Park

X, Y = GK_X, GK_Y


def _park(folder: Path) -> Path:
    """A sound park of two 100 m squares (15 mu each), P1 acquired and P2 unacquired."""
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["P1", "P2"], "acquisition_status": ["acquired", "unacquired"]},
        geometry=[box(X, Y, X + 100, Y + 100), box(X + 200, Y, X + 300, Y + 100)],
        crs="EPSG:4544",
    )
    return write_park(Park(Manifest("t", title="测试园区"), parcels), folder / "park")


def _broken_toml(folder: Path) -> list[str]:
    park = _park(folder)
    (park / "park.toml").write_text('name = "t\ntitle = 测试园区\n', "utf-8")  # unclosed quote
    return [str(park)]


def _missing_file(folder: Path) -> list[str]:
    park = _park(folder)
    toml = (park / "park.toml").read_text("utf-8")
    (park / "park.toml").write_text(toml.replace('"projects.csv"', '"项目台账.csv"'), "utf-8")
    return [str(park)]


def _empty_projects(folder: Path) -> list[str]:
    park = _park(folder)
    (park / "projects.csv").write_bytes(b"")  # 0 bytes: not even a header row
    return [str(park)]


def _header_only_projects(folder: Path) -> list[str]:
    park = _park(folder)
    (park / "projects.csv").write_text("\ufeffproject_id,name,land_demand_mu,stage\n", "utf-8")
    return [str(park)]


def _no_parcels_layer(folder: Path) -> list[str]:
    park = _park(folder)
    (park / "park.gpkg").unlink()
    roads = gpd.GeoDataFrame({"name": ["规划路"]}, geometry=[box(X, Y, X + 10, Y + 300)],
                             crs="EPSG:4544")  # fmt: skip
    roads.to_file(park / "park.gpkg", layer="roads", engine="pyogrio")
    return [str(park)]


def _corrupt_events(folder: Path) -> list[str]:
    park = _park(folder)
    (park / "events.csv").write_bytes(b"\x00\x9f\x92\x96garbage\xff\xfe\n\x00\x00")
    return [str(park)]


CASES = [
    Case("park-toml-broken", _broken_toml, refused=r"park\.toml.*TOML", exit_code=2),
    Case("park-toml-names-a-missing-file", _missing_file, refused=r"项目台账\.csv", exit_code=2),
    Case("projects-csv-empty", _empty_projects, refused=r"projects\.csv", exit_code=2),
    Case("projects-csv-header-only", _header_only_projects, areas={"P1": 15.0, "P2": 15.0}),
    Case("park-without-parcels-layer", _no_parcels_layer, refused=r"park\.gpkg.*parcels",
         exit_code=2),
    Case("events-csv-corrupt", _corrupt_events, refused=r"events\.csv", exit_code=2),
]  # fmt: skip
