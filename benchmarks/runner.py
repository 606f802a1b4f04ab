"""``python -m benchmarks``: parkgis beside the plain geopandas/folium way, same data, same run.

For each size, a deterministic synthetic park (:mod:`benchmarks.synthetic`,
cached under ``benchmarks/.cache/``) and for each task the median time of
parkgis and of the plain way(s), each way in a process of its own (so each
gets its own peak memory, and a way that runs out of memory does not take
the others with it). Prints a table, ratios first, and writes JSON.

See ``benchmarks/README.md`` for the tasks, the plain ways and the results.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import platform
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import bench_commands
from benchmarks.tasks import CACHE, WAYS, prepare_park, run_job

__all__ = ["TASKS", "main", "parse_sizes"]

HERE = Path(__file__).resolve().parent
TASKS = (
    *("read", "measure", "validate", "buildable", "reserve", "map", "push", "status_set"),
    *bench_commands.WAYS,  # whole commands: benchmarks/bench_commands.py
)
_NET_TOLERANCE_MU = 1e-6  # parkgis and the overlay must agree on every parcel's net area
_GEOD_TOLERANCE = 1e-4  # parkgis against pyproj.Geod, relative
_MEASURE_SLOWDOWN = 1.2  # measuring may take at most this times project-then-planar
_OVERLAY_SPEEDUP = 10.0  # buildable at 100k at least this times faster than the overlay
_PLAIN_LABELS = {
    "read_file": "geopandas.read_file",
    "planar": "to_crs(4544).area",
    "geod": "pyproj.Geod loop",
    "is_valid_sjoin": "is_valid + sjoin overlaps",
    "overlay": "geopandas.overlay",
    "explore": "GeoDataFrame.explore (first paint)",
    "insert": "row-by-row INSERT",
    **bench_commands.LABELS,
}


def parse_sizes(text: str) -> list[int]:
    """Parse ``"1k,10k,100k,1m"`` into parcel counts.

    Examples
    --------
    >>> parse_sizes("1k,10k,1m,2500")
    [1000, 10000, 1000000, 2500]
    """
    sizes = []
    for item in text.split(","):
        word = item.strip().lower().replace("_", "")
        scale = {"k": 1_000, "m": 1_000_000}.get(word[-1:], 1)
        number = word[:-1] if scale > 1 else word
        try:
            size = int(float(number) * scale)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"size {item!r} is not a count; write e.g. 1k,10k,100k,1m"
            ) from None
        if size < 10:
            raise argparse.ArgumentTypeError(f"size {item!r}: a park needs at least 10 parcels")
        sizes.append(size)
    return sizes


def _parse_tasks(text: str) -> list[str]:
    tasks = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown task(s) {', '.join(unknown)}; choose from {', '.join(TASKS)}"
        )
    return tasks


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; return 1 if a check failed (the two ways disagree), else 0."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("1k,10k,100k"))
    parser.add_argument("--tasks", type=_parse_tasks, default=list(TASKS))
    parser.add_argument("--repeat", type=int, default=3, help="runs per way (median reported)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where synthetic parks are kept")
    parser.add_argument(
        "--markdown",
        type=Path,
        metavar="JSON",
        help="Only print the results of an earlier run (its JSON) as a Markdown table.",
    )
    args = parser.parse_args(argv)
    if args.markdown is not None:
        print(markdown(json.loads(args.markdown.read_text("utf-8"))))
        return 0
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 160)
    started = dt.datetime.now().astimezone()
    records: list[dict[str, Any]] = []
    stack = contextlib.ExitStack()
    no_server = _start_postgis(stack, console) if "push" in args.tasks else None
    for n in args.sizes:
        with console.status(f"preparing the synthetic park of {n:,} parcels"):
            park_info = _in_child(prepare_park, n, args.cache)
        if "error" in park_info:
            console.print(f"[red]{n:,} parcels: {park_info['error']}[/red]")
            continue
        for task in args.tasks:
            with console.status(f"{n:,} parcels: {task}"):
                if task == "push" and no_server is not None:
                    record = {"parcels": n, "task": task, "errors": {"push": no_server}}
                    record["ok"] = None
                elif task == "map":
                    record = _map_record(n, args.repeat)
                else:
                    record = _task_record(n, task, args.repeat, args.cache)
            record["gpkg_bytes"] = park_info["gpkg_bytes"]
            records.append(record)
            console.print(_summary_line(record))
    result = {
        "benchmark": "parkgis vs plain geopandas/folium",
        "run_at": started.isoformat(timespec="seconds"),
        "took_s": round((dt.datetime.now().astimezone() - started).total_seconds(), 1),
        "command": " ".join(
            ["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])]
        ),
        "repeat": args.repeat,
        "machine": machine(),
        "targets": targets(records),
        "records": records,
    }
    stack.close()
    console.print(
        table(records, title=f"parkgis benchmarks, {started:%Y-%m-%d}, median of {args.repeat}")
    )
    for name, target in result["targets"].items():
        mark = "[green]holds[/green]" if target["holds"] else "[red]does not hold[/red]"
        console.print(f"{name}: {mark} ({target['measured']})")
    from parkgis.io.store import atomic_path

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out) as tmp:
        tmp.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", "utf-8")
    console.print(f"written {args.out}")
    failed = [r for r in records if r.get("ok") is False]
    for r in failed:
        console.print(
            f"[red]check failed: {r['parcels']:,} parcels, {r['task']}: {r['check']}[/red]"
        )
    return 1 if failed else 0


def _start_postgis(stack: contextlib.ExitStack, console: Any) -> str | None:
    """Start the push task's PostGIS server (benchmarks/bench_postgis.py) for the run.

    Its URL goes to the jobs in the environment. Returns None, or why no
    server could be started (the push rows are then skipped with it).
    """
    from benchmarks.bench_postgis import ENV, NoServerError, postgis_server

    try:
        with console.status("starting a PostgreSQL + PostGIS server for the push task"):
            os.environ[ENV] = stack.enter_context(postgis_server())
    except NoServerError as exc:
        console.print(f"[yellow]push task skipped: {exc}[/yellow]")
        return f"skipped: {exc}"
    return None


def _in_child(fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``fn(*args)`` in a fresh process; an error or a killed process becomes a record."""
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            return pool.submit(fn, *args).result()
    except BrokenProcessPool:
        return {"error": "the process died (killed: out of memory?)"}
    except Exception as exc:  # a way that fails is reported, the others still run
        return {"error": f"{type(exc).__name__}: {exc}"}


