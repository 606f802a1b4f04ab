"""Benchmark: park maps against ``GeoDataFrame.explore()`` in headless Chromium.

Compares ``parkgis.park_map`` (offline; from 1,000 parcels on, parcels on
canvas tiles from a shared-arc encoding) with
``GeoDataFrame.explore(column="acquisition_status", tiles=None)`` on the same
synthetic park (``benchmarks/synthetic.py``), in the same run, in the same
browser (Debian's ``/usr/bin/chromium``, 1280 × 800, no GPU):

- HTML size in bytes, and Python time to build and write the page;
- first paint: navigation until the parcels are drawn (parkgis: its ``ready``
  flag, set once the visible tiles are drawn; explore: one SVG path per
  parcel), then two animation frames;
- zoom: one level in from the first view (``setZoom``, not animated), until
  ``zoomend`` and two animation frames; pan: 300 × 200 px into new ground
  (four directions in turn), until ``moveend`` and two frames. parkgis and
  explore draw synchronously in those events, so the two frames after them
  include the drawing; they also set a floor of about 17-33 ms (60 Hz
  frames);
- for parkgis, every zoom from the first view to one past the label zoom
  (``steps``): zoom in from the level above, and pan there, three times each.
  The first zooms copy tiles from the park drawn once (the overview); past
  the overview zoom every tile is drawn from the vectors.

explore's page loads Leaflet, jQuery and Bootstrap from CDNs; here those
requests are answered from the files embedded in ``folium-offline``, so both
pages render with no network (every other request is aborted). At 100,000
parcels explore's page is built and measured for size, but opened only with
``--explore-100k`` (about two minutes to first paint).

Usage::

    python benchmarks/bench_maps.py                  # 1k and 10k, 3 runs each
    python benchmarks/bench_maps.py --with-100k      # and 100k (one run)
    python benchmarks/bench_maps.py --sizes 3000 --canvas --runs 1

Medians and parkgis / explore ratios are printed and written to
``benchmarks/results/bench_maps.json``. ``run()`` is what ``python -m
benchmarks`` calls. This is not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parkgis.io.store import atomic_path
from parkgis.maps import park_map, save_map
from parkgis.model.park import Park

__all__ = ["SIZES", "bench_park", "run"]

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
SIZES = (1_000, 10_000)
_TIMEOUT_MS = 900_000
_PANS = ([300, 200], [-300, 200], [300, -200], [-300, -200])
_FRAMES = "requestAnimationFrame(() => requestAnimationFrame(() => res(performance.now() - t0)))"
# Page functions; MAP is replaced by the expression of the page's Leaflet map.
_ZOOM = f"""(z) => new Promise(res => {{ const m = MAP; const t0 = performance.now();
    m.once('zoomend', () => {_FRAMES}); m.setZoom(z, {{animate: false}}); }})"""
_PAN = f"""(d) => new Promise(res => {{ const m = MAP; const t0 = performance.now();
    m.once('moveend', () => {_FRAMES}); m.panBy(d, {{animate: false}}); }})"""
_VIEW = """([c, z]) => new Promise(res => { const m = MAP;
    m.once('moveend', () => requestAnimationFrame(() => requestAnimationFrame(res)));
    m.setView(c, z, {animate: false}); })"""


def run(
    sizes: int | Sequence[int] = SIZES,
    *,
    runs: int = 3,
    park: Park | None = None,
    explore_max: int = 10_000,
    canvas: bool = False,
    steps: bool = True,
) -> dict[str, Any]:
    """Measure parkgis's map and explore()'s at each size.

    Parameters
    ----------
    sizes
        Parcel counts of the synthetic parks (``benchmarks/synthetic.py``).
    runs
        Builds and page opens per case; medians are reported.
    park
        Measure this park instead (one size: ``len(park.parcels)``).
    explore_max
        Open explore's page in the browser up to this many parcels (beyond,
        only its size and build time are measured).
    canvas
        Also measure parkgis's one-polygon-per-parcel canvas page.
    steps
        Also time parkgis's zoom and pan at every zoom to past the label zoom.

    Returns
    -------
    dict
        With ``park``, or one size as an int: that size's results
        (``parkgis``, ``explore``, ratios). Else ``{"benchmark", "machine",
        "results": [one per size]}``.
    """
    from playwright.sync_api import sync_playwright

    single = park is not None or isinstance(sizes, int)
    if park is not None:
        parks: list[Any] = [park]
    else:
        parks = [sizes] if isinstance(sizes, int) else list(sizes)
    results = []
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for item in parks:
                if isinstance(item, int):
                    from benchmarks.synthetic import synthetic_park

                    item = synthetic_park(item)
                row = bench_park(
                    item,
                    runs=runs,
                    browser=browser,
                    folder=Path(tmp),
                    explore_render=len(item.parcels) <= explore_max,
                    canvas=canvas,
                    steps=steps,
                )
                results.append(row)
                _print(row)
        finally:
            browser.close()
    if single:
        return results[0]
    return {
        "benchmark": "bench_maps",
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "chromium": _chromium_version(),
        },
        "date": time.strftime("%Y-%m-%d"),
        "results": results,
    }


def bench_park(
    park: Park,
    *,
    runs: int,
    browser: Any,
    folder: Path,
    explore_render: bool = True,
    canvas: bool = False,
    steps: bool = True,
) -> dict[str, Any]:
    """One park: parkgis (and optionally its canvas page) beside explore()."""
    import shapely

    n = len(park.parcels)
    out: dict[str, Any] = {
        "parcels": n,
        "vertices": int(shapely.get_num_coordinates(park.parcels.geometry.array).sum()),
    }
    cases = ["parkgis"] + (["parkgis_canvas"] if canvas else []) + ["explore"]
    for name in cases:
        path = folder / f"{name}-{n}.html"
        builds = []
        for _ in range(runs):
            t0 = time.perf_counter()
            if name == "explore":
                park.parcels.explore(column="acquisition_status", tiles=None).save(str(path))
            else:
                renderer = "canvas" if name == "parkgis_canvas" else "auto"
                save_map(park_map(park, renderer=renderer), path)
            builds.append(time.perf_counter() - t0)
        case: dict[str, Any] = {
            "html_bytes": path.stat().st_size,
            "build_s": statistics.median(builds),
            "runs": runs,
        }
        if name != "explore" or explore_render:
            case.update(
                _in_browser(browser, path, n, name, runs, steps=steps and name == "parkgis")
            )
        out[name] = case
    ours, plain = out["parkgis"], out["explore"]
    out["ratio_parkgis_to_explore"] = {
        key: ours[key] / plain[key]
        for key in ("html_bytes", "build_s", "rendered_s", "zoom_s", "pan_s")
        if key in ours and key in plain and plain[key]
    }
    return out


def _in_browser(
    browser: Any, path: Path, n: int, name: str, runs: int, *, steps: bool
) -> dict[str, Any]:
    from offlinefolium.elements import _res as offline_files

    if name == "explore":
        ready = f"() => document.querySelectorAll('.leaflet-overlay-pane path').length >= {n}"
        expr = "window[Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))]"
    else:
        ready = "() => (window.parkgisMaps || [])[0] && window.parkgisMaps[0].ready"
        expr = "window.parkgisMaps[0].map"
    renders, zooms, pans, levels, page_errors = [], [], [], [], []
    for run in range(runs):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))

        def route(r: Any) -> None:
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
        page.goto(path.as_uri(), wait_until="load", timeout=_TIMEOUT_MS)
        page.wait_for_function(ready, timeout=_TIMEOUT_MS, polling=50)
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        renders.append(time.perf_counter() - t0)
        where = "const c = m.getCenter(); return [[c.lat, c.lng], m.getZoom()];"
        start = page.evaluate(f"() => {{ const m = {expr}; {where} }}")
        for k in range(4 if n <= 10_000 else 2):
            page.evaluate(_VIEW.replace("MAP", expr), start)
            zooms.append(page.evaluate(_ZOOM.replace("MAP", expr), start[1] + 1) / 1000)
            page.evaluate(_VIEW.replace("MAP", expr), start)
            pans.append(page.evaluate(_PAN.replace("MAP", expr), _PANS[k % len(_PANS)]) / 1000)
        if steps and run == 0:
            levels = _steps(page, expr, start)
        if errors and name != "explore":
            raise RuntimeError(f"{path.name}: the page raised {errors[0]}")
        page_errors = sorted(set(errors))
        page.close()
    out: dict[str, Any] = {
        "rendered_s": statistics.median(renders),
        "zoom_s": statistics.median(zooms),
        "pan_s": statistics.median(pans),
    }
    if page_errors:  # explore's page: its legend wants jQuery UI, which it does not load
        out["page_errors"] = page_errors
    if levels:
        out["steps"] = levels
        out["zoom_max_s"] = max(s["zoom_s"] for s in levels)
        out["pan_max_s"] = max(s["pan_s"] for s in levels)
    return out


def _steps(page: Any, expr: str, start: list[Any]) -> list[dict[str, Any]]:
    """Zoom in to each level from the one above, and pan there (medians of three)."""
    info = page.evaluate(
        """() => { const s = window.parkgisMaps[0];
             return [s.data.label_zoom, s.tiles ? s.tiles.overviewZoom() : null]; }"""
    )
    label_zoom, overview = info
    centre, first = start
    levels = []
    for zoom in range(first + 1, min(label_zoom + 2, 20)):
        zs, ps = [], []
        for k in range(3):
            page.evaluate(_VIEW.replace("MAP", expr), [centre, zoom - 1])
            zs.append(page.evaluate(_ZOOM.replace("MAP", expr), zoom) / 1000)
            ps.append(page.evaluate(_PAN.replace("MAP", expr), _PANS[k % len(_PANS)]) / 1000)
        levels.append(
            {
                "zoom": zoom,
                "from_overview": overview is not None and zoom <= overview,
                "labels": zoom >= label_zoom,
                "zoom_s": statistics.median(zs),
                "pan_s": statistics.median(ps),
            }
        )
    return levels


def _chromium_version() -> str:
    import subprocess

    try:
        text = subprocess.run(
            [CHROMIUM, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return "unknown"
    return text.strip().splitlines()[0] if text.strip() else "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per case (median reported)")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--with-100k", action="store_true", help="also 100,000 parcels")
    parser.add_argument(
        "--explore-100k", action="store_true", help="open explore()'s 100k page too (minutes)"
    )
    parser.add_argument(
        "--canvas", action="store_true", help="also parkgis's one-polygon-per-parcel page"
    )
    parser.add_argument("--no-steps", action="store_true", help="skip the zoom-by-zoom timings")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON file to write")
    args = parser.parse_args(argv)
    sizes = list(args.sizes) + ([100_000] if args.with_100k else [])
    options = {
        "explore_max": 100_000 if args.explore_100k else 10_000,
        "canvas": args.canvas,
        "steps": not args.no_steps,
    }
    small = [n for n in sizes if n < 100_000]
    large = [n for n in sizes if n >= 100_000]
    report = run(small, runs=args.runs, **options)
    if large:  # one run each: explore's 100k page takes minutes
        report["results"] += run(large, runs=1, **options)["results"]
    with atomic_path(args.out) as tmp_path:
        tmp_path.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"written {args.out}")
    return 0


def _print(row: dict[str, Any]) -> None:
    n = row["parcels"]
    print(f"\n{n:,} parcels ({row['vertices']:,} vertices)")
    print(f"{'':15} {'HTML MB':>9} {'build s':>8} {'paint s':>8} {'zoom ms':>8} {'pan ms':>7}")
    for name in ("parkgis", "parkgis_canvas", "explore"):
        if name not in row:
            continue
        r = row[name]
        cells = [f"{r['html_bytes'] / 1e6:9.2f}", f"{r['build_s']:8.2f}"]
        cells.append(f"{r['rendered_s']:8.2f}" if "rendered_s" in r else f"{'-':>8}")
        cells.append(f"{r['zoom_s'] * 1000:8.0f}" if "zoom_s" in r else f"{'-':>8}")
        cells.append(f"{r['pan_s'] * 1000:7.0f}" if "pan_s" in r else f"{'-':>7}")
        print(f"{name:15} " + " ".join(cells))
    ratio = row.get("ratio_parkgis_to_explore", {})
    if ratio:
        cells = [f"{ratio['html_bytes']:9.3f}"]
        for key in ("build_s", "rendered_s", "zoom_s"):
            cells.append(f"{ratio[key]:8.3f}" if key in ratio else f"{'-':>8}")
        cells.append(f"{ratio['pan_s']:7.3f}" if "pan_s" in ratio else f"{'-':>7}")
        print(f"{'parkgis/explore':15} " + " ".join(cells))
    for s in row["parkgis"].get("steps", []):
        kind = "overview" if s["from_overview"] else "vectors"
        kind += ", labels" if s["labels"] else ""
        print(
            f"    zoom {s['zoom']:2d} ({kind}): zoom {s['zoom_s'] * 1000:4.0f} ms, "
            f"pan {s['pan_s'] * 1000:4.0f} ms"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
