"""Park maps without a browser: styling, GCJ-02, basemaps, escaping, determinism.

The browser checks (drawing, clicking, offline loading) are in
test_maps_browser.py. Parks are built in code: 100 m squares in EPSG:4544
near Yuanba, whose areas are known by hand (10,000 m² planar = 15 mu,
14.998 mu on the ellipsoid there), and, for large-park (tiled) maps, Voronoi
fabrics whose neighbours share exact edges (:func:`fabric_park`).
"""

from __future__ import annotations

import itertools
import json
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, box

import parkgis
import parkgis.maps
from parkgis.errors import ParkgisError
from parkgis.maps import (
    BASEMAPS,
    BasemapError,
    MapError,
    TiandituKeyError,
    map_html,
    park_map,
    resolve_basemaps,
    save_map,
)
from parkgis.maps.assets import ASSETS, asset_tags, asset_text, notices
from parkgis.maps.gcj02 import gcj02_to_wgs84, in_china, shift_geometries, wgs84_to_gcj02
from parkgis.maps.layers import encode_polygons, label_zoom, map_payload
from parkgis.maps.legend import legend_rows, summary_figures
from parkgis.maps.render import dumps_json
from parkgis.maps.style import parcel_classes
from parkgis.maps.topology import (
    build_topology,
    decode_topology,
    encode_topology,
    pack_signed,
    pack_unsigned,
    unpack_signed,
    unpack_unsigned,
    vertex_zooms,
)
from parkgis.measure.area import gross_area_mu
from parkgis.model.park import Manifest, Park
from parkgis.model.vocab import ACQUISITION, LAND_USE, STAGE, TITLE
from tests.conftest import GK_X, GK_Y, gk_square

GEOD = Geod(ellps="GRS80")
KEY = "0123456789abcdef0123456789abcdef"
XSS = "<img src=x onerror=alert(1)>"
TEMPLATE = "{{ 7*7 }}"


def make_park(
    statuses: list[str],
    *,
    names: list[str] | None = None,
    zones: list[str | None] | None = None,
    project_ids: list[str | None] | None = None,
    projects: pd.DataFrame | None = None,
    constraints: gpd.GeoDataFrame | None = None,
    extra: dict[str, list[object]] | None = None,
    private: tuple[str, ...] = (),
    title: str = "测试园区",
) -> Park:
    """A row of 100 m squares 20 m apart, one per status."""
    n = len(statuses)
    frame = {
        "parcel_id": [f"T-{i + 1:02d}" for i in range(n)],
        "name": names or [f"地块{i + 1}" for i in range(n)],
        "zone": zones or ["一区"] * n,
        "acquisition_status": statuses,
        "project_id": project_ids or [None] * n,
        **(extra or {}),
    }
    parcels = gpd.GeoDataFrame(
        frame, geometry=[gk_square(GK_X + i * 120, GK_Y, 100) for i in range(n)], crs="EPSG:4544"
    )
    kwargs = {}
    if projects is not None:
        kwargs["projects"] = projects
    if constraints is not None:
        kwargs["constraints"] = constraints
    return Park(
        manifest=Manifest(name="tiny", title=title, private_fields=private),
        parcels=parcels,
        **kwargs,
    )


def data_of(html: str) -> dict:
    """The JSON data block of a saved map."""
    found = re.findall(
        r'<script type="application/json" id="parkgis-data-[0-9a-f]+">(.*?)</script>', html, re.S
    )
    assert len(found) == 1
    return json.loads(found[0])


def decode(
    parcels: dict, origin: list[int], scale: int
) -> list[list[list[tuple[float, float]]] | None]:
    """Python twin of the page's decoder: features → polygons → rings of (lon, lat)."""
    xy, rl, pr, fp = parcels["xy"], parcels["rl"], parcels["pr"], parcels["fp"]
    xi = ri = pi = x = y = 0
    out = []
    for f in range(parcels["n"]):
        polys = []
        for _ in range(fp[f] if fp else 1):
            rings = []
            nring = pr[pi] if pr else 1
            pi += 1
            for _ in range(nring):
                ring = []
                for _ in range(rl[ri]):
                    x += xy[xi]
                    y += xy[xi + 1]
                    xi += 2
                    ring.append(((x + origin[0]) / scale, (y + origin[1]) / scale))
                ri += 1
                rings.append(ring)
            polys.append(rings)
        out.append(polys or None)
    return out


STATUSES = ("unacquired", "acquiring", "acquired", "leveled", "listed", "sold", "supplied")


def voronoi_fabric(n: int, *, seed: int = 0, wiggle_m: float = 0.0) -> gpd.GeoSeries:
    """``n`` Voronoi parcels of about 45 mu in EPSG:4544, edges split every 25 m.

    Neighbours share their edges vertex for vertex. ``wiggle_m`` moves every
    vertex by a smooth function of where it is (so shared vertices move
    together), making the split edges no longer straight.
    """
    rng = np.random.default_rng(seed)
    side = math.sqrt(n * 30_000.0)
    frame = box(GK_X, GK_Y, GK_X + side, GK_Y + side)
    points = rng.uniform((GK_X, GK_Y), (GK_X + side, GK_Y + side), size=(n, 2))
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=frame, ordered=True)
    )
    cells = shapely.segmentize(shapely.intersection(cells, frame), 25.0)
    if wiggle_m:

        def wiggle(xy: np.ndarray) -> np.ndarray:
            x, y = xy[:, 0] - GK_X, xy[:, 1] - GK_Y
            return np.column_stack(
                [x + wiggle_m * np.sin(y / 17.0) + GK_X, y + wiggle_m * np.cos(x / 23.0) + GK_Y]
            )

        cells = shapely.transform(cells, wiggle)
    return gpd.GeoSeries(cells, crs="EPSG:4544")