def _task_record(n: int, task: str, repeat: int, cache: Path) -> dict[str, Any]:
    ways = {way: _in_child(run_job, task, way, n, repeat, str(cache)) for way in WAYS[task]}
    record: dict[str, Any] = {"parcels": n, "task": task}
    failed = {way: r["error"] for way, r in ways.items() if "error" in r}
    record["seconds"] = {w: r["seconds"] for w, r in ways.items() if "error" not in r}
    record["times"] = {w: r["times"] for w, r in ways.items() if "error" not in r}
    record["peak_mb"] = {w: round(r["peak_mb"]) for w, r in ways.items() if "error" not in r}
    record["base_mb"] = {w: round(r["base_mb"]) for w, r in ways.items() if "error" not in r}
    if failed:
        record["errors"] = failed
    ours = record["seconds"].get("parkgis")
    record["speedup"] = {
        w: s / ours for w, s in record["seconds"].items() if w != "parkgis" and ours
    }
    checks = {w: r["check"] for w, r in ways.items() if "error" not in r}
    record["check"], record["ok"] = _check(task, checks)
    return record


def _check(task: str, checks: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], bool | None]:
    """Compare what the ways found; None when there is nothing to compare."""
    ours = checks.get("parkgis")
    if ours is None:
        return {}, None
    if task == "read":
        return {w: c["parcels"] for w, c in checks.items()}, len(
            {c["parcels"] for c in checks.values()}
        ) == 1
    if task == "measure":
        out: dict[str, Any] = {"total_mu": float(ours["area_mu"].sum())}
        if "geod" not in checks:
            return out, None
        geod = checks["geod"]["area_mu"]
        for way in ("parkgis", "planar"):
            if way in checks:
                rel = np.abs(checks[way]["area_mu"] / geod - 1)
                out[f"max_rel_{way}_vs_geod"] = float(np.nanmax(rel))
                out[f"median_rel_{way}_vs_geod"] = float(np.nanmedian(rel))
        return out, out["max_rel_parkgis_vs_geod"] <= _GEOD_TOLERANCE
    if task == "validate":
        out = {"parkgis": ours, **{w: c for w, c in checks.items() if w != "parkgis"}}
        plain = checks.get("is_valid_sjoin")
        if plain is None:
            return out, None
        codes = ours["codes"]
        same = (
            codes.get("invalid_geometry", 0) == plain["invalid"]
            and codes.get("overlap", 0) == plain["overlapping_pairs_1m2"]
        )
        return out, same
    if task == "buildable":
        other = checks.get("overlay")
        out = {"total_net_mu": float(ours["net_mu"].sum())}
        if other is None:
            return out, None
        diff = np.abs(ours["net_mu"] - other["net_mu"])
        out["max_abs_net_difference_mu"] = float(diff.max()) if len(diff) else 0.0
        out["tolerance_mu"] = _NET_TOLERANCE_MU
        return out, out["max_abs_net_difference_mu"] <= _NET_TOLERANCE_MU
    if task == "push":
        plain = checks.get("insert")
        out = {w: c for w, c in checks.items()}
        if plain is None:
            return out, None
        return out, plain["parcels"] == ours["parcels"] and abs(plain["area"] - ours["area"]) < 1e-3
    if task == "reserve":
        return {
            **checks,
            "note": "the plain way takes a parcel with a project_id as fully allocated and "
            "ignores allocations, earmarks, stalled projects and quarters: the figures differ "
            "by design; the times compare the same overlay work",
        }, None
    return dict(checks), None


