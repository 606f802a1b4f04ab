"""``parkgis serve`` on a real uvicorn server (127.0.0.1 only): Chromium, and a bounded load.

The browser tests drive Debian's Chromium with Playwright (no browser
download): an editor signs in, finds a parcel, records a change and sees it
in the history; a viewer's map, open in a second browser context, shows it
by polling, in place (the map is not loaded again: the parcel takes its new
colour on the canvas, on vector tiles and on the overview of a large park,
a retired parcel goes, the view stays); an editor merges two neighbouring
parcels. The load test runs 50
readers and 10 editors at once (threads with httpx2) on a park of 1,000
parcels and checks that no edit is lost; the 100,000-parcel run, with the
latencies, is the benchmark's (``benchmarks/bench_serve.py``).
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="the serve extra is not installed")

from parkgis.io.store import create_park
from parkgis.model.vocab import ACQUISITION
from parkgis.serve.app import create_app
from parkgis.serve.users import add_user
from tests.conftest import needs
from tests.test_maps import XSS, fabric_park
from tests.test_maps_browser import ARGS, CHROMIUM, tile_pixel, tiled_point
from tests.test_serve import (  # noqa: F401 - fast_argon2 is an autouse fixture
    PASSWORDS,
    fast_argon2,
    grid_park,
    history,
    running_server,
    small_park,
)

READERS, EDITORS, EDITS_EACH = 50, 10, 3
LOAD_PARCELS = 1_000


def _sign_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("#login button[type=submit]")
    page.wait_for_selector("#user")


@needs(
    CHROMIUM.exists(),
    "Debian's Chromium is not at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)",
)
def test_sign_in_find_record_and_see_it_on_a_second_map(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    park = small_park(tmp_path / "tiny.gpkg")
    app = create_app(park, poll_seconds=0.5)
    with running_server(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            viewer = browser.new_context().new_page()
            _sign_in(viewer, base, "viewer1")
            row = viewer.locator('#summary tr[data-status="leveled"] .count')
            assert row.inner_text() == "1"
            frame_src = viewer.get_attribute("#map-frame", "src")

            editor = browser.new_context().new_page()
            dialogs: list[str] = []
            editor.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            _sign_in(editor, base, "editor1")
            editor.fill("#q", "普通")
            editor.press("#q", "Enter")
            editor.click('#results a:has-text("T-03")')
            editor.wait_for_selector("#edit")
            editor.select_option("select[name=field]", "acquisition_status")
            editor.select_option("select[name=value]", "leveled")
            editor.fill("input[name=date]", "2024-04-01")
            editor.fill("input[name=note]", "场地平整验收 <script>alert(1)</script>")
            editor.click("#edit button[type=submit]")
            editor.wait_for_selector("#message")
            table = editor.inner_text("#history")
            assert "已平整" in table
            assert "editor1" in table
            assert "<script>alert(1)</script>" in table  # shown as text, never run
            assert dialogs == []

            # the viewer's map, polling, follows without a reload
            # (polled from here: the page's CSP forbids the eval wait_for_function needs)
            deadline = time.monotonic() + 15
            while row.inner_text() != "2" and time.monotonic() < deadline:
                viewer.wait_for_timeout(200)
            assert row.inner_text() == "2"
            assert viewer.get_attribute("#map-frame", "src") == frame_src  # followed in place
            browser.close()
        finally:
            if browser.is_connected():
                browser.close()
    events = history(park, "T-03")
    assert [(e["to"], e["by"]) for e in events] == [("leveled", "editor1")]


@needs(
    CHROMIUM.exists(),
    "Debian's Chromium is not at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)",
)
def test_merge_two_neighbours_in_the_browser(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    park = grid_park(tmp_path / "grid.gpkg")
    app = create_app(park, poll_seconds=0.5)
    with running_server(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            editor = browser.new_context().new_page()
            _sign_in(editor, base, "editor1")
            editor.goto(f"{base}/parcel/T-A")
            editor.check('#merge input[name=with][value="T-B"]')
            editor.fill("#merge input[name=new_id]", "M-9")
            editor.fill("#merge input[name=new_name]", "<img src=x onerror=alert(1)>")
            editor.fill("#merge input[name=note]", "合宗批复")
            editor.click("#merge button[type=submit]")
            editor.wait_for_selector("#message")
            assert editor.inner_text("#parcel-title") == "M-9 <img src=x onerror=alert(1)>"
            table = editor.inner_text("#history")
            assert "T-A,T-B" in table
            assert "editor1" in table
            browser.close()
        finally:
            if browser.is_connected():
                browser.close()
    assert [(e["entity_id"], e["field"], e["by"]) for e in history(park, "M-9")] == [
        ("M-9", "merge", "editor1"), ("M-9", "added", "editor1"),
    ]  # fmt: skip


class InFrame:
    """The map in a page's iframe, for tests/test_maps_browser.py's helpers (``js``)."""

    def __init__(self, page) -> None:
        self.page = page
        self.frame = page.query_selector("#map-frame").content_frame()

    def js(self, script: str, arg: object = None) -> object:
        return self.frame.evaluate(script, arg)


def _shown_map(page, *, timeout_s: float = 30.0) -> InFrame:
    """Wait until the page's map is loaded and brought up to date (the page then shows it)."""
    deadline = time.monotonic() + timeout_s
    while page.evaluate("() => document.getElementById('map-frame').style.visibility") != "":
        assert time.monotonic() < deadline, "the map was never shown"
        page.wait_for_timeout(100)
    return InFrame(page)


