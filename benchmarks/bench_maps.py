"""Benchmark: park map size and time-to-rendered in headless Chromium.

Compares ``parkgis.park_map`` (offline, one canvas GeoJSON layer, lookup-table
style, delta-coded integer coordinates) with ``GeoDataFrame.explore(tiles=None)``
on the same synthetic park, in the same run, in the same browser:

- HTML size in bytes;
- Python time to build and write the page;
- time to rendered: navigation until the parcels are drawn (parkgis: its
  ``ready`` flag; explore: one SVG path per parcel), then two animation frames;
- zoom in one level and pan 300 × 200 px, each until redrawn.

explore's page loads Leaflet, jQuery and Bootstrap from CDNs; here those
requests are answered from the files embedded in ``folium-offline``, so both
pages render with no network (every other request is aborted).

The synthetic fabric is a Voronoi tessellation near Yuanba (105.96E 32.32N,
EPSG:4544) with parcels of about 60 mu on average, edges segmentized every
40 m (about 10-30 vertices, neighbours sharing exact edges), random statuses
and zones, a name and a notes field.

Usage::

    python benchmarks/bench_maps.py            # 1k and 10k, 3 runs each
    python benchmarks/bench_maps.py --with-100k --runs 1

Medians and parkgis/explore ratios are printed and written to
``benchmarks/results/bench_maps.json``. This is not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parkgis.io.store import atomic_path
from parkgis.maps import park_map, save_map
from parkgis.model.park import Manifest, Park

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RESULTS = Path(__file__).resolve().parent / "results" / "bench_maps.json"
_STATUSES = ["unacquired", "acquiring", "acquired", "leveled", "listed", "sold", "supplied"]


def fabric(n: int, *, seed: int = 0) -> Park:
    """A synthetic park of ``n`` Voronoi parcels near Yuanba."""
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(n * 40_000.0))  # about 60 mu per parcel
    x0, y0 = 590_000.0, 3_577_000.0
    points = rng.uniform(0, side, (n, 2)) + np.array([x0, y0])
    extent = box(x0, y0, x0 + side, y0 + side)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent, ordered=True)
    )
    cells = shapely.segmentize(shapely.intersection(cells, extent), 40.0)
    zones = [f"片区{k + 1}" for k in range(max(1, n // 250))]
    frame = gpd.GeoDataFrame(
        {
            "parcel_id": [f"P{i:06d}" for i in range(n)],
            "name": [f"地块{i}号" for i in range(n)],
            "zone": rng.choice(zones, n),
            "acquisition_status": rng.choice(_STATUSES, n),
            "notes": rng.choice(["", "储备", "已完成勘测定界", "待供地"], n),
        },
        geometry=cells,
        crs="EPSG:4544",
    )
    return Park(manifest=Manifest(name=f"bench{n}", title=f"基准园区 {n}"), parcels=frame)


def _frames(page) -> None:
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _interact(page, map_expr: str) -> tuple[float, float]:
    zoom = page.evaluate(
        f"""() => new Promise(res => {{ const m = {map_expr}; const t0 = performance.now();
             m.once('zoomend', () => requestAnimationFrame(() => requestAnimationFrame(
               () => res(performance.now() - t0))));
             m.setZoom(m.getZoom() + 1, {{animate: false}}); }})"""
    )
    pan = page.evaluate(
        f"""() => new Promise(res => {{ const m = {map_expr}; const t0 = performance.now();
             m.once('moveend', () => requestAnimationFrame(() => requestAnimationFrame(
               () => res(performance.now() - t0))));
             m.panBy([300, 200], {{animate: false}}); }})"""
    )
    return zoom / 1000, pan / 1000


def _open(browser, path: Path, ready: str, map_expr: str, offline_files: dict[str, str]):
    page = browser.new_page(viewport={"width": 1280, "height": 800})

    def route(r):
        url = r.request.url
        if url.startswith("file:"):
            r.continue_()
        elif url in offline_files:
            kind = "text/css" if url.endswith(".css") else "application/javascript"
            r.fulfill(status=200, body=offline_files[url], content_type=kind)
        else:
            r.abort()

    page.route("**/*", route)
    t0 = time.perf_counter()
    page.goto(path.as_uri(), wait_until="load", timeout=600_000)
    page.wait_for_function(ready, timeout=600_000, polling=50)
    _frames(page)
    rendered = time.perf_counter() - t0
    zoom, pan = _interact(page, map_expr)
    page.close()
    return rendered, zoom, pan


def bench(n: int, runs: int, browser, folder: Path, *, explore: bool = True) -> dict:
    from offlinefolium.elements import _res as offline_files

    park = fabric(n)
    out: dict = {
        "parcels": n,
        "vertices": int(shapely.get_num_coordinates(park.parcels.geometry.array).sum()),
    }
    cases = {"parkgis": None, "explore": None} if explore else {"parkgis": None}
    for name in cases:
        path = folder / f"{name}-{n}.html"
        builds, renders, zooms, pans = [], [], [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            if name == "parkgis":
                save_map(park_map(park), path)
            else:
                park.parcels.explore(column="acquisition_status", tiles=None).save(str(path))
            builds.append(time.perf_counter() - t0)
        for _ in range(runs):
            if name == "parkgis":
                ready = "() => (window.parkgisMaps || [])[0] && window.parkgisMaps[0].ready"
                map_expr = "window.parkgisMaps[0].map"
            else:
                ready = (
                    f"() => document.querySelectorAll('.leaflet-overlay-pane path').length >= {n}"
                )
                map_expr = "window[Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))]"
            rendered, zoom, pan = _open(browser, path, ready, map_expr, offline_files)
            renders.append(rendered)
            zooms.append(zoom)
            pans.append(pan)
        out[name] = {
            "html_bytes": path.stat().st_size,
            "build_s": statistics.median(builds),
            "rendered_s": statistics.median(renders),
            "zoom_s": statistics.median(zooms),
            "pan_s": statistics.median(pans),
            "runs": runs,
        }
    if explore:
        out["ratio_parkgis_to_explore"] = {
            key: out["parkgis"][key] / out["explore"][key]
            for key in ("html_bytes", "build_s", "rendered_s", "zoom_s", "pan_s")
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median reported)")
    parser.add_argument("--with-100k", action="store_true", help="also 100,000 parcels (slow)")
    parser.add_argument(
        "--explore-100k", action="store_true", help="also run explore() at 100k (minutes)"
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000])
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON file to write")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    sizes = list(args.sizes) + ([100_000] if args.with_100k else [])
    results = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for n in sizes:
            explore = n < 100_000 or args.explore_100k
            row = bench(n, 1 if n >= 100_000 else args.runs, browser, Path(tmp), explore=explore)
            results.append(row)
            _print(row)
        browser.close()
    report = {
        "benchmark": "bench_maps",
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "results": results,
    }
    with atomic_path(args.out) as tmp_path:
        tmp_path.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"written {args.out}")
    return 0


def _print(row: dict) -> None:
    n = row["parcels"]
    print(f"\n{n:,} parcels ({row['vertices']:,} vertices)")
    print(f"{'':10} {'HTML MB':>9} {'build s':>8} {'render s':>9} {'zoom s':>7} {'pan s':>7}")
    for name in ("parkgis", "explore"):
        if name in row:
            r = row[name]
            print(
                f"{name:10} {r['html_bytes'] / 1e6:9.2f} {r['build_s']:8.2f} "
                f"{r['rendered_s']:9.2f} {r['zoom_s']:7.3f} {r['pan_s']:7.3f}"
            )
    if "ratio_parkgis_to_explore" in row:
        r = row["ratio_parkgis_to_explore"]
        print(
            f"{'ratio':10} {r['html_bytes']:9.2f} {r['build_s']:8.2f} {r['rendered_s']:9.2f} "
            f"{r['zoom_s']:7.2f} {r['pan_s']:7.2f}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