def _map_record(n: int, repeat: int) -> dict[str, Any]:
    """The map benchmark of ``benchmarks/bench_maps.py`` (its ``run``), in a process of its own."""
    result = _in_child(_run_maps, n, repeat)
    record: dict[str, Any] = {"parcels": n, "task": "map"}
    if "error" in result:
        record["errors"] = {"map": result["error"]}
        record["ok"] = None
        return record
    record["map"] = result
    ours, plain = result.get("parkgis") or {}, result.get("explore") or {}
    record["seconds"] = {"parkgis": ours.get("rendered_s")}
    record["speedup"] = {}
    if plain.get("rendered_s"):
        record["seconds"]["explore"] = plain["rendered_s"]
        if ours.get("rendered_s"):
            record["speedup"]["explore"] = plain["rendered_s"] / ours["rendered_s"]
    check = {
        "html_mb": _mb(ours.get("html_bytes")),
        "explore_html_mb": _mb(plain.get("html_bytes")),
        "first_paint_s": ours.get("rendered_s"),
        "zoom_s": ours.get("zoom_s"),
        "pan_s": ours.get("pan_s"),
        "slowest_zoom_s": ours.get("zoom_max_s"),
        "slowest_pan_s": ours.get("pan_max_s"),
        "explore_first_paint_s": plain.get("rendered_s"),
        "explore_zoom_s": plain.get("zoom_s"),
        "explore_pan_s": plain.get("pan_s"),
    }
    record["check"] = {k: v for k, v in check.items() if v is not None}
    record["ok"] = None
    return record


def _run_maps(n: int, repeat: int) -> dict[str, Any]:
    """Call ``bench_maps.run`` with the size (or the cached park) and the repeat count."""
    import inspect

    from benchmarks import bench_maps

    run = getattr(bench_maps, "run", None)
    if run is None:
        raise RuntimeError("benchmarks/bench_maps.py has no run(); run it on its own")
    params = inspect.signature(run).parameters
    kwargs: dict[str, Any] = {}
    for name in ("runs", "repeat"):
        if name in params:
            kwargs[name] = repeat
    if "park" in params:
        import pickle

        from benchmarks.tasks import cache_paths

        with open(cache_paths(n)[1], "rb") as handle:
            kwargs["park"] = pickle.load(handle)
    else:
        first = next(iter(params))
        kwargs[first] = n
    result = run(**kwargs)
    return result[0] if isinstance(result, list) else result


def _mb(value: float | None) -> float | None:
    return None if value is None else round(value / 1e6, 2)


