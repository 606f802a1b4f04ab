"""Park maps in a real headless Chromium, with every network request blocked.

Driven by Playwright for Python pointed at Debian's ``/usr/bin/chromium``
(``.ci/run`` installs it; no browser download). Each page is opened with
``page.route`` aborting and counting every http(s) request, and with
listeners for uncaught errors, console errors and dialogs (``alert``).
Screenshots go to ``artifacts/maps/`` (git-ignored). Large parks (drawn on
canvas tiles, hit-tested by the page itself) are checked on a Voronoi fabric
of 3,000 parcels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod
from shapely.geometry import MultiPolygon, box

from parkgis.io.store import read_park
from parkgis.maps import park_map, save_map
from parkgis.maps.gcj02 import wgs84_to_gcj02
from parkgis.measure.area import gross_area_mu
from parkgis.model.vocab import ACQUISITION
from tests.conftest import GK_X, GK_Y, REPO, needs
from tests.test_maps import KEY, TEMPLATE, XSS, fabric_park, make_park

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "artifacts" / "maps"
GEOD = Geod(ellps="GRS80")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = needs(
    CHROMIUM.exists(),
    "Debian's Chromium is not at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@dataclass
class Opened:
    """A map page and what it did: requests, errors, dialogs."""

    page: object
    blocked: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def js(self, script: str, arg: object = None) -> object:
        return self.page.evaluate(script, arg)

    def point(self, i: int) -> tuple[float, float]:
        """Where parcel ``i``'s label point is on screen."""
        x, y = self.js(
            """(i) => { const s = window.parkgisMaps[0], d = s.data, p = d.parcels;
                 const lat = (p.lp[2*i+1] + d.origin[1]) / d.scale;
                 const lng = (p.lp[2*i] + d.origin[0]) / d.scale;
                 const c = s.map.latLngToContainerPoint(L.latLng(lat, lng));
                 return [c.x, c.y]; }""",
            i,
        )
        return x, y

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def open_map(browser):
    contexts = []

    def _open(path: Path, *, width: int = 1280, height: int = 800) -> Opened:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        opened = Opened(page)

        def route(r):
            url = r.request.url
            if url.startswith(("http://", "https://")):
                opened.blocked.append(url)
                r.abort()
            else:
                if url != path.as_uri():
                    opened.other.append(url)
                r.continue_()

        page.route("**/*", route)
        page.on("pageerror", lambda e: opened.errors.append(str(e)))
        page.on("console", lambda m: opened.console.append(m.text) if m.type == "error" else None)

        def dialog(d):
            opened.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(path.as_uri())
        page.wait_for_function(
            "window.parkgisMaps && window.parkgisMaps.length && window.parkgisMaps[0].ready",
            timeout=20_000,
        )
        page.wait_for_timeout(200)
        return opened

    yield _open
    for context in contexts:
        context.close()


def drawn_parcels(opened: Opened) -> int:
    """Parcel layers Leaflet has projected and drawn (canvas or SVG)."""
    return opened.js(
        """() => window.parkgisMaps[0].layers.parcels.getLayers()
                .filter(l => l._parts && l._parts.length && l._parts[0].length).length"""
    )