def _until(check, *, timeout_s: float = 15.0) -> float:
    """Poll ``check()`` until it is true (from here: the map's CSP forbids wait_for_function)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout_s, "timed out"
        time.sleep(0.05)
    return time.monotonic() - started


def _is(rgba: list[int] | None, code: str) -> bool:
    """Whether a pixel is the fill colour of an acquisition status (to rounding)."""
    colour = ACQUISITION.colour(code)
    rgb = [int(colour[k : k + 2], 16) for k in (1, 3, 5)]
    return rgba is not None and max(abs(a - b) for a, b in zip(rgba[:3], rgb, strict=True)) <= 2


CANVAS_PIXEL = """(i) => { const s = window.parkgisMaps[0];
  const c = s.map.latLngToContainerPoint(s.labelLatLng(i));
  const cv = document.querySelector('.leaflet-overlay-pane canvas'), r = cv.getBoundingClientRect();
  const k = cv.width / r.width;
  const x = Math.round((c.x + 15 - r.left) * k), y = Math.round((c.y + 15 - r.top) * k);
  return Array.from(cv.getContext('2d').getImageData(x, y, 1, 1).data); }"""
"""The canvas pixel 15 px right of and below parcel ``i``'s label point (a small park's map)."""
VIEW = """() => { const m = window.parkgisMaps[0].map, c = m.getCenter();
  return [m.getZoom(), c.lat, c.lng]; }"""
SETTLED = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
ZOOM_TO = """([i, z]) => { const s = window.parkgisMaps[0];
  s.map.setView(s.labelLatLng(i), z, {animate: false}); }"""


@needs(
    CHROMIUM.exists(),
    "Debian's Chromium is not at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)",
)
def test_a_second_map_takes_the_change_in_place_and_a_hostile_name_stays_text(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    park = small_park(tmp_path / "tiny.gpkg")
    app = create_app(park, poll_seconds=0.5)
    with running_server(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            viewer = browser.new_context().new_page()
            errors: list[str] = []
            dialogs: list[str] = []
            viewer.on("pageerror", lambda e: errors.append(str(e)))
            viewer.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            _sign_in(viewer, base, "viewer1")
            frame_src = viewer.get_attribute("#map-frame", "src")
            m = _shown_map(viewer)
            m.js("() => { window.parkgisMarker = 'not reloaded'; }")
            m.js(ZOOM_TO, [2, 18])
            view = m.js(VIEW)
            assert _is(m.js(CANVAS_PIXEL, 2), "acquired")  # T-03

            editor = browser.new_context().new_page()
            _sign_in(editor, base, "editor1")
            for pid, status in (("T-03", "leveled"), ("T-01", "acquiring")):  # T-01: XSS name
                editor.goto(f"{base}/parcel/{pid}")
                editor.select_option("select[name=field]", "acquisition_status")
                editor.select_option("select[name=value]", status)
                editor.fill("input[name=note]", "验收")
                editor.click("#edit button[type=submit]")
                editor.wait_for_selector("#message")

            def drawn(i: int, code: str) -> bool:
                return _is(m.js(CANVAS_PIXEL, i), code)

            _until(lambda: drawn(2, "leveled"))
            m.js(ZOOM_TO, [0, 18])
            _until(lambda: drawn(0, "acquiring"))
            # not loaded again: the same document, the same frame source
            assert m.js("() => window.parkgisMarker") == "not reloaded"
            assert viewer.get_attribute("#map-frame", "src") == frame_src
            m.js(ZOOM_TO, [2, 18])
            assert m.js(VIEW) == view
            rows = m.js(
                """() => Array.from(document.querySelectorAll('.parkgis-legend-row')).map(r => [
                     r.dataset.code, r.querySelector('.parkgis-legend-count').textContent])"""
            )
            assert rows == [["acquiring", "2"], ["leveled", "2"]]
            summary = viewer.locator('#summary tr[data-status="leveled"] .count')
            assert summary.inner_text() == "2"
            # the changed parcel's popup: the new status, the hostile name as text
            m.js("() => { window.parkgisMaps[0].openParcel(0); }")
            title = m.js("() => document.querySelector('.parkgis-popup-title').textContent")
            assert title == f"{XSS} (T-01)"
            fields = m.js(
                """() => Object.fromEntries(Array.from(document.querySelectorAll(
                     '.parkgis-popup tr.parkgis-field')).map(r => [
                       r.querySelector('th').textContent, r.querySelector('td').textContent]))"""
            )
            assert fields["征收状态"] == "征收中" and fields["状态日期"]
            assert m.js("() => document.querySelectorAll('.leaflet-container img').length") == 0
            assert dialogs == []
            assert errors == []
            # the map page's policy lets the vendored leaflet-measure compile its templates
            assert m.js("() => !!document.querySelector('.leaflet-control-measure')")
            browser.close()
        finally:
            if browser.is_connected():
                browser.close()


def _editor_client(base: str, name: str, password: str):
    import httpx2

    client = httpx2.Client(base_url=base, timeout=60)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    signed = client.post("/login", data={"csrf": token, "username": name, "password": password})
    assert signed.status_code == 303, signed.text
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
    return client, token


@needs(
    CHROMIUM.exists(),
    "Debian's Chromium is not at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)",
)
def test_a_large_park_redraws_only_the_changed_tiles_and_hides_a_retired_parcel(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    park = fabric_park(LOAD_PARCELS, seed=3)
    parcels = park.parcels
    parcels["acquisition_status"] = "unacquired"
    path = tmp_path / "fabric.gpkg"
    create_park(park.replace(parcels=parcels.set_crs("EPSG:4544")), path)
    for name, role in (("editor1", "editor"), ("viewer1", "viewer")):
        add_user(path, name, PASSWORDS[name], role=role)
    app = create_app(path, poll_seconds=0.5)
    changed, retired = 11, 500
    with running_server(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        editor, token = _editor_client(base, "editor1", PASSWORDS["editor1"])
        try:
            viewer = browser.new_context().new_page()
            _sign_in(viewer, base, "viewer1")
            m = _shown_map(viewer)
            assert m.js("() => window.parkgisMaps[0].tiled") is True
            m.js("() => { window.parkgisMarker = 'not reloaded'; }")
            zo = m.js("() => window.parkgisMaps[0].tiles.overviewZoom()")

            def zoom_to(i: int, zoom: int) -> None:
                m.js(ZOOM_TO, [i, zoom])
                m.js(SETTLED)

            def inside(i: int, zoom: int) -> tuple[float, float]:
                zoom_to(i, zoom)
                x, y = tiled_point(m, i, dy=10.0)
                hits = m.js("""([x, y]) => { const s = window.parkgisMaps[0];
                    return [[0, 0], [-3, 0], [3, 0], [0, -3], [0, 3]].map(([dx, dy]) => {
                      const ll = s.map.containerPointToLatLng([x + dx, y + dy]);
                      return s.hit(ll.lat, ll.lng); }); }""", [x, y])  # fmt: skip
                assert hits == [i] * 5, hits
                return x, y

            def colour_is(i: int, zoom: int, code: str) -> bool:
                return _is(tile_pixel(m, *inside(i, zoom)), code)

            assert colour_is(changed, zo + 1, "unacquired")  # drawn as vectors
            assert colour_is(changed, zo, "unacquired")  # copied from the overview
            zoom_to(changed, zo + 1)
            drawn_before = m.js("() => window.parkgisMaps[0].tiles.stats.tiles")
            response = editor.post(
                f"/parcel/F{changed:05d}/status", headers={"accept": "application/json"},
                data={"csrf": token, "field": "acquisition_status", "value": "acquiring",
                      "date": "2024-03-01", "note": "征收预公告"},
            )  # fmt: skip
            assert response.status_code == 200, response.text
            x, y = tiled_point(m, changed, dy=10.0)
            _until(lambda: _is(tile_pixel(m, x, y), "acquiring"))
            # drawn again in place: no tile was made anew
            assert m.js("() => window.parkgisMaps[0].tiles.stats.tiles") == drawn_before
            assert colour_is(changed, zo, "acquiring")  # the overview too
            x, y = inside(retired, zo + 1)
            response = editor.post(
                f"/parcel/F{retired:05d}/retire", headers={"accept": "application/json"},
                data={"csrf": token, "confirm": "1", "date": "2024-03-01", "note": "注销"},
            )  # fmt: skip
            assert response.status_code == 200, response.text
            _until(lambda: m.js("([x, y]) => { const s = window.parkgisMaps[0], "
                                "ll = s.map.containerPointToLatLng([x, y]); "
                                "return s.hit(ll.lat, ll.lng); }", [x, y]) == -1)  # fmt: skip
            pixel = tile_pixel(m, x, y)
            assert pixel is None or pixel[3] == 0 or pixel[:3] == [26, 26, 26]  # a zone outline
            counts = m.js(
                """() => Object.fromEntries(Array.from(document.querySelectorAll(
                     '.parkgis-legend-row')).map(r => [r.dataset.code,
                     Number(r.querySelector('.parkgis-legend-count').textContent)]))"""
            )
            assert counts == {"unacquired": LOAD_PARCELS - 2, "acquiring": 1}
            assert m.js("() => window.parkgisMarker") == "not reloaded"
            browser.close()
        finally:
            editor.close()
            if browser.is_connected():
                browser.close()


def test_concurrent_readers_and_editors_lose_no_edit(tmp_path: Path):
    """50 readers and 10 editors at once on 1,000 parcels: every edit recorded, once, by its user.

    The issue's 100,000-parcel run and the latencies are the benchmark's
    (``python -m benchmarks.bench_serve --sizes 100000 --readers 50 --editors 10``).
    """
    import httpx2

    park = fabric_park(LOAD_PARCELS, seed=3)
    parcels = park.parcels
    parcels["acquisition_status"] = "unacquired"
    path = tmp_path / "fabric.gpkg"
    create_park(park.replace(parcels=parcels.set_crs("EPSG:4544")), path)
    editors = [f"editor{i}" for i in range(EDITORS)]
    for name in [*editors, "reader"]:
        add_user(path, name, f"password-{name}", role="editor" if name != "reader" else "viewer")
    ids = parcels["parcel_id"].tolist()
    app = create_app(path, poll_seconds=1)
    errors: list[str] = []
    stop = threading.Event()

    def client_for(base: str, name: str) -> httpx2.Client:
        client = httpx2.Client(base_url=base, timeout=60)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        signed = client.post("/login", data={"csrf": token, "username": name,
                                             "password": f"password-{name}"})  # fmt: skip
        assert signed.status_code == 303, signed.text
        return client

    def editor(base: str, k: int) -> None:
        client = None
        try:
            client = client_for(base, editors[k])
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
            for j in range(EDITS_EACH):
                pid = ids[k * EDITS_EACH + j]
                response = client.post(
                    f"/parcel/{pid}/status",
                    data={"csrf": token, "field": "acquisition_status", "value": "acquiring",
                          "date": "2024-03-01", "note": f"load {k}/{j}"},
                    headers={"accept": "application/json"},
                )  # fmt: skip
                if response.status_code != 200:
                    errors.append(f"{pid}: {response.status_code} {response.text[:200]}")
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(f"editor {k}: {exc!r}")
        finally:
            if client is not None:
                client.close()

    def reader(base: str, k: int) -> None:
        client = None
        try:
            client = client_for(base, "reader")
            i = k
            while not stop.is_set():
                for path_ in (f"/parcel/{ids[i % len(ids)]}", "/api/summary", "/search?q=F0001"):
                    if client.get(path_).status_code != 200:
                        errors.append(f"reader {path_}")
                i += READERS
        except Exception as exc:
            errors.append(f"reader {k}: {exc!r}")
        finally:
            if client is not None:
                client.close()

    with running_server(app) as base:
        readers = [threading.Thread(target=reader, args=(base, k)) for k in range(READERS)]
        writers = [threading.Thread(target=editor, args=(base, k)) for k in range(EDITORS)]
        started = time.monotonic()
        for t in [*readers, *writers]:
            t.start()
        for t in writers:
            t.join(timeout=240)
        stop.set()
        for t in readers:
            t.join(timeout=60)
        assert time.monotonic() - started < 300
    assert errors == []
    events = history(path)
    assert len(events) == EDITORS * EDITS_EACH
    recorded = {(e["entity_id"], e["by"]) for e in events}
    expected = {(ids[k * EDITS_EACH + j], editors[k]) for k in range(EDITORS)
                for j in range(EDITS_EACH)}  # fmt: skip
    assert recorded == expected