def targets(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Whether the ratios of issue 7 points 2 and 3 (and of issue 14) hold in these records."""
    out: dict[str, dict[str, Any]] = bench_commands.targets(records)
    for r in records:
        s = r.get("seconds", {})
        if r["task"] == "measure" and "parkgis" in s and "planar" in s and r["parcels"] >= 10**6:
            slowdown = s["parkgis"] / s["planar"]
            accuracy = r["check"].get("max_rel_parkgis_vs_geod")
            holds = slowdown <= _MEASURE_SLOWDOWN and (
                accuracy is not None and accuracy <= _GEOD_TOLERANCE
            )
            out[
                f"measure at {r['parcels']:,}: within {_MEASURE_SLOWDOWN}x of planar, 1e-4 of Geod"
            ] = {
                "holds": bool(holds),
                "measured": f"{slowdown:.2f}x planar, max relative difference to Geod "
                + (f"{accuracy:.1e}" if accuracy is not None else "not measured"),
            }
        if r["task"] == "buildable" and "parkgis" in s and "overlay" in s and r["parcels"] >= 10**5:
            speedup = s["overlay"] / s["parkgis"]
            diff = r["check"].get("max_abs_net_difference_mu")
            key = f"buildable at {r['parcels']:,}: " + (
                f"{_OVERLAY_SPEEDUP:g}x faster than overlay, same net areas"
                if r["parcels"] < 10**6
                else "runs, same net areas"
            )
            fast = speedup >= _OVERLAY_SPEEDUP or r["parcels"] >= 10**6
            out[key] = {
                "holds": bool(fast and r.get("ok")),
                "measured": f"x{speedup:.1f}, max net difference {diff:.1e} mu, "
                f"peak {r['peak_mb'].get('parkgis', 0):,} MB",
            }
        if r["task"] == "map" and "first_paint_s" in r.get("check", {}):
            c = r["check"]
            moves = max(c.get("zoom_s", 0), c.get("pan_s", 0))
            slowest = max(c.get("slowest_zoom_s", 0), c.get("slowest_pan_s", 0))
            measured = (
                f"{c.get('html_mb')} MB, first paint {c['first_paint_s']:.2f} s, zoom/pan "
                f"{1000 * moves:.0f} ms (slowest step of the zoom levels {1000 * slowest:.0f} ms)"
            )
            if r["parcels"] == 10_000:
                holds = c.get("html_mb", 1e9) < 4 and c["first_paint_s"] < 1.5
                out["map at 10,000: under 4 MB, first paint under 1.5 s"] = {
                    "holds": bool(holds),
                    "measured": measured,
                }
            if r["parcels"] == 100_000:
                small = c.get("explore_html_mb") and c["html_mb"] <= c["explore_html_mb"] / 5
                holds = small and c["first_paint_s"] < 5 and moves < 0.05
                out[
                    "map at 100,000: first paint under 5 s, zoom/pan under 50 ms, a fifth of "
                    "explore's size"
                ] = {
                    "holds": bool(holds),
                    "measured": measured + f" (explore {c.get('explore_html_mb')} MB)",
                }
    return out


def _summary_line(r: dict[str, Any]) -> str:
    speed = ", ".join(
        f"x{v:.1f} vs {_PLAIN_LABELS.get(w, w)}" for w, v in r.get("speedup", {}).items()
    )
    errors = "; ".join(f"{w}: {e}" for w, e in r.get("errors", {}).items())
    errors = f"[red]{errors}[/red]" if errors else ""
    return f"{r['parcels']:>9,} {r['task']:<9} {speed} {errors}"


def table(records: list[dict[str, Any]], *, title: str) -> Any:
    """The results as a rich table: speed-ups first, then times, checks and memory."""
    from rich.table import Table

    out = Table(title=title, title_justify="left")
    out.add_column("parcels", justify="right")
    out.add_column("task")
    out.add_column("speed-up: plain time / parkgis time", justify="left")
    out.add_column("parkgis s", justify="right")
    out.add_column("plain s", justify="right")
    out.add_column("check")
    out.add_column("peak MB parkgis / plain", justify="right")
    for r in records:
        s = r.get("seconds", {})
        speed = "\n".join(
            f"x{v:.2f} vs {_PLAIN_LABELS.get(w, w)}" for w, v in r.get("speedup", {}).items()
        )
        plain = "\n".join(f"{s[w]:.3f}" for w in s if w != "parkgis" and s[w] is not None)
        peaks = r.get("peak_mb", {})
        memory = " / ".join(f"{peaks[w]:,}" for w in peaks)
        out.add_row(
            f"{r['parcels']:,}",
            r["task"],
            speed or "-",
            f"{s['parkgis']:.3f}" if s.get("parkgis") is not None else "-",
            plain or "-",
            _check_text(r),
            memory or "-",
        )
    return out


def markdown(result: dict[str, Any]) -> str:
    """A run's results as a Markdown table (speed-ups first), with its date and machine."""
    m = result["machine"]
    lines = [
        f"Run {result['run_at'][:16].replace('T', ' ')}, median of {result['repeat']}, on "
        f"{m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, "
        f"geopandas {m['geopandas']}, shapely {m['shapely']} (GEOS {m['geos']}), pyproj "
        f"{m['pyproj']} (PROJ {m['proj']}), pyogrio {m['pyogrio']} (GDAL {m['gdal']}); load "
        f"average at start {m['load_average_at_start'][0]}.",
        "",
        "| parcels | task | speed-up (plain / parkgis) | parkgis s | plain s | check | "
        "peak MB parkgis / plain |",
        "|---:|---|---|---:|---:|---|---:|",
    ]
    for r in result["records"]:
        s = r.get("seconds", {})
        speed = "<br>".join(
            f"**×{v:.2f}** vs {_PLAIN_LABELS.get(w, w)}" for w, v in r.get("speedup", {}).items()
        )
        plain = "<br>".join(f"{s[w]:.3f}" for w in s if w != "parkgis" and s[w] is not None)
        peaks = r.get("peak_mb", {})
        ours = f"{s['parkgis']:.3f}" if s.get("parkgis") is not None else "-"
        check = _check_text(r).replace("[red]", "").replace("[/red]", "").replace("|", "\\|")
        lines.append(
            f"| {r['parcels']:,} | {r['task']} | {speed or '-'} | {ours} | {plain or '-'} | "
            f"{check} | {' / '.join(f'{peaks[w]:,}' for w in peaks) or '-'} |"
        )
    found = targets(result["records"])
    if found:
        lines.append("")
    for name, target in found.items():
        verdict = "holds" if target["holds"] else "does not hold"
        lines.append(f"- {name}: **{verdict}** ({target['measured']})")
    return "\n".join(lines)


def _check_text(r: dict[str, Any]) -> str:
    if r.get("errors"):
        return "[red]" + "; ".join(f"{w}: {e}" for w, e in r["errors"].items()) + "[/red]"
    c = r.get("check", {})
    task = r["task"]
    if task in bench_commands.WAYS:
        return bench_commands.check_text(r)
    if task == "measure" and "max_rel_parkgis_vs_geod" in c:
        return (
            f"vs Geod: parkgis {c['max_rel_parkgis_vs_geod']:.1e}, "
            f"planar {c.get('max_rel_planar_vs_geod', float('nan')):.1e} (max rel.)"
        )
    if task == "buildable" and "max_abs_net_difference_mu" in c:
        mark = "same" if r.get("ok") else "[red]DIFFERENT[/red]"
        return f"{mark}: max |Δ net| {c['max_abs_net_difference_mu']:.1e} mu"
    if task == "validate" and "parkgis" in c:
        plain = c.get("is_valid_sjoin", {})
        return (
            f"{c['parkgis']['problems']} problems; plain: {plain.get('invalid', '-')} invalid, "
            f"{plain.get('overlapping_pairs', '-')} overlaps "
            f"({plain.get('overlapping_pairs_1m2', '-')} of 1 m² or more)"
        )
    if task == "read":
        return "same parcels" if r.get("ok") else "[red]different parcel counts[/red]"
    if task == "reserve":
        return f"shortfall {c.get('parkgis', {}).get('shortfall_mu', float('nan')):,.0f} mu"
    if task == "map":
        return _map_text(c)
    return ""


def _map_text(c: dict[str, Any]) -> str:
    def ms(key: str) -> str:
        return f"{1000 * c[key]:.0f}" if key in c else "-"

    text = f"HTML {c.get('html_mb', '-')} MB"
    if "explore_html_mb" in c and c.get("html_mb"):
        ratio = c["explore_html_mb"] / c["html_mb"]
        text += f" (explore {c['explore_html_mb']} MB, ÷{ratio:.1f})"
    text += f"; zoom / pan {ms('zoom_s')} / {ms('pan_s')} ms"
    if "slowest_zoom_s" in c:
        text += f" (slowest step {ms('slowest_zoom_s')} / {ms('slowest_pan_s')} ms)"
    if "explore_zoom_s" in c:
        text += f"; explore {ms('explore_zoom_s')} / {ms('explore_pan_s')} ms"
    return text


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import geopandas
    import pandas
    import pyogrio
    import pyproj
    import shapely

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
        "python": platform.python_version(),
        "geopandas": geopandas.__version__,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "pyproj": pyproj.__version__,
        "proj": pyproj.proj_version_str,
        "pyogrio": pyogrio.__version__,
        "gdal": pyogrio.__gdal_version_string__,
        "pandas": pandas.__version__,
        "numpy": np.__version__,
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: p.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for p in threadpool_info()
        ]
    except ImportError:
        pass
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()