def settle(opened: Opened) -> None:
    """Wait until the map is not moving (a popup pans the map into view)."""
    opened.page.wait_for_function(
        """() => { const m = window.parkgisMaps[0].map;
             return !(m._panAnim && m._panAnim._inProgress) && !m._animatingZoom; }"""
    )
    opened.js("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def wait_for_popup(opened: Opened, parcel_id: str) -> str:
    """Wait for the popup of ``parcel_id`` and for the map to settle; return its title."""
    opened.page.wait_for_function(
        """(id) => { const t = document.querySelector('.parkgis-popup-title');
             return t && t.textContent.endsWith('(' + id + ')'); }""",
        arg=parcel_id,
    )
    settle(opened)
    return opened.js("() => document.querySelector('.parkgis-popup-title').textContent")


def search(opened: Opened, text: str) -> None:
    """Type ``text`` into the search box (leaflet-search listens for keyup)."""
    opened.page.click(".leaflet-control-search .search-button")
    box = opened.page.locator(".leaflet-control-search input.search-input")
    box.fill(text)
    box.dispatch_event("keyup")


def assert_clean(opened: Opened) -> None:
    assert opened.errors == []
    assert opened.console == []
    assert opened.dialogs == []


# --- the bundled park, offline ------------------------------------------------


def test_bundled_park_renders_completely_offline(open_map, tmp_path, monkeypatch):
    from parkgis.cli import cli

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["map"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "maps" / "yuanba.html"
    opened = open_map(path)
    assert opened.blocked == [] and opened.other == []  # not one request
    assert_clean(opened)

    park = read_park()
    assert drawn_parcels(opened) == len(park.parcels) == 26

    area = gross_area_mu(park.parcels)
    status = park.parcels["acquisition_status"]
    rows = opened.js(
        """() => Array.from(document.querySelectorAll('.parkgis-legend-row')).map(r => [
             r.dataset.code, r.querySelector('.parkgis-legend-label').textContent,
             r.querySelector('.parkgis-legend-count').textContent,
             r.querySelector('.parkgis-legend-mu').textContent])"""
    )
    expected = [
        [t.code, t.zh, str(int((status == t.code).sum())), f"{area[status == t.code].sum():,.1f}"]
        for t in ACQUISITION
        if (status == t.code).any()
    ]
    assert rows == expected
    assert ["unacquired", "未征收", "6", "700.0"] in rows  # the report's ~700 mu still to acquire
    total = opened.js("() => document.querySelector('.parkgis-legend-total').textContent")
    assert total == f"合计26{area.sum():,.1f}"
    summary = opened.js(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('.parkgis-summary-row'))
                 .map(r => [r.dataset.key, r.querySelector('td').textContent]))"""
    )
    assert summary["total"] == f"{area.sum():,.1f} 亩" and summary["unacquired"] == "700.0 亩"

    controls = opened.js(
        """() => ['.leaflet-control-zoom-fullscreen', '.leaflet-control-search',
                  '.leaflet-control-measure', '.leaflet-control-minimap', '.leaflet-control-layers',
                  '.parkgis-legend', '.parkgis-summary']
                 .map(s => document.querySelectorAll(s).length)"""
    )
    assert controls == [1, 1, 1, 1, 1, 1, 1]
    overlays = opened.js(
        """() => Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))
                 .map(l => l.textContent.trim())"""
    )
    assert overlays == ["地块", "地块标注", "限制要素", "退让范围", "储备片区(未征收)"]
    assert opened.js("() => document.querySelectorAll('.parkgis-label').length") > 0
    assert opened.js("() => document.title") == "元坝工业园区"
    assert opened.shot("yuanba").stat().st_size > 20_000


def test_canvas_pixels_take_the_status_colour(open_map, tmp_path):
    park = make_park(["supplied", "unacquired", "acquired"])
    opened = open_map(save_map(park_map(park), tmp_path / "colours.html"))
    for i, code in enumerate(["supplied", "unacquired", "acquired"]):
        x, y = opened.point(i)
        rgba = opened.js(
            """([x, y]) => { const c = document.querySelector('.leaflet-overlay-pane canvas');
                 const r = c.getBoundingClientRect(), k = c.width / r.width;
                 const px = Math.round((x - r.left) * k), py = Math.round((y - r.top) * k);
                 return Array.from(c.getContext('2d').getImageData(px, py, 1, 1).data); }""",
            [x + 15, y + 15],
        )
        colour = [int(ACQUISITION.colour(code)[k : k + 2], 16) for k in (1, 3, 5)]
        assert rgba[3] == pytest.approx(0.75 * 255, abs=2)  # fillOpacity 0.75
        assert np.abs(np.array(rgba[:3]) - colour).max() <= 2, (code, rgba, colour)
    opened.shot("colours")


def test_one_svg_path_per_parcel(open_map, tmp_path):
    ring = box(GK_X, GK_Y, GK_X + 100, GK_Y + 100)
    holed = ring.difference(box(GK_X + 30, GK_Y + 30, GK_X + 60, GK_Y + 60))
    multi = MultiPolygon(
        [
            box(GK_X + 120, GK_Y, GK_X + 170, GK_Y + 100),
            box(GK_X + 180, GK_Y, GK_X + 220, GK_Y + 100),
        ]
    )
    park = make_park(["supplied"] * 12)
    geoms = list(park.parcels.geometry)
    geoms[0], geoms[1] = holed, multi
    park = park.replace(parcels=park.parcels.set_geometry(geoms, crs="EPSG:4544"))
    opened = open_map(save_map(park_map(park, renderer="svg"), tmp_path / "svg.html"))
    assert_clean(opened)
    paths = opened.js(
        """() => Array.from(document.querySelectorAll('path.parkgis-parcel'))
                 .map(p => p.getAttribute('d'))"""
    )
    assert len(paths) == 12 and all(paths)
    moves = sorted(d.count("M") for d in paths)
    assert moves == [1] * 10 + [2, 2]  # the holed parcel and the two-part parcel: one path each
    assert drawn_parcels(opened) == 12


# --- popups and hostile text ------------------------------------------------------


def test_clicking_a_parcel_opens_a_popup_with_its_area_in_mu(open_map, tmp_path):
    projects = pd.DataFrame(
        {
            "project_id": ["P1"],
            "name": ["中纺粮油60万吨油脂项目"],
            "company": ["中纺粮油集团"],
            "investment_wan": [100000.0],
            "stage": ["signed"],
            "signed_on": ["2013-05-30"],
        }
    )
    park = make_park(["supplied", "unacquired"], project_ids=["P1", None], projects=projects)
    opened = open_map(save_map(park_map(park), tmp_path / "popup.html"))
    area = gross_area_mu(park.parcels)
    for i in (0, 1):
        opened.page.mouse.click(*opened.point(i))
        wait_for_popup(opened, f"T-0{i + 1}")
        text = opened.page.inner_text(".parkgis-popup")
        rows = opened.js(
            """() => Object.fromEntries(
                 Array.from(document.querySelectorAll('.parkgis-popup tr.parkgis-field'))
                 .map(r => [r.querySelector('th').textContent,
                            r.querySelector('td').textContent]))"""
        )
        assert rows["面积(亩)"] == f"{area.iloc[i]:,.2f}" == "15.00"
        assert rows["地块编号"] == f"T-0{i + 1}"
        if i == 0:
            assert rows["征收状态"] == "已供地"
            for shown in (
                "中纺粮油60万吨油脂项目",
                "中纺粮油集团",
                "100,000",
                "签约",
                "2013-05-30",
            ):
                assert shown in text
        else:
            assert rows["征收状态"] == "未征收" and "项目名称" not in text
        opened.js("() => window.parkgisMaps[0].map.closePopup()")
    # hovering in and out of a parcel keeps it clickable (hover styling must not reset
    # the layer's options)
    for i in (0, 1, 0):
        x, y = opened.point(i)
        opened.page.mouse.move(x, y)
        opened.page.wait_for_timeout(60)
        opened.page.mouse.move(x + 3, y + 3)
        opened.page.wait_for_timeout(60)
    opened.page.mouse.click(*opened.point(1))
    assert wait_for_popup(opened, "T-02") == "地块2 (T-02)"
    assert_clean(opened)


def test_hostile_names_show_exactly_as_written_and_nothing_runs(open_map, tmp_path):
    names = [XSS, TEMPLATE, "</script><script>alert(2)</script>", "{# 注释 #}{% if 1 %}"]
    notes = ["<b onmouseover=alert(4)>粗</b>", "&amp;&lt;", "{{ config }}", "\u2028两行"]
    projects = pd.DataFrame(
        {"project_id": ["P1"], "name": ['"><svg onload=alert(3)>'], "company": ["{{ 6*7 }}"]}
    )
    park = make_park(
        ["supplied"] * 4,
        names=names,
        project_ids=["P1", None, None, None],
        projects=projects,
        extra={"notes": notes},
        title="<i>园区</i>{{ 7*7 }}",
    )
    opened = open_map(save_map(park_map(park), tmp_path / "xss.html"))
    for i, name in enumerate(names):
        opened.page.mouse.click(*opened.point(i))
        assert wait_for_popup(opened, f"T-0{i + 1}") == f"{name} (T-0{i + 1})"
        cells = opened.js(
            """() => Array.from(document.querySelectorAll('.parkgis-popup td'))
                 .map(td => td.textContent)"""
        )
        assert name in cells and notes[i] in cells
        if i == 0:
            assert '"><svg onload=alert(3)>' in cells and "{{ 6*7 }}" in cells
        opened.js("() => window.parkgisMaps[0].map.closePopup()")
    # the hover tooltip and the search list show the text as text too
    x, y = opened.point(1)
    opened.page.mouse.move(x, y)
    opened.page.wait_for_timeout(100)  # Leaflet's canvas takes one hover per 32 ms
    opened.page.mouse.move(x + 2, y + 2)
    opened.page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.parkgis-tooltip .parkgis-tip-title'))
                 .some(t => t.textContent.endsWith('(T-02)'))"""
    )
    tips = opened.js(
        """() => Array.from(document.querySelectorAll('.parkgis-tooltip .parkgis-tip-title'))
                 .map(t => t.textContent)"""
    )
    assert f"{TEMPLATE} (T-02)" in tips
    search(opened, "img")
    tip = opened.page.wait_for_selector(".search-tooltip .search-tip")
    assert tip.text_content().startswith(XSS)
    assert opened.js("() => document.querySelectorAll('img, svg [onload], b, i').length") == 0
    assert opened.js("() => document.title") == "<i>园区</i>{{ 7*7 }}"
    assert opened.js("() => document.querySelector('.parkgis-summary-title').textContent") == (
        "<i>园区</i>{{ 7*7 }}"
    )
    assert opened.dialogs == []  # no alert ran
    assert_clean(opened)


