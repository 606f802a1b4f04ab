"""Net buildable land: parcels minus constraint corridors, checked against hand figures."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import LineString, box

from parkgis.errors import CRSMissingError, DataError, VocabularyError
from parkgis.land.buildable import (
    buildable_by,
    buildable_figures,
    buildable_table,
    constraint_corridors,
    metric_crs,
)
from parkgis.land.constraints import (
    DEFAULT_RULES,
    constraint_layer,
    constraint_setbacks,
    load_rules,
    rules_table,
)
from parkgis.measure.area import gross_area_mu
from parkgis.measure.units import SQM_PER_MU
from parkgis.model.park import Manifest, Park
from tests.conftest import GK_X, GK_Y

# --- The case -------------------------------------------------------------------------
#
# A 300 m x 300 m acquired parcel in EPSG:4544 (CGCS2000 GK CM 105E), SW corner (GK_X, GK_Y),
# crossed through its middle (x = GK_X + 150, north-south) by a 110 kV line with a 25 m corridor
# on each side, and with a river along its south edge (a 40 m wide polygon just south of it)
# with a 30 m setback. Both constraints run 100 m past the parcel on either side, so the round
# ends of their buffers fall outside it.
#
# By hand, in the GK plane (metres of the projection):
#   parcel                      300 x 300             = 90 000 m²
#   line corridor               (2 x 25) x 300         = 15 000 m²
#   river setback strip         300 x 30               =  9 000 m²
#   counted twice (crossing)    (2 x 25) x 30          =  1 500 m²
#   constrained                 15 000 + 9 000 - 1 500 = 22 500 m²
#   net                         90 000 - 22 500        = 67 500 m² = 101.25 mu (planar)
#
# parkgis measures on the ellipsoid. A GK plane is conformal with point scale
# k = 1 + E²/(2R²) + E⁴/(24R⁴) at E metres from the central meridian (R² = M·N, the Gaussian
# radius), so planar areas are k² larger than on the ellipsoid: here E = 90 km, k² - 1 = 2.0e-4.
# The hand figure on the ellipsoid is therefore 67 500 / k² m². The tolerance, 0.1 %,
# would hold even without that correction (it is five times the GK scale effect); with it, what
# is left is the change of k across the 300 m parcel (< 1e-6), so we also assert 1e-5.

SIDE = 300.0
NET_PLANAR_M2 = SIDE * SIDE - (50 * SIDE + 30 * SIDE - 50 * 30)
assert NET_PLANAR_M2 == 67_500


def _gk_scale_squared(x: float, y: float) -> float:
    """k² of EPSG:4544 at (x, y): the GK point scale from the easting offset, by formula."""
    _lon, lat = Transformer.from_crs(4544, 4490, always_xy=True).transform(x, y)
    a, f = 6_378_137.0, 1 / 298.257222101
    e2 = f * (2 - f)
    s2 = math.sin(math.radians(lat)) ** 2
    r2 = (a * (1 - e2) / (1 - e2 * s2) ** 1.5) * (a / math.sqrt(1 - e2 * s2))
    e = x - 500_000.0
    k = 1 + e**2 / (2 * r2) + e**4 / (24 * r2**2)
    return k * k


HAND_NET_MU = NET_PLANAR_M2 / _gk_scale_squared(GK_X + 150, GK_Y + 150) / SQM_PER_MU


def _parcel() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"parcel_id": ["A"], "zone": ["东区"], "acquisition_status": ["acquired"]},
        geometry=[box(GK_X, GK_Y, GK_X + SIDE, GK_Y + SIDE)],
        crs="EPSG:4544",
    )


def _line(**fields: object) -> gpd.GeoDataFrame:
    x = GK_X + SIDE / 2
    data = {"constraint_id": ["C-1"], "kind": ["hv_line"], "voltage_kv": [110.0], **fields}
    return gpd.GeoDataFrame(
        data, geometry=[LineString([(x, GK_Y - 100), (x, GK_Y + SIDE + 100)])], crs="EPSG:4544"
    )


def _river(**fields: object) -> gpd.GeoDataFrame:
    data = {"constraint_id": ["C-2"], "kind": ["river"], **fields}
    return gpd.GeoDataFrame(
        data, geometry=[box(GK_X - 100, GK_Y - 40, GK_X + SIDE + 100, GK_Y)], crs="EPSG:4544"
    )


def test_net_area_matches_the_hand_computation():
    table = buildable_table(_parcel(), [_line(corridor_m=[25.0]), _river(setback_m=[30.0])])
    net = table["net_mu"].iloc[0]
    assert net == pytest.approx(NET_PLANAR_M2 / SQM_PER_MU, rel=1e-3)  # the 0.1 %
    assert net == pytest.approx(HAND_NET_MU, rel=1e-5)  # with the GK scale taken out


def test_same_net_area_when_each_layer_is_in_another_crs():
    # Parcel in UTM 48N, line in CGCS2000 lon/lat, river in GK CM 105E: the same ground.
    single = buildable_table(_parcel(), [_line(corridor_m=[25.0]), _river(setback_m=[30.0])])
    mixed = buildable_table(
        _parcel().to_crs(32648),
        [_line(corridor_m=[25.0]).to_crs(4490), _river(setback_m=[30.0])],
    )
    assert mixed["net_mu"].iloc[0] == pytest.approx(HAND_NET_MU, rel=1e-5)
    assert mixed["net_mu"].iloc[0] == pytest.approx(single["net_mu"].iloc[0], rel=1e-7)
    assert mixed["gross_mu"].iloc[0] == pytest.approx(single["gross_mu"].iloc[0], rel=1e-7)


def test_setbacks_from_the_rules_give_the_same_answer():
    # No setback on the features: the 110 kV class and the river default give them.
    rules = load_rules({"hv_line": {"classes": [{"voltage_kv": 110, "corridor_width_m": 50}]}})
    assert rules.kinds["river"].setback_m == 30.0  # the packaged default
    table = buildable_table(_parcel(), [_line(), _river()], rules=rules)
    assert table["net_mu"].iloc[0] == pytest.approx(HAND_NET_MU, rel=1e-5)


def test_constrained_plus_net_is_gross_and_net_geometry_measures_net():
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{i}" for i in range(12)], "acquisition_status": ["acquired"] * 12},
        geometry=[
            box(
                GK_X + 110 * (i % 4),
                GK_Y + 110 * (i // 4),
                GK_X + 110 * (i % 4) + 100,
                GK_Y + 110 * (i // 4) + 100,
            )
            for i in range(12)
        ],
        crs="EPSG:4544",
    ).to_crs(4490)
    diagonal = gpd.GeoDataFrame(
        {"kind": ["hv_line", "hv_line"], "setback_m": [12.5, 20.0]},
        geometry=[
            LineString([(GK_X - 50, GK_Y - 50), (GK_X + 500, GK_Y + 380)]),
            LineString([(GK_X + 200, GK_Y - 50), (GK_X + 200, GK_Y + 400)]),
        ],
        crs="EPSG:4544",
    )
    table = buildable_table(parcels, diagonal, geometry=True, chunk_size=5)
    total = table["constrained_mu"] + table["net_mu"]
    np.testing.assert_allclose(total, table["gross_mu"], rtol=1e-6)
    assert (table["constrained_mu"] > 0).sum() >= 6  # the lines cross many parcels
    assert (table["constrained_mu"] == 0).any()
    np.testing.assert_allclose(gross_area_mu(table), table["net_mu"], rtol=1e-6, atol=1e-9)


def test_long_corridors_match_a_plain_overlay():
    # A 20 x 20 fabric of 150 m parcels crossed by corridors several km long (cut into tiles
    # inside buildable_table): per parcel, the same net area as geopandas.overlay, measured
    # the same way on the ellipsoid.
    cells = [
        box(GK_X + 160 * i, GK_Y + 160 * j, GK_X + 160 * i + 150, GK_Y + 160 * j + 150)
        for j in range(20)
        for i in range(20)
    ]
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [f"P{k}" for k in range(400)]}, geometry=cells, crs="EPSG:4544"
    ).to_crs(4490)
    lines = gpd.GeoDataFrame(
        {"kind": ["hv_line"] * 2, "setback_m": [20.0, 35.0]},
        geometry=[
            LineString([(GK_X - 200, GK_Y - 300), (GK_X + 3400, GK_Y + 3500)]),
            LineString([(GK_X - 100, GK_Y + 2900), (GK_X + 3300, GK_Y + 400)]),
        ],
        crs="EPSG:4544",
    )
    ours = buildable_table(parcels, lines)
    local = parcels.to_crs(4544)
    buffers = gpd.GeoDataFrame(geometry=lines.buffer(lines["setback_m"], quad_segs=16))
    plain = gpd.overlay(local, buffers.set_crs(4544), how="difference")
    plain_mu = pd.Series(gross_area_mu(plain).to_numpy(), index=plain["parcel_id"])
    expected = plain_mu.reindex(ours["parcel_id"]).fillna(0.0).to_numpy()
    assert (ours["constrained_mu"] > 0).sum() > 60
    np.testing.assert_allclose(ours["net_mu"], expected, rtol=1e-7, atol=1e-7)


def test_land_under_two_corridors_is_counted_once():
    one = buildable_table(_parcel(), _line(corridor_m=[25.0]))
    twice = buildable_table(_parcel(), [_line(corridor_m=[25.0]), _line(corridor_m=[25.0])])
    assert twice["constrained_mu"].iloc[0] == pytest.approx(one["constrained_mu"].iloc[0])
    assert one["constrained_mu"].iloc[0] == pytest.approx(
        50 * SIDE / _gk_scale_squared(GK_X + 150, GK_Y + 150) / SQM_PER_MU, rel=1e-5
    )


def test_polygon_with_no_setback_takes_itself():
    hazard = gpd.GeoDataFrame(
        {"kind": ["地灾隐患区"]},  # a Chinese label works as a kind
        geometry=[box(GK_X - 10, GK_Y - 10, GK_X + 150, GK_Y + SIDE + 10)],
        crs="EPSG:4544",
    )
    table = buildable_table(_parcel(), hazard)
    assert table["constrained_mu"].iloc[0] == pytest.approx(table["gross_mu"].iloc[0] / 2, rel=1e-5)


def test_a_line_with_no_setback_is_refused():
    road = gpd.GeoDataFrame(
        {"constraint_id": ["R-7"], "kind": ["road_reserve"]},
        geometry=[LineString([(GK_X, GK_Y), (GK_X + 10, GK_Y)])],
        crs="EPSG:4544",
    )
    with pytest.raises(DataError, match=r"R-7.*0 m setback"):
        constraint_corridors(road)


def test_corridor_of_a_line_is_twice_its_setback_wide():
    corridor = constraint_corridors(_line(corridor_m=[25.0]))
    # 50 m x 500 m, plus two half discs of radius 25 m (a polygon of 64 segments: 0.16 % short).
    expected = 50 * 500 + math.pi * 25**2
    assert corridor.area.iloc[0] == pytest.approx(expected, rel=2e-3)
    assert corridor.crs.to_epsg() == 4544
    # 走廊宽度 / corridor_width_m is the FULL width: 50 m wide is the same corridor.
    full = constraint_corridors(_line(corridor_width_m=[50.0]))
    assert full.area.iloc[0] == pytest.approx(corridor.area.iloc[0], rel=1e-12)
    table = constraint_setbacks(_line(corridor_width_m=["50米"], voltage_kv=["110kV"]))
    assert table[["setback_m", "voltage_kv", "basis"]].values.tolist() == [
        [25.0, 110.0, "feature corridor_width_m (50 m wide)"]
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"setback_m": [25.0], "corridor_width_m": [25.0]},
         r"constraints row 1 \(constraint_id=C-1\): the setbacks disagree: setback_m gives a "
         r"setback of 25 m, corridor_width_m 25 m wide gives a setback of 12\.5 m"),
        ({"voltage_kv": ["110亩"]},
         r"constraints row 1 \(constraint_id=C-1\) voltage_kv '110亩' is an area \(亩\), but "
         r".* is a voltage in kV"),
        ({"setback_m": ["30亩"]}, r"setback_m '30亩' is an area \(亩\), but .* a length in m"),
    ],
)  # fmt: skip
def test_setbacks_that_disagree_or_are_in_the_wrong_unit_are_refused(fields, message):
    with pytest.raises(DataError, match=message):
        constraint_setbacks(_line(**fields))
    agreeing = constraint_setbacks(_line(setback_m=[25.0], corridor_width_m=[50.0]))
    assert agreeing["setback_m"].tolist() == [25.0]


def test_unknown_kind_is_refused_with_the_row():
    layer = _line().assign(kind=["power plant"])
    with pytest.raises(VocabularyError, match=r"'power plant'.*constraint_id=C-1"):
        buildable_table(_parcel(), layer)


def test_kind_from_the_layer_name():
    layer = _line(corridor_m=[25.0]).drop(columns="kind")
    named = constraint_layer(layer, name=["", "高压线"])
    assert named["kind"].tolist() == ["hv_line"]
    assert constraint_layer(_river().drop(columns="kind"), name="rivers")["kind"].tolist() == [
        "river"
    ]
    with pytest.raises(DataError, match="no kind"):
        constraint_layer(layer, name="layer1")


def test_setback_basis_is_reported():
    layer = pd.concat(
        [
            _line(corridor_m=[25.0]),
            _line(constraint_id=["C-3"], voltage_kv=[np.nan], name=["66kV 元坝线"]),
            _line(constraint_id=["C-4"], voltage_kv=[np.nan]),
            _river(),
        ],
        ignore_index=True,
    )
    table = constraint_setbacks(gpd.GeoDataFrame(layer, crs=4544))
    assert table["setback_m"].tolist() == [25.0, 12.5, 12.5, 30.0]
    assert table["basis"].tolist() == [
        "feature corridor_m",
        "rules: hv_line 110 kV class (unverified) (voltage read from the name)",
        "rules: hv_line of unknown voltage (assumption)",
        "rules: river (assumption)",
    ]
    assert table["voltage_kv"].iloc[1] == 66.0


def test_setback_and_corridor_must_agree():
    with pytest.raises(DataError, match="disagree"):
        constraint_setbacks(_line(corridor_m=[25.0], setback_m=[30.0]))


def test_voltage_classes_round_up_and_stop_at_the_top():
    assert DEFAULT_RULES.hv_setback(35)[0] == 10.0
    assert DEFAULT_RULES.hv_setback(66)[0] == 12.5
    assert DEFAULT_RULES.hv_setback(10)[0] == 10.0
    assert DEFAULT_RULES.hv_setback(500)[0] == 37.5
    with pytest.raises(DataError, match="800 kV is above"):
        DEFAULT_RULES.hv_setback(800)


def test_rules_are_documented_and_checked():
    table = rules_table()
    assert set(table["status"]) <= {"unverified", "assumption"}
    assert table["source"].str.len().min() > 10
    hv = table[table["voltage_kv"].notna()]
    np.testing.assert_array_equal(hv["setback_m"] * 2, hv["corridor_width_m"])
    with pytest.raises(DataError, match="unknown key"):
        load_rules({"river": {"setbak_m": 50}})
    with pytest.raises(VocabularyError):
        load_rules({"volcano": {"setback_m": 50}})
    with pytest.raises(DataError, match="negative"):
        load_rules({"river": {"setback_m": -5}})
    override = load_rules({"河流": {"setback_m": 50}}, where="yuanba/constraints.toml")
    assert override.kinds["river"].setback_m == 50.0
    assert override.kinds["river"].source == "yuanba/constraints.toml"


def test_park_rules_and_constraints_are_used():
    park = Park(
        manifest=Manifest("demo", settings={"constraint_rules": {"river": {"setback_m": 60}}}),
        parcels=_parcel(),
        constraints=_river(),
    )
    table = buildable_table(park)
    strip = SIDE * 60 / _gk_scale_squared(GK_X + 150, GK_Y + 30) / SQM_PER_MU
    assert table["constrained_mu"].iloc[0] == pytest.approx(strip, rel=1e-5)


def test_progress_hook_reaches_the_end():
    calls: list[tuple[int, int]] = []
    parcels = pd.concat([_parcel()] * 7, ignore_index=True)
    buildable_table(parcels, _line(corridor_m=[25.0]), progress=lambda d, t: calls.append((d, t)),
                    chunk_size=3)  # fmt: skip
    assert calls == [(3, 7), (6, 7), (7, 7)]
    calls.clear()
    buildable_table(parcels, None, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(7, 7)]


def test_invalid_parcel_under_a_corridor_is_refused():
    bowtie = gpd.GeoSeries.from_wkt(
        [f"POLYGON(({GK_X} {GK_Y}, {GK_X + 300} {GK_Y + 300}, {GK_X + 300} {GK_Y}, "
         f"{GK_X} {GK_Y + 300}, {GK_X} {GK_Y}))"],
        crs=4544,
    )  # fmt: skip
    parcels = gpd.GeoDataFrame({"parcel_id": ["BOW"]}, geometry=bowtie)
    with pytest.raises(DataError, match=r"parcel BOW: Self-intersection"):
        buildable_table(parcels, _line(corridor_m=[25.0]))


def test_layers_without_crs_are_refused():
    with pytest.raises(CRSMissingError):
        buildable_table(_parcel().set_crs(None, allow_override=True), _line())
    with pytest.raises(CRSMissingError, match="constraint layer 1"):
        buildable_table(_parcel(), _line(corridor_m=[25.0]).set_crs(None, allow_override=True))


def test_totals_by_zone_and_status_and_the_json_contract():
    parcels = pd.concat(
        [_parcel(), _parcel().assign(parcel_id=["B"], zone=[None], acquisition_status=["sold"])],
        ignore_index=True,
    )
    figures = buildable_figures(parcels, [_line(corridor_m=[25.0]), _river(setback_m=[30.0])])
    assert set(figures) >= {"parcels", "total_net_mu"}
    assert set(figures["parcels"][0]) >= {"parcel_id", "gross_mu", "constrained_mu", "net_mu"}
    assert figures["total_net_mu"] == pytest.approx(2 * HAND_NET_MU, rel=1e-5)
    by_status = pd.DataFrame(figures["by_status"])
    assert by_status["acquisition_status"].tolist() == ["acquired", "sold"]  # chain order
    by_zone = buildable_by(pd.DataFrame(figures["parcels"]), "zone")
    assert sorted(by_zone["zone"]) == ["(blank)", "东区"]
    assert by_zone["count"].sum() == 2
    assert [c["setback_m"] for c in figures["constraints"]] == [25.0, 30.0]


def test_metric_crs_follows_longitude():
    far_east = gpd.GeoSeries(box(106.6, 32.3, 106.61, 32.31), crs=4490)
    assert metric_crs(far_east).to_epsg() == 4545
    assert metric_crs(_parcel()).to_epsg() == 4544