def fabric_park(n: int, *, seed: int = 0) -> Park:
    """A park of ``n`` Voronoi parcels with ids, names, zones and statuses."""
    rng = np.random.default_rng(seed + 1)
    parcels = gpd.GeoDataFrame(
        {
            "parcel_id": [f"F{i:05d}" for i in range(n)],
            "name": [f"地块{i}" for i in range(n)],
            "zone": [f"Z{i % 4}" for i in range(n)],
            "acquisition_status": rng.choice(np.array(STATUSES, dtype=object), size=n),
        },
        geometry=voronoi_fabric(n, seed=seed),
    )
    return Park(manifest=Manifest(name=f"fabric{n}", title=f"地块织网 {n}"), parcels=parcels)


def quantised(geoms: gpd.GeoSeries) -> np.ndarray:
    """Polygons in 1e-6 degree integers (lon/lat), as the maps draw them."""
    lonlat = np.asarray(geoms.to_crs(4490).array, dtype=object)
    return shapely.transform(lonlat, lambda xy: np.rint(xy * 1_000_000))


def as_polygons(decoded: list) -> np.ndarray:
    """Decoded features (see decode_topology) as shapely geometries."""
    out = []
    for polys in decoded:
        if polys is None:
            out.append(None)
            continue
        parts = [shapely.Polygon(rings[0], rings[1:]) for rings in polys]
        out.append(parts[0] if len(parts) == 1 else MultiPolygon(parts))
    return np.array(out, dtype=object)


def same_polygons(a: np.ndarray, b: np.ndarray) -> bool:
    """Vertex-for-vertex equal, up to where each ring starts."""
    missing_a, missing_b = shapely.is_missing(a), shapely.is_missing(b)
    if not np.array_equal(missing_a, missing_b):
        return False
    return bool(
        shapely.equals_exact(
            shapely.normalize(a[~missing_a]), shapely.normalize(b[~missing_b]), tolerance=0
        ).all()
    )


# --- GCJ-02 -------------------------------------------------------------------


def test_gcj02_matches_the_published_reference_point():
    # wandergis/coordtransform's README example: wgs84togcj02(116.404, 39.915)
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert float(lon) == pytest.approx(116.41024449916938, abs=1e-11)
    assert float(lat) == pytest.approx(39.91640428150164, abs=1e-11)


def test_gcj02_shift_at_yuanba_is_about_440_m_east_and_south():
    lon, lat = wgs84_to_gcj02(105.96, 32.32)
    east = GEOD.inv(105.96, 32.32, float(lon), 32.32)[2]
    south = GEOD.inv(105.96, 32.32, 105.96, float(lat))[2]
    total = GEOD.inv(105.96, 32.32, float(lon), float(lat))[2]
    assert float(lon) > 105.96 and float(lat) < 32.32
    assert east == pytest.approx(349, abs=5)
    assert south == pytest.approx(265, abs=5)
    assert total == pytest.approx(440, abs=5)


def test_gcj02_inverse_undoes_the_forward_shift_to_a_millimetre():
    lon, lat = np.meshgrid(np.linspace(100, 120, 21), np.linspace(20, 45, 26))
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert back_lon.shape == lon.shape
    assert np.abs(back_lon - lon).max() < 1e-8  # about 1 mm
    assert np.abs(back_lat - lat).max() < 1e-8


def test_gcj02_inverse_is_not_the_one_step_approximation():
    # coordtransform's gcj02towgs84(116.404, 39.915) is one step (2p - f(p)):
    # [116.39775550083061, 39.91359571849836], centimetres off; iterating fixes it.
    lon, lat = gcj02_to_wgs84(116.404, 39.915)
    f_lon, f_lat = wgs84_to_gcj02(lon, lat)
    assert float(f_lon) == pytest.approx(116.404, abs=1e-10)
    assert float(f_lat) == pytest.approx(39.915, abs=1e-10)
    gap = GEOD.inv(float(lon), float(lat), 116.39775550083061, 39.91359571849836)[2]
    assert 0.01 < gap < 1
    o_lon, o_lat = wgs84_to_gcj02(116.39775550083061, 39.91359571849836)
    assert GEOD.inv(float(o_lon), float(o_lat), 116.404, 39.915)[2] > 0.01


def test_gcj02_leaves_points_outside_china_alone():
    lon, lat = wgs84_to_gcj02([2.35, 105.96], [48.85, 32.32])
    assert lon[0] == 2.35 and lat[0] == 48.85
    assert lon[1] != 105.96
    assert in_china([2.35, 105.96], [48.85, 32.32]).tolist() == [False, True]


def test_shift_geometries_shifts_every_vertex_and_keeps_the_input():
    poly = box(105.96, 32.32, 105.97, 32.33)
    shifted = shift_geometries(np.array([poly], dtype=object))[0]
    expected = np.column_stack(wgs84_to_gcj02(*shapely.get_coordinates(poly).T))
    assert np.allclose(shapely.get_coordinates(shifted), expected, atol=1e-12)
    assert poly.bounds == (105.96, 32.32, 105.97, 32.33)
    back = shift_geometries(np.array([shifted], dtype=object), inverse=True)[0]
    assert np.allclose(shapely.get_coordinates(back), shapely.get_coordinates(poly), atol=1e-9)


# --- basemaps -----------------------------------------------------------------


def test_basemap_names_resolve_from_the_catalogue():
    with pytest.raises(BasemapError, match="GCJ-02"):
        resolve_basemaps("osm, gaode", environ={})
    (osm,) = resolve_basemaps("osm", environ={})
    assert osm.url == BASEMAPS["osm"]["url"] and not osm.shifted
    gaode, sat = resolve_basemaps("gaode,gaode-satellite", environ={})
    assert gaode.shifted and sat.shifted and sat.labels
    assert resolve_basemaps("none", environ={}) == ()


