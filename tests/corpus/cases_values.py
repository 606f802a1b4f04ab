"""Numbers, units and dates as ledgers write them: approximate, exponent, Chinese units, serials.

Parcel inputs are 100 m squares on EPSG:4544's central meridian (15 mu each, by hand)
with a declared-area column headed 申报面积; project and constraint inputs are copies of
the bundled park folder with one table changed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from shapely.geometry import box

from corpus.harness import GK_X, GK_Y, Case, write_parcels
from parkgis.io.store import bundled_park_path, read_park, write_park

X, Y = GK_X, GK_Y
SQUARE_MU = 15.0  # a 100 m square here, to 1e-9


def _declared(values: Sequence[object], *, header: str = "申报面积") -> Callable[[Path], list[str]]:
    """Parcels P1, P2 ...: 100 m squares side by side, declared areas as written."""

    def build(folder: Path) -> list[str]:
        squares = [box(X + 200 * i, Y, X + 200 * i + 100, Y + 100) for i in range(len(values))]
        path = write_parcels(folder / "declared.gpkg", squares, columns={header: list(values)})
        return [str(path)]

    return build


def _park(folder: Path) -> Path:
    """The bundled park written as a park folder (park.toml, park.gpkg, CSV tables), to edit."""
    park = folder / "park"
    write_park(read_park(bundled_park_path(), private=True), park)
    return park


def _projects(changes: Mapping[str, Mapping[str, object]]) -> Callable[[Path], list[str]]:
    """The bundled park with some cells of projects.csv rewritten: ``{project_id: {field: v}}``."""

    def build(folder: Path) -> list[str]:
        park = _park(folder)
        path = park / "projects.csv"
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        for row in rows:
            row.update({k: str(v) for k, v in changes.get(row["project_id"], {}).items()})
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return [str(park)]

    return build


def _constraints(**columns: Sequence[object]) -> Callable[[Path], list[str]]:
    """The bundled park with its two constraints' fields (C-01 line, C-02 river) rewritten."""

    def build(folder: Path) -> list[str]:
        import geopandas as gpd
        import pyogrio

        park = _park(folder)
        gpkg = park / "park.gpkg"
        layer = gpd.read_file(gpkg, layer="constraints").drop(columns=["corridor_m"])
        layer = layer.assign(**{k: list(v) for k, v in columns.items()})
        pyogrio.write_dataframe(
            layer, gpkg, layer="constraints", layer_options={"OVERWRITE": "YES"}
        )
        return [str(park)]

    return build


_SQUARES = {"P1": SQUARE_MU, "P2": SQUARE_MU, "P3": SQUARE_MU, "P4": SQUARE_MU}
_LAND = ("buildable", "reserve", "brief", "map")

CASES = [
    # 约15亩, 15亩左右, ~15, 15余亩: read as 15 mu each (no area_mismatch), each flagged.
    Case("declared-area-approximate", _declared(["约15亩", "15亩左右", "~15", "15余亩"]),
         codes=("approximate_value",), areas=_SQUARES),
    # 1.5e1 is 15, read with a doubt stated.
    Case("declared-area-exponent", _declared(["1.5e1"]), codes=("doubtful_value",),
         areas={"P1": SQUARE_MU}),
    # The header 申报面积 is the declared area: 45 declared against 15 measured is reported.
    Case("declared-area-header-申报面积", _declared(["45"]), codes=("area_mismatch",),
         areas={"P1": SQUARE_MU}),
    Case("declared-area-header-批准面积", _declared(["45亩"], header="批准面积(亩)"),
         codes=("area_mismatch",), areas={"P1": SQUARE_MU}),
    # 1公顷, 10000平方米, 0.01平方公里 and full-width １５ are all 15 mu: no mismatch to report.
    Case("declared-area-chinese-units", _declared(["1公顷", "10000平方米", "0.01平方公里", "１５"]),
         areas=_SQUARES),
    # 15米 is a length, not an area: the value is refused (kept as written, an error).
    Case("declared-area-wrong-unit", _declared(["15米"]), codes=("bad_area",)),
    # Investment in 万元, 亿 and 元 (元 is converted with a doubt: ledgers mean 万元).
    Case("investment-chinese-units",
         _projects({"P01": {"investment_wan": "3000万元"}, "P03": {"investment_wan": "1.2亿"},
                    "P05": {"investment_wan": "5000元"}}),
         codes=("doubtful_value",)),
    Case("land-demand-approximate",
         _projects({"P21": {"land_demand_mu": "约40亩"}, "P22": {"land_demand_mu": "60亩左右"}}),
         codes=("approximate_value",)),
    Case("land-demand-wrong-unit", _projects({"P21": {"land_demand_mu": "40米"}}),
         codes=("bad_land_demand",)),
    # 41424 is 2013-05-30 as an Excel serial (a cell not formatted as a date): read, flagged.
    Case("signed-on-excel-serial", _projects({"P10": {"signed_on": 41424}}),
         codes=("doubtful_value",)),
    # A year alone, or 20130530 as a number, is not a date: refused as a value.
    Case("signed-on-year-only", _projects({"P10": {"signed_on": 2013}}), codes=("bad_date",)),
    Case("signed-on-digits", _projects({"P10": {"signed_on": 20130530}}), codes=("bad_date",)),
    # 110kV, 12.5米 and 30m read as the numbers they are.
    Case("constraint-units-written",
         _constraints(voltage_kv=["110kV", None], setback_m=["12.5米", "30m"])),
    # An area in a voltage: the figures that need the line's setback are refused, naming it.
    Case("constraint-voltage-in-mu", _constraints(voltage_kv=["110亩", None]),
         refused=r"C-01.*'110亩'", commands=_LAND),
    # corridor_width_m is the full width: 25 m wide agrees with a 12.5 m setback ...
    Case("corridor-width-agrees",
         _constraints(setback_m=[12.5, 30.0], corridor_width_m=["25m", None])),
    # ... 12.5 m wide does not, and the row is named.
    Case("corridor-width-disagrees",
         _constraints(setback_m=[12.5, 30.0], corridor_width_m=[12.5, None]),
         refused=r"C-01.*setback_m.*12\.5.*corridor_width_m", commands=_LAND),
]  # fmt: skip