# --- search, measure -----------------------------------------------------------------


def test_search_by_project_name_opens_its_parcel(open_map, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    opened = open_map(save_map(park_map(read_park()), tmp_path / "search.html"))
    search(opened, "中纺粮油")
    tip = opened.page.wait_for_selector(".search-tooltip .search-tip")
    assert "中纺油脂地块" in tip.text_content()
    tip.click()
    title = opened.page.wait_for_selector(".parkgis-popup-title")
    assert title.text_content() == "中纺油脂地块 (YB-H1-10)"
    assert "中纺粮油60万吨油脂项目" in opened.page.inner_text(".parkgis-popup")
    assert_clean(opened)


def test_measuring_a_parcel_gives_metres_and_mu(open_map, tmp_path):
    opened = open_map(save_map(park_map(make_park(["supplied", "acquired"])), tmp_path / "m.html"))
    corners = opened.js(
        """() => { const s = window.parkgisMaps[0];
             return s.parcelLayers[0].getLatLngs()[0].map(p => {
               const c = s.map.latLngToContainerPoint(p); return [c.x, c.y]; }); }"""
    )
    toggle = opened.page.locator(".leaflet-control-measure-toggle").bounding_box()
    opened.page.mouse.move(toggle["x"] + toggle["width"] / 2, toggle["y"] + toggle["height"] / 2)
    opened.page.click(".leaflet-control-measure .js-start")
    for x, y in corners:
        opened.page.mouse.click(x, y)
        opened.page.wait_for_timeout(100)
    opened.page.click(".leaflet-control-measure .js-finish")
    result = opened.page.wait_for_selector(".leaflet-measure-resultpopup").inner_text()
    mu, sqm = re.search(r"([\d.,]+) 亩 \(([\d,]+) 平方米\)", result).groups()
    assert float(mu) == pytest.approx(15.0, abs=0.1)  # a 100 m square (clicks are whole pixels)
    assert float(sqm.replace(",", "")) == pytest.approx(10_000, rel=0.01)
    perimeter = re.search(r"([\d,]+) 米 \([\d.]+ 公里\) 周长", result)
    assert float(perimeter.group(1).replace(",", "")) == pytest.approx(400, abs=4)
    assert_clean(opened)


# --- basemaps: Gaode shift, Tianditu none ----------------------------------------------


def displayed_and_stored(opened: Opened, park) -> tuple[np.ndarray, np.ndarray]:
    shown = np.array(
        opened.js(
            """() => window.parkgisMaps[0].parcelLayers[0].getLatLngs()[0]
                     .map(p => [p.lng, p.lat])"""
        )
    )
    stored = shapely.get_coordinates(park.parcels.to_crs(4490).geometry.iloc[0])[:-1]
    return shown, stored


def test_gaode_display_is_shifted_by_the_published_gcj02_formula(open_map, tmp_path):
    park = read_park()  # at Yuanba, 105.96E 32.32N
    opened = open_map(save_map(park_map(park, basemap="gaode"), tmp_path / "gaode.html"))
    assert opened.blocked and all("autonavi.com" in u for u in opened.blocked)  # tiles, blocked
    assert opened.errors == [] and opened.dialogs == []
    assert all("ERR_FAILED" in c or "Failed to load resource" in c for c in opened.console)
    shown, stored = displayed_and_stored(opened, park)
    want = np.column_stack(wgs84_to_gcj02(stored[:, 0], stored[:, 1]))
    assert GEOD.inv(shown[:, 0], shown[:, 1], want[:, 0], want[:, 1])[2].max() < 1.0
    shift = GEOD.inv(stored[:, 0], stored[:, 1], shown[:, 0], shown[:, 1])[2]
    assert shift.min() > 430 and shift.max() < 450
    note = opened.page.locator(".parkgis-shift-note")
    assert (
        note.is_visible() and "GCJ-02" in note.inner_text() and "不可用于量算" in note.inner_text()
    )
    assert drawn_parcels(opened) == len(park.parcels)
    opened.shot("yuanba-gaode")


def test_tianditu_display_is_not_shifted(open_map, tmp_path):
    park = read_park()
    m = park_map(park, basemap="tianditu-vec,tianditu-img", tianditu_key=KEY)
    opened = open_map(save_map(m, tmp_path / "tianditu.html"))
    assert opened.blocked and all(
        ".tianditu.gov.cn/" in u and f"tk={KEY}" in u for u in opened.blocked
    )
    assert opened.errors == [] and opened.dialogs == []
    shown, stored = displayed_and_stored(opened, park)
    assert GEOD.inv(shown[:, 0], shown[:, 1], stored[:, 0], stored[:, 1])[2].max() < 0.2
    assert opened.page.locator(".parkgis-shift-note").count() == 0
    bases = opened.js(
        """() => Array.from(document.querySelectorAll('.leaflet-control-layers-base label'))
                 .map(l => l.textContent.trim())"""
    )
    assert bases == ["天地图矢量", "天地图影像"]


# --- large parks: parcels on canvas tiles --------------------------------------------

TILED = 3_000


@pytest.fixture(scope="module")
def tiled_map(tmp_path_factory):
    park = fabric_park(TILED, seed=5)
    path = tmp_path_factory.mktemp("tiled") / "tiled.html"
    return park, save_map(park_map(park, renderer="tiles"), path)


def tile_pixel(opened: Opened, x: float, y: float) -> list[int]:
    """The parcel tiles' pixel under a screen point (the tiles take no mouse events)."""
    return opened.js(
        """([x, y]) => { for (const c of document.querySelectorAll(
               '.leaflet-parkgisParcels-pane canvas.parkgis-tile')) {
             const r = c.getBoundingClientRect();
             if (x < r.left || x >= r.right || y < r.top || y >= r.bottom) continue;
             const k = c.width / r.width;
             return Array.from(c.getContext('2d').getImageData(
               Math.floor((x - r.left) * k), Math.floor((y - r.top) * k), 1, 1).data); }
           return null; }""",
        [x, y],
    )


def tiled_point(opened: Opened, i: int, dy: float = 0.0) -> tuple[float, float]:
    x, y = opened.js(
        """([i, dy]) => { const s = window.parkgisMaps[0];
             const c = s.map.latLngToContainerPoint(s.labelLatLng(i)); return [c.x, c.y + dy]; }""",
        [i, dy],
    )
    return x, y


def zoom_to(opened: Opened, i: int, zoom: int) -> None:
    opened.js(
        """([i, z]) => { const s = window.parkgisMaps[0];
             s.map.setView(s.labelLatLng(i), z, {animate: false}); }""",
        [i, zoom],
    )
    settle(opened)


def test_tiles_draw_one_hit_testable_parcel_each_in_its_colour(open_map, tiled_map):
    park, path = tiled_map
    opened = open_map(path)
    assert opened.blocked == [] and opened.other == []  # not one request
    assert opened.js("() => window.parkgisMaps[0].tiled") is True
    assert opened.js("() => window.parkgisMaps[0].fabric.count()") == TILED
    # every parcel answers a click at its own label point, and only there
    wrong = opened.js(
        """() => { const s = window.parkgisMaps[0], out = [];
             for (let i = 0; i < s.data.parcels.n; i++) {
               const at = s.labelLatLng(i), got = s.hit(at.lat, at.lng);
               if (got !== i) out.push([i, got]); }
             return out; }"""
    )
    assert wrong == []
    outside = opened.js(
        """() => { const s = window.parkgisMaps[0], b = s.map.getBounds();
             return s.hit(b.getSouth() + 1e-4, b.getWest() + 1e-4); }"""
    )
    assert outside == -1
    counts = opened.js(
        """() => Array.from(document.querySelectorAll('.parkgis-legend-row .parkgis-legend-count'))
                 .map(c => Number(c.textContent))"""
    )
    status = park.parcels["acquisition_status"]
    assert counts == [
        int((status == t.code).sum()) for t in ACQUISITION if (status == t.code).any()
    ]

    # pixels take the class colour: copied from the overview, then drawn as vectors
    zo = opened.js("() => window.parkgisMaps[0].tiles.overviewZoom()")
    codes = status.tolist()
    for zoom, drawn in ((zo, False), (zo + 1, True)):
        checked = 0
        for i in range(0, TILED, 97):
            zoom_to(opened, i, zoom)
            x, y = tiled_point(opened, i, dy=14.0)  # below the label text
            around = opened.js(
                """([x, y]) => { const s = window.parkgisMaps[0];
                     return [[0, 0], [-4, 0], [4, 0], [0, -4], [0, 4]].map(([dx, dy]) => {
                       const ll = s.map.containerPointToLatLng([x + dx, y + dy]);
                       return s.hit(ll.lat, ll.lng); }); }""",
                [x, y],
            )
            if around != [i] * 5:
                continue  # too close to the parcel's edge to read its fill
            rgba = tile_pixel(opened, x, y)
            colour = [int(ACQUISITION.colour(codes[i])[k : k + 2], 16) for k in (1, 3, 5)]
            assert rgba[3] == pytest.approx(0.75 * 255, abs=2), (zoom, i, rgba)
            assert np.abs(np.array(rgba[:3]) - colour).max() <= 2, (zoom, i, rgba, colour)
            checked += 1
        assert checked >= 10
        stats = opened.js("() => window.parkgisMaps[0].tiles.stats")
        assert (stats["drawn"].get("parcels", 0) > 0) is drawn
    label_zoom = opened.js("() => window.parkgisMaps[0].data.label_zoom")
    zoom_to(opened, 0, label_zoom)
    assert opened.js("() => window.parkgisMaps[0].tiles.stats.drawn.labels") > 0
    opened.shot("tiled")
    assert_clean(opened)


def test_clicking_hovering_and_searching_tiled_parcels(open_map, tiled_map):
    park, path = tiled_map
    opened = open_map(path)
    area = gross_area_mu(park.parcels)
    label_zoom = opened.js("() => window.parkgisMaps[0].data.label_zoom")
    for i in (11, 2024):
        zoom_to(opened, i, label_zoom - 1)
        opened.page.mouse.click(*tiled_point(opened, i))
        assert wait_for_popup(opened, f"F{i:05d}") == f"地块{i} (F{i:05d})"
        rows = opened.js(
            """() => Object.fromEntries(
                 Array.from(document.querySelectorAll('.parkgis-popup tr.parkgis-field'))
                 .map(r => [r.querySelector('th').textContent,
                            r.querySelector('td').textContent]))"""
        )
        assert rows["面积(亩)"] == f"{area.iloc[i]:,.2f}"
        assert rows["地块编号"] == f"F{i:05d}"
        heights = opened.js(
            """() => Array.from(document.querySelectorAll('.parkgis-popup tr.parkgis-field'))
                     .map(r => r.getBoundingClientRect().height)"""
        )
        assert max(heights) < 24  # one line a field, not a character a line
        opened.js("() => { window.parkgisMaps[0].map.closePopup(); }")
    x, y = tiled_point(opened, 2024)
    opened.page.mouse.move(x, y)
    opened.page.mouse.move(x + 2, y + 2)
    opened.page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.parkgis-tooltip .parkgis-tip-title'))
                 .some(t => t.textContent === '地块2024 (F02024)')"""
    )
    # hiding the parcels layer takes them (and their labels) out of the tiles and of clicks
    zoom_to(opened, 2024, label_zoom)
    x, y = tiled_point(opened, 2024)
    labels = opened.js("() => window.parkgisMaps[0].tiles.stats.drawn.labels")
    opened.js("() => { const s = window.parkgisMaps[0]; s.map.removeLayer(s.layers.parcels); }")
    assert opened.js("() => window.parkgisMaps[0].tiles.stats.drawn.labels") == labels
    opened.page.mouse.click(x, y)
    opened.page.wait_for_timeout(200)
    assert opened.page.locator(".parkgis-popup").count() == 0
    pixel = tile_pixel(opened, x, y)  # the tiles may stay, for the zone outlines
    assert pixel is None or pixel[3] == 0
    opened.js("() => { const s = window.parkgisMaps[0]; s.map.addLayer(s.layers.parcels); }")
    search(opened, "F01234")
    tip = opened.page.wait_for_selector(".search-tooltip .search-tip")
    assert tip.text_content() == "地块1234 · F01234"
    tip.click()
    assert wait_for_popup(opened, "F01234") == "地块1234 (F01234)"
    assert opened.js("() => window.parkgisMaps[0].map.getZoom()") >= label_zoom
    assert_clean(opened)