def test_tianditu_key_comes_from_the_argument_or_the_environment():
    vec, img = resolve_basemaps("tianditu-vec,tianditu-img", tianditu_key=KEY, environ={})
    assert f"tk={KEY}" in vec.url and f"tk={KEY}" in vec.labels and "LAYER=cva" in vec.labels
    assert "LAYER=img" in img.url and "LAYER=cia" in img.labels
    assert vec.datum == "cgcs2000" and not vec.shifted
    (env,) = resolve_basemaps("tianditu-vec", environ={"TIANDITU_KEY": KEY})
    assert env.url == vec.url


def test_a_missing_tianditu_key_is_a_clear_error():
    with pytest.raises(TiandituKeyError) as info:
        resolve_basemaps("tianditu-img", environ={})
    assert isinstance(info.value, ParkgisError) and isinstance(info.value, ValueError)
    assert "TIANDITU_KEY" in str(info.value) and "--tianditu-key" in str(info.value)
    with pytest.raises(TiandituKeyError, match="letters and digits"):
        resolve_basemaps("tianditu-vec", tianditu_key="abc&x=<1>", environ={})


def test_no_key_is_kept_in_the_catalogue():
    for entry in BASEMAPS.values():
        for text in (entry["url"], entry.get("labels", "")):
            assert "tk=" not in text or "tk={key}" in text


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("bing", "unknown"),
        ("ftp://tiles.example/{z}/{x}/{y}.png", "http"),
        ("https://tiles.example/{z}/{x}.png", "placeholders"),
        ("https://tiles.example/{z}/{x}/{y}.png?k={apikey}", "apikey"),
        ("osm,osm", "twice"),
    ],
)
def test_bad_basemaps_are_refused(spec, match):
    with pytest.raises(BasemapError, match=match):
        resolve_basemaps(spec, environ={})


def test_url_templates_keep_commas_and_learn_their_datum():
    url = "https://tiles.example/{z}/{x}/{y}.png?layers=a,b"
    custom, osm = resolve_basemaps(f"{url},osm", environ={})
    assert custom.url == url and custom.datum == "wgs84" and osm.name == "osm"
    (amap,) = resolve_basemaps(
        "https://wprd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", environ={}
    )
    assert amap.shifted
    (evil,) = resolve_basemaps('https://t.example/{z}/{x}/{y}.png?"<b>', environ={})
    assert "<" not in evil.attribution


# --- styling and legend ---------------------------------------------------------


def test_parcels_take_their_status_colour_from_the_vocabulary():
    park = make_park(["supplied", "unacquired", "supplied", "已征收"])
    codes, cats = parcel_classes(park.parcels, by="acquisition_status")
    assert codes.tolist() == ["supplied", "unacquired", "supplied", "acquired"]
    assert [c.code for c in cats] == ["unacquired", "acquired", "supplied"]  # chain order
    assert [c.colour for c in cats] == [ACQUISITION.colour(c.code) for c in cats]
    _, en = parcel_classes(park.parcels, by="status", lang="en")
    assert [c.label for c in en] == ["Unacquired", "Acquired", "Supplied"]


def test_stage_comes_from_the_project_and_title_falls_back_to_it():
    projects = pd.DataFrame(
        {
            "project_id": ["P1", "P2"],
            "name": ["甲", "乙"],
            "stage": ["construction", "stalled"],
            "title_status": ["applying", "issued"],
        }
    )
    park = make_park(
        ["supplied", "supplied", "acquired"],
        project_ids=["P1", "P2", None],
        projects=projects,
        extra={"title_status": ["none", None, None]},
    )
    codes, cats = parcel_classes(park.parcels, by="stage", projects=park.projects)
    assert codes.tolist() == ["construction", "stalled", ""]
    assert [(c.code, c.colour) for c in cats[:2]] == [
        ("construction", STAGE.colour("construction")),
        ("stalled", STAGE.colour("stalled")),
    ]
    assert cats[-1].code == "" and cats[-1].label == "无项目/未填"
    codes, cats = parcel_classes(park.parcels, by="title", projects=park.projects)
    assert codes.tolist() == ["none", "issued", ""]  # the parcel's own value wins
    assert cats[0].colour == TITLE.colour("none")


def test_zones_take_a_fixed_palette_and_unknown_terms_stand_out():
    park = make_park(
        ["supplied"] * 3, zones=["乙区", "甲区", None], extra={"land_use": ["工业", "仓储", "农业"]}
    )
    codes, cats = parcel_classes(park.parcels, by="zone")
    assert [c.code for c in cats] == ["乙区", "甲区", ""]  # sorted, then the blank class
    again = parcel_classes(park.parcels, by="zone")[1]
    assert [c.colour for c in cats] == [c.colour for c in again]
    codes, cats = parcel_classes(park.parcels, by="land_use")
    assert codes.tolist() == ["industrial", "storage", "农业"]
    assert cats[0].colour == LAND_USE.colour("industrial")
    assert (cats[-1].code, cats[-1].colour) == ("农业", "#ff00ff")  # kept as written, flagged


def test_an_unknown_color_by_is_an_error():
    with pytest.raises(MapError, match="color_by 'owner'"):
        parcel_classes(make_park(["supplied"]).parcels, by="owner")


def test_legend_rows_count_parcels_and_sum_mu():
    from parkgis.maps.style import Category

    cats = [Category("a", "A", "#000000"), Category("b", "B", "#ffffff")]
    rows = legend_rows(pd.Series(["a", "b", "a", "b"]), cats, pd.Series([15.0, 7.5, 30.0, np.nan]))
    assert rows["count"].tolist() == [2, 2]
    assert rows["area_mu"].tolist() == [45.0, 7.5]


def test_summary_figures_by_hand():
    parcels = pd.DataFrame(
        {"acquisition_status": ["acquired", "unacquired", "supplied", "leveled", "acquiring", "?"]}
    )
    area = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0, np.nan])
    figures = summary_figures(parcels, area, available_mu=7.5)
    assert figures["total_mu"] == 150.0
    assert figures["acquired_mu"] == 10 + 30 + 40
    assert figures["acquiring_mu"] == 50.0
    assert figures["unacquired_mu"] == 20.0
    assert figures["available_mu"] == 7.5 and figures["undrawn"] == 1


def test_the_summary_panel_agrees_with_parkgis_reserve():
    from parkgis.land.reserve import reserve_figures

    projects = pd.DataFrame({"project_id": ["P1"], "name": ["甲"], "stage": ["signed"]})
    park = make_park(
        ["acquired", "leveled", "leveled", "unacquired"],
        project_ids=["P1", None, None, None],
        projects=projects,
    )
    summary = {r["key"]: r["value"] for r in map_payload(park)["summary"]}
    available = reserve_figures(park)["available_mu"]
    assert available == pytest.approx(2 * 14.997, abs=0.01)  # the two unallocated leveled squares
    assert summary["available"] == f"{available:,.1f} 亩"
    assert summary["unacquired"] == f"{float(gross_area_mu(park.parcels).iloc[3]):,.1f} 亩"


def test_label_zoom_follows_parcel_size():
    assert label_zoom(pd.Series([30.0]), lat=32.3) == 16
    assert label_zoom(pd.Series([300.0]), lat=32.3) == 15
    # 1 mu: a 25.8 m side spans 51 px at zoom 18 (0.51 m/px at 32.3N), 102 px at 19
    assert label_zoom(pd.Series([1.0]), lat=32.3) == 19


# --- encoding -------------------------------------------------------------------


def test_encoding_round_trips_polygons_holes_and_missing_geometries():
    outer = box(105.96, 32.32, 105.961, 32.321)
    holed = outer.difference(box(105.9603, 32.3203, 105.9606, 32.3206))
    multi = MultiPolygon(
        [box(105.97, 32.32, 105.971, 32.321), box(105.972, 32.32, 105.973, 32.3215)]
    )
    geoms = np.array([holed, None, multi, shapely.Polygon()], dtype=object)
    enc = encode_polygons(geoms)
    enc["n"] = len(geoms)
    decoded = decode(enc, enc["origin"], 1_000_000)
    assert decoded[1] is None and decoded[3] is None
    assert len(decoded[0]) == 1 and len(decoded[0][0]) == 2  # one polygon: shell and hole
    assert len(decoded[2]) == 2
    for got, want in (
        (decoded[0][0][0], holed.exterior),
        (decoded[2][1][0], multi.geoms[1].exterior),
    ):
        assert np.allclose(got, np.asarray(want.coords)[:-1], atol=5e-7)  # closing vertex dropped


def test_areas_come_from_the_full_geometry_not_the_drawn_one():
    wiggly = shapely.Polygon(
        [(GK_X + x, GK_Y + (3.0 if i % 2 else 0.0)) for i, x in enumerate(range(0, 101, 5))]
        + [(GK_X + 100, GK_Y + 100), (GK_X, GK_Y + 100)]
    )
    park = make_park(["supplied"])
    park = park.replace(parcels=park.parcels.set_geometry([wiggly], crs="EPSG:4544"))
    payload = map_payload(park, simplify_m=5.0)
    measured = float(gross_area_mu(park.parcels).iloc[0])
    assert payload["legend"]["classes"][0]["area_mu"] == pytest.approx(measured, abs=1e-4)
    drawn = decode(payload["parcels"], payload["origin"], payload["scale"])[0][0][0]
    assert len(drawn) < len(wiggly.exterior.coords) - 1  # the drawn copy was simplified
    area_col = next(c for c in payload["parcels"]["cols"] if c["label"] == "面积(亩)")
    assert area_col["values"][0] == f"{measured:,.2f}"


def test_minimal_properties_and_a_lookup_table_style():
    park = make_park(["supplied", "unacquired"] * 5)
    payload = map_payload(park)
    p = payload["parcels"]
    assert p["cls"] == [1, 0] * 5 and len(payload["legend"]["classes"]) == 2
    assert set(p) == {"n", "xy", "rl", "pr", "fp", "cls", "lp", "cols", "keys", "proj"}
    html = map_html(park_map(park))
    assert "switch(" not in html.split("parkgis map: draws")[-1]  # no per-feature style switch


# --- constraints and zones --------------------------------------------------------


def test_setback_corridors_are_buffers_in_the_local_gk_zone():
    line = LineString([(GK_X - 50, GK_Y + 50), (GK_X + 350, GK_Y + 50)])
    constraints = gpd.GeoDataFrame(
        {
            "constraint_id": ["C1", "C2"],
            "kind": ["hv_line", "river"],
            "name": ["110kV", "河"],
            "voltage_kv": [110.0, None],
            "setback_m": [25.0, None],
        },
        geometry=[line, box(GK_X, GK_Y - 100, GK_X + 300, GK_Y - 60)],
        crs="EPSG:4544",
    )
    park = make_park(["supplied"] * 3, constraints=constraints)
    payload = map_payload(park)
    features = payload["constraints"]["features"]
    assert [f["properties"]["setback"] for f in features] == ["25 m", "30 m (默认值)"]
    corridors = gpd.GeoSeries(
        [
            shapely.from_geojson(json.dumps(c["geometry"]))
            for c in payload["constraints"]["corridors"]
        ],
        crs="EPSG:4490",
    ).to_crs(4544)
    # a 400 m line with a 25 m setback: 400 × 50 m plus two half discs
    assert corridors.area.iloc[0] == pytest.approx(400 * 50 + math.pi * 25**2, rel=0.005)
    # a 300 × 40 m polygon with the river's default 30 m setback (park rules)
    assert corridors.area.iloc[1] == pytest.approx(360 * 100 - (4 - math.pi) * 30**2, rel=0.005)


def test_reserve_zones_outline_unacquired_parcels_by_zone():
    park = make_park(
        ["unacquired", "unacquired", "supplied", "unacquired"], zones=["甲", "甲", "甲", "乙"]
    )
    zones = map_payload(park)["zones"]
    assert [(z["name"], z["count"]) for z in zones] == [("乙", 1), ("甲", 2)]
    area = gross_area_mu(park.parcels)
    assert zones[1]["area_mu"] == pytest.approx(area.iloc[0] + area.iloc[1], abs=1e-3)
    outline = shapely.from_geojson(json.dumps(zones[1]["feature"]["geometry"]))
    assert outline.geom_type == "Polygon"  # the two squares 20 m apart joined into one outline


# --- popups, private fields, escaping -------------------------------------------------


def test_popups_join_projects_and_use_bilingual_labels():
    projects = pd.DataFrame(
        {
            "project_id": ["P1"],
            "name": ["中纺油脂项目"],
            "company": ["中纺粮油"],
            "investment_wan": [100000.0],
            "stage": ["signed"],
            "signed_on": ["2013-05-30"],
        }
    )
    park = make_park(["supplied", "acquired"], project_ids=["P1", None], projects=projects)
    zh = map_payload(park)
    labels = [c["label"] for c in zh["projects"]["cols"]]
    assert labels == ["项目名称", "企业", "投资(万元)", "项目阶段", "签约日期"]
    assert zh["parcels"]["proj"] == [[0], []]
    values = [c.get("values", c.get("dict"))[0] for c in zh["projects"]["cols"]]
    assert values == ["中纺油脂项目", "中纺粮油", "100,000", "签约", "2013-05-30"]
    en = map_payload(park, lang="en")
    assert [c["label"] for c in en["parcels"]["cols"]][:3] == ["Name", "Parcel ID", "Zone"]
    assert en["projects"]["cols"][3]["values"][0] == "Signed"


def test_private_fields_never_appear_unless_asked_for():
    park = make_park(
        ["unacquired", "unacquired"],
        extra={"owner_name": ["张某某", "李某某"], "owner_phone": ["13800000001", None]},
        private=("owner_name", "owner_phone"),
    )
    html = map_html(park_map(park))
    assert "张某某" not in html and "13800000001" not in html
    shown = map_html(park_map(park, include_private=True))
    assert "张某某" in shown and "13800000001" in shown
    with pytest.raises(MapError, match="private"):
        park_map(park, fields=["name", "owner_name"])
    with pytest.raises(MapError, match="not in the parcels"):
        park_map(park, fields=["name", "owner_address"])


def test_user_text_is_json_data_never_markup_or_template():
    projects = pd.DataFrame(
        {"project_id": ["P1"], "name": ['"><svg onload=alert(3)>'], "company": ["{# x"]}
    )
    park = make_park(
        ["supplied", "supplied", "acquired"],
        names=[XSS, TEMPLATE, "</script><script>alert(2)</script>"],
        project_ids=["P1", None, None],
        projects=projects,
        extra={"notes": ["{% raw %}", "&amp; & <b>", "\u2028line"]},
        title="<b>园区</b>{{ 1+1 }}",
    )
    html = map_html(park_map(park))
    for text in (XSS, "<script>alert(2)", "<svg onload", "<b>园区", "& <b>"):
        assert text not in html
    assert "49" not in re.sub(r"\d{3,}", "", data_of(html)["title"])
    assert "<title>&lt;b&gt;园区&lt;/b&gt;{{ 1+1 }}</title>" in html
    data = data_of(html)
    name_col = data["parcels"]["cols"][data["parcels"]["keys"]["name"]]
    assert name_col["values"] == [XSS, TEMPLATE, "</script><script>alert(2)</script>"]
    notes = next(c for c in data["parcels"]["cols"] if c["label"] == "备注")
    assert notes["values"] == ["{% raw %}", "&amp; & <b>", "\u2028line"]
    assert data["projects"]["cols"][0]["values"] == ['"><svg onload=alert(3)>']
    assert data["title"] == "<b>园区</b>{{ 1+1 }}"


def test_dumps_json_escapes_what_could_end_a_script_element():
    text = dumps_json({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


# --- the page: offline assets, determinism, shift -------------------------------------


def test_offline_pages_inline_every_asset_with_its_licence_notice():
    html = map_html(park_map(make_park(["supplied"])))
    assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)=", html)
    assert "cdn.jsdelivr.net" not in html.split("-->", 1)[1]
    assert "L.Control.Search" in html and "L.Control.MiniMap" in html
    assert "Vladimir Agafonkin" in html and "Bruno Bergot" in html and "Stefano Cudini" in html
    assert "Norkart" in html and "LJA Engineering" in html
    for asset in ASSETS:
        assert asset_text(asset.name) in html
    for needed in ("Leaflet 1.9.3", "leaflet-measure 2.1.7", "Leaflet-MiniMap 3.6.1"):
        assert needed in notices()
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()


def test_inlined_css_refers_to_no_file():
    for asset in ASSETS:
        if asset.kind == "css":
            refs = re.findall(r"url\(\s*['\"]?([^)'\"]*)", asset_text(asset.name))
            assert all(r.startswith(("data:", "#")) for r in refs), (asset.name, refs)


def test_online_pages_link_the_cdn_files_instead():
    m = park_map(make_park(["supplied"]), offline=False)
    html = map_html(m)
    assert html.count("<script src=") == 5 and html.count('<link rel="stylesheet"') == 5
    assert asset_text("leaflet.js") not in html
    assert asset_tags(offline=False) in html
    assert len(map_html(m, offline=True)) > len(html) + 300_000


def test_same_park_same_bytes(tmp_path):
    park = make_park(["supplied", "unacquired"], names=["甲", TEMPLATE])
    a = save_map(park_map(park), tmp_path / "a.html").read_bytes()
    m = park_map(park)
    m._repr_html_()  # shown in a notebook first
    b = save_map(m, tmp_path / "b.html").read_bytes()
    assert a == b
    other = save_map(
        park_map(make_park(["supplied", "acquired"])), tmp_path / "c.html"
    ).read_bytes()
    assert other != a
    ids = set(re.findall(r"map_[0-9a-f]{12}", a.decode()))
    assert len(ids) == 1


def test_save_map_writes_atomically_into_a_new_folder(tmp_path):
    target = tmp_path / "out" / "deep" / "park.html"
    path = save_map(park_map(make_park(["supplied"])), target)
    assert path == target and target.read_text("utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in target.parent.iterdir()] == ["park.html"]


def test_gaode_shifts_the_displayed_copy_only():
    park = make_park(["supplied", "unacquired"])
    before = park.parcels.geometry.copy()
    plain = map_payload(park)
    shifted = map_payload(park, basemaps=resolve_basemaps("gaode", environ={}))
    assert park.parcels.geometry.equals(before)
    assert plain["shift"] is None and "GCJ-02" in shifted["shift"]["note"]
    assert shifted["shift"]["metres"] == pytest.approx(440, abs=6)
    stored = park.parcels.to_crs(4490).geometry.iloc[0]
    want = np.column_stack(wgs84_to_gcj02(*shapely.get_coordinates(stored).T))[:-1]
    got = np.asarray(decode(shifted["parcels"], shifted["origin"], shifted["scale"])[0][0][0])
    dist = GEOD.inv(got[:, 0], got[:, 1], want[:, 0], want[:, 1])[2]
    assert dist.max() < 0.2  # rounding to 1e-6 degree only
    same = np.asarray(decode(plain["parcels"], plain["origin"], plain["scale"])[0][0][0])
    assert GEOD.inv(same[:, 0], same[:, 1], *shapely.get_coordinates(stored)[:-1].T)[2].max() < 0.2
    tianditu = map_payload(
        park, basemaps=resolve_basemaps("tianditu-vec", tianditu_key=KEY, environ={})
    )
    assert tianditu["shift"] is None and tianditu["parcels"]["xy"] == plain["parcels"]["xy"]


def test_park_map_reads_the_tianditu_key_from_the_environment(monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(TiandituKeyError):
        park_map(make_park(["supplied"]), basemap="tianditu-vec")
    monkeypatch.setenv("TIANDITU_KEY", KEY)
    assert f"tk={KEY}" in map_html(park_map(make_park(["supplied"]), basemap="tianditu-vec"))


def test_options_are_checked():
    park = make_park(["supplied"])
    with pytest.raises(MapError, match="renderer"):
        park_map(park, renderer="webgl")
    with pytest.raises(MapError, match="language"):
        park_map(park, lang="fr")


def test_public_api_is_lazy():
    assert parkgis.park_map is park_map and parkgis.save_map is save_map
    assert {"park_map", "save_map"} <= set(parkgis.__all__)


# --- the command line ---------------------------------------------------------------


def test_cli_writes_maps_park_html_in_the_current_folder(tmp_path, monkeypatch):
    from parkgis.cli import cli
    from parkgis.io.store import write_park

    folder = write_park(make_park(["supplied", "unacquired"], names=[XSS, "乙"]), tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["map", str(folder)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "maps" / "tiny.html"
    assert out.is_file() and result.output.strip() == str(out.relative_to(tmp_path))
    assert data_of(out.read_text("utf-8"))["parcels"]["cols"][0]["values"] == [XSS, "乙"]
    result = CliRunner().invoke(
        cli,
        [
            "map",
            str(folder),
            "-o",
            "x.html",
            "--online",
            "--color-by",
            "zone",
            "--lang",
            "en",
            "--simplify",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    data = data_of((tmp_path / "x.html").read_text("utf-8"))
    assert data["legend"]["title"] == "Zone" and data["lang"] == "en"


def test_cli_missing_tianditu_key_exits_with_the_reason(tmp_path, monkeypatch):
    from parkgis.cli import cli

    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["map", "--basemap", "tianditu-vec"])
    assert result.exit_code == 1
    assert "TIANDITU_KEY" in result.output and not (tmp_path / "maps").exists()
    result = CliRunner().invoke(cli, ["map", "--basemap", "tianditu-vec", "--tianditu-key", KEY])
    assert result.exit_code == 0, result.output
    assert KEY in (tmp_path / "maps" / "yuanba.html").read_text("utf-8")


def test_parcels_without_geometry_are_counted_and_reported_not_dropped():
    park = make_park(["supplied", "unacquired", "supplied"])
    geoms = list(park.parcels.geometry)
    geoms[1] = None
    park = park.replace(parcels=park.parcels.set_geometry(geoms, crs="EPSG:4544"))
    data = data_of(map_html(park_map(park)))
    assert data["parcels"]["fp"] == [1, 0, 1]
    assert [c["count"] for c in data["legend"]["classes"]] == [1, 2]
    summary = {r["key"]: r["value"] for r in data["summary"]}
    assert summary["undrawn"] == "1"
    assert data["parcels"]["lp"][2:4] == [None, None]


def test_the_map_still_draws_when_the_reserve_figures_cannot_be_had():
    # a ledger date the reserve arithmetic cannot read ("下半年") stops parkgis reserve,
    # not the map: the panel shows a dash and says why
    park = make_park(["acquiring", "supplied"], extra={"expected_acquisition": ["下半年", None]})
    data = data_of(map_html(park_map(park)))
    row = next(r for r in data["summary"] if r["key"] == "available")
    assert row["value"] == "—" and "下半年" in row["note"]


# --- large parks: shared arcs, packed numbers, per-zoom simplification, tiles ---------


def test_packed_numbers_round_trip():
    assert pack_unsigned([0, 1, 31, 32, 1000]) == "ABfgBof"  # 5 bits a character
    assert pack_signed([0, -1, 1, -300]) == "ABC3S"  # zig-zag: 0, 1, 2, 599
    values = np.random.default_rng(3).integers(-(2**30), 2**30, size=5000)
    values[:6] = [0, -1, 2**30, -(2**30), 31, 32]
    assert np.array_equal(unpack_signed(pack_signed(values)), values)
    assert np.array_equal(unpack_unsigned(pack_unsigned(np.abs(values))), np.abs(values))
    text = pack_signed(values)
    assert re.fullmatch(r"[A-Za-z0-9_-]*", text) and dumps_json(text) == f'"{text}"'
    with pytest.raises(ValueError, match="non-negative"):
        pack_unsigned([-1])
    with pytest.raises(ValueError, match="middle of a number"):
        unpack_unsigned("g")


def test_topology_decodes_to_the_quantised_polygons():
    u = 1e-6  # one grid unit: these coordinates are exact on the grid
    x0, y0 = 105.96, 32.32
    cell = 100 * u
    squares = [
        box(x0 + i * cell, y0 + j * cell, x0 + (i + 1) * cell, y0 + (j + 1) * cell)
        for j in range(3)
        for i in range(3)
    ]
    holed = box(x0 + 300 * u, y0, x0 + 500 * u, y0 + 200 * u).difference(
        box(x0 + 350 * u, y0 + 50 * u, x0 + 450 * u, y0 + 150 * u)
    )
    island = box(x0 + 350 * u, y0 + 50 * u, x0 + 450 * u, y0 + 150 * u)  # fills the hole
    multi = MultiPolygon(
        [
            box(x0, y0 + 400 * u, x0 + 50 * u, y0 + 450 * u),
            box(x0 + 60 * u, y0 + 400 * u, x0 + 90 * u, y0 + 450 * u),
        ]
    )
    geoms = np.array([*squares, holed, None, island, multi, shapely.Polygon()], dtype=object)
    topo = build_topology(geoms)
    enc = encode_topology(topo)
    decoded = decode_topology(enc)
    assert decoded[10] is None and decoded[13] is None  # missing and empty: no polygon
    want = shapely.transform(geoms, lambda xy: np.rint(xy * 1_000_000))
    want[13] = None
    assert same_polygons(as_polygons(decoded), want)
    assert [len(p) for p in decoded[9]] == [2]  # one polygon: shell and hole
    assert len(decoded[12]) == 2  # two parts
    # the hole (ring 10) and the island filling it (ring 11): one closed arc, written once
    first_ref = np.concatenate([[0], np.cumsum(topo.ring_arcs)])
    hole, isle = topo.refs[first_ref[10]], topo.refs[first_ref[11]]
    assert topo.ring_arcs[10:12].tolist() == [1, 1] and max(hole, ~hole) == max(isle, ~isle)

    fabric = voronoi_fabric(300, seed=7)
    enc = encode_topology(build_topology(np.asarray(fabric.to_crs(4490).array, dtype=object)))
    assert same_polygons(as_polygons(decode_topology(enc)), quantised(fabric))


def test_shared_edges_are_written_once():
    u = 1e-6
    side = 10 * u
    grid = np.array(
        [
            box(
                105.96 + i * side, 32.32 + j * side, 105.96 + (i + 1) * side, 32.32 + (j + 1) * side
            )
            for j in range(2)
            for i in range(2)
        ],
        dtype=object,
    )
    topo = build_topology(grid)
    # 2 × 2 squares: 4 inner edges (centre to each side's middle) and 4 outer Ls
    assert topo.n_arcs == 8 and len(topo.refs) == 12
    assert np.diff(topo.arc_offsets).tolist().count(2) == 4  # the inner edges: 2 points
    assert len(topo.arc_xy) == 4 * 2 + 4 * 3  # 20 points, not 4 × 4 vertices + 4 × 4 again

    fabric = voronoi_fabric(400, seed=1)
    lonlat = np.asarray(fabric.to_crs(4490).array, dtype=object)
    topo = build_topology(lonlat)
    edges = []
    for a in range(topo.n_arcs):
        pts = [tuple(p) for p in topo.arc_xy[topo.arc_offsets[a] : topo.arc_offsets[a + 1]]]
        edges += [frozenset(e) for e in itertools.pairwise(pts)]
    assert len(edges) == len(set(edges))  # no edge twice
    polygon_edges = set()
    for ring in shapely.get_exterior_ring(quantised(fabric)):
        xy = shapely.get_coordinates(ring).astype(np.int64) - np.asarray(topo.origin)
        polygon_edges |= {frozenset(e) for e in itertools.pairwise(map(tuple, xy.tolist()))}
    polygon_edges = {e for e in polygon_edges if len(e) == 2}  # rounding joins a few vertices
    assert set(edges) == polygon_edges  # every edge of every parcel, once
    vertices = int(shapely.get_num_coordinates(lonlat).sum()) - 2 * len(lonlat)
    assert len(topo.arc_xy) < 0.65 * vertices  # neighbours share their edges
    packed = encode_topology(topo)
    per_polygon = encode_polygons(lonlat)
    assert len(packed["xy"]) < 0.3 * len(json.dumps(per_polygon["xy"]))


def test_per_zoom_simplification_keeps_the_fabric_gap_free():
    fabric = voronoi_fabric(400, seed=2, wiggle_m=1.5)
    lonlat = np.asarray(fabric.to_crs(4490).array, dtype=object)
    topo = build_topology(lonlat)
    levels = vertex_zooms(topo, lat=32.32, zooms=(12, 19))
    enc = encode_topology(topo, levels=levels, low=12)
    full = as_polygons(decode_topology(enc))
    assert same_polygons(full, quantised(fabric))
    counts = []
    for zoom in range(12, 20):
        drawn = as_polygons(decode_topology(enc, zoom=zoom))
        counts.append(int(shapely.get_num_coordinates(drawn).sum()))
        metric = gpd.GeoSeries(shapely.transform(drawn, lambda xy: xy / 1e6), crs=4490).to_crs(4544)
        assert shapely.coverage_is_valid(np.asarray(metric.array, dtype=object)), zoom
        union = shapely.union_all(metric.array)
        assert union.geom_type == "Polygon" and len(union.interiors) == 0  # no gap inside
        overlap = metric.area.sum() - union.area
        assert abs(overlap) < 1.0, zoom  # m² over the whole fabric: none
        # the fabric's outline moves by less than the zoom's half pixel
        half_px = 0.5 * 156_543.03 * math.cos(math.radians(32.32)) / 2**zoom
        assert union.symmetric_difference(shapely.union_all(fabric.array)).area < (
            half_px * 4 * math.sqrt(400 * 30_000.0)
        )
    assert counts == sorted(counts) and counts[0] < 0.5 * counts[-1]
    # for contrast: simplifying each parcel on its own opens gaps and overlaps
    alone = shapely.simplify(np.asarray(fabric.array, dtype=object), 2.0)
    assert not shapely.coverage_is_valid(alone)


def test_the_tiled_payload_carries_the_same_parcels():
    park = fabric_park(600, seed=4)
    vector = map_payload(park)
    tiled = map_payload(park, tiled=True)
    p, v = tiled["parcels"], vector["parcels"]
    assert p["enc"] == "topo" and p["n"] == v["n"] == 600
    assert tiled["legend"] == vector["legend"] and p["cols"] == v["cols"] and p["keys"] == v["keys"]
    assert unpack_unsigned(p["cls"]).tolist() == v["cls"]
    drawn = as_polygons(
        [
            [[np.rint(np.asarray(ring) * 1e6) for ring in poly] for poly in feature]
            for feature in decode(v, vector["origin"], vector["scale"])
        ]
    )
    assert same_polygons(as_polygons(decode_topology(p)), shapely.remove_repeated_points(drawn))
    label = np.cumsum(unpack_signed(p["lp"]).reshape(-1, 2), axis=0)
    assert label.ravel().tolist() == v["lp"]  # the same label points, packed
    assert set(tiled) - set(vector) == {"zone_outlines"}
    assert all("feature" not in z for z in tiled["zones"])
    assert decode_topology(tiled["zone_outlines"])[0] is not None
    assert len(dumps_json(tiled)) < 0.6 * len(dumps_json(vector))


def test_renderer_auto_draws_large_parks_on_tiles(monkeypatch):
    park = make_park(["supplied", "unacquired", "acquired"])
    assert "window.parkgisTiles = {" not in map_html(park_map(park))  # not even the script
    monkeypatch.setattr(parkgis.maps, "TILES_FROM", 3)
    html = map_html(park_map(park))
    data = data_of(html)
    assert data["renderer"] == "tiles" and data["parcels"]["enc"] == "topo"
    assert "window.parkgisTiles = {" in html and '"fadeAnimation": false' in html
    assert data_of(map_html(park_map(park, renderer="canvas")))["parcels"].get("enc") is None
    assert data_of(map_html(park_map(park, renderer="tiles")))["renderer"] == "tiles"


def test_tiled_maps_keep_private_fields_out_and_are_deterministic(tmp_path):
    park = make_park(
        ["unacquired", "supplied"],
        names=[XSS, TEMPLATE],
        extra={"owner_name": ["张某某", "李某某"]},
        private=("owner_name",),
    )
    a = save_map(park_map(park, renderer="tiles"), tmp_path / "a.html").read_bytes()
    b = save_map(park_map(park, renderer="tiles"), tmp_path / "b.html").read_bytes()
    assert a == b
    html = a.decode("utf-8")
    assert "张某某" not in html and XSS not in html
    assert data_of(html)["parcels"]["cols"][0]["values"] == [XSS, TEMPLATE]
    assert "张某某" in map_html(park_map(park, renderer="tiles", include_private=True))


def test_tiled_gaode_shifts_the_displayed_copy_only():
    park = make_park(["supplied", "unacquired"])
    shifted = map_payload(park, basemaps=resolve_basemaps("gaode", environ={}), tiled=True)
    ring = decode_topology(shifted["parcels"])[0][0][0] / 1e6
    stored = shapely.get_coordinates(park.parcels.to_crs(4490).geometry.iloc[0])[:-1]
    want = np.column_stack(wgs84_to_gcj02(stored[:, 0], stored[:, 1]))
    got = shapely.get_coordinates(shapely.normalize(shapely.Polygon(ring)).exterior)[:-1]
    wanted = shapely.get_coordinates(shapely.normalize(shapely.Polygon(want)).exterior)[:-1]
    dist = GEOD.inv(got[:, 0], got[:, 1], wanted[:, 0], wanted[:, 1])[2]
    assert dist.max() < 0.2  # rounding to 1e-6 degree only
    assert GEOD.inv(*stored[0], *want[0])[2] == pytest.approx(440, abs=10)
