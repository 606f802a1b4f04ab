"""Benchmark: ``parkgis serve`` latency of a status edit and of a parcel page, under load.

A synthetic park (``benchmarks/synthetic.py``) in a park GeoPackage is served
by uvicorn on 127.0.0.1 (a free port, in a thread of this process); R reader
threads fetch parcel pages and the map summary while E editor threads record
status changes (each its own parcels, ``acquiring``), all with httpx2. Every
edit is checked in the park's history afterwards (none lost). Reported: p50
and p95 of an edit (POST to the answer: checked, one SQLite transaction) and
of a parcel page (GET; an edit is applied to the served snapshot in memory,
so pages do not wait for a reading), and requests per second. The clients
run in the server's process (one GIL): the figures include their cost.
Goal: p95 < 200 ms.

The baseline in the same run is a plain geopandas read of the park's parcels
layer (``geopandas.read_file``), the floor of any page that reads the park.

Usage::

    python -m benchmarks.bench_serve                       # 1k and 10k parcels
    python -m benchmarks.bench_serve --sizes 100000 --readers 50 --editors 10

Medians are printed and written to ``benchmarks/results/bench_serve.json``.
This is not a test: nothing is asserted but that no edit was lost.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "run"]

RESULTS = Path(__file__).resolve().parent / "results" / "bench_serve.json"


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(n: int, *, readers: int = 10, editors: int = 4, edits: int = 10) -> dict[str, Any]:
    """Serve a park of ``n`` parcels under load; latencies in milliseconds."""
    import geopandas as gpd
    import httpx2

    from benchmarks.synthetic import synthetic_park
    from parkgis.io.store import create_park, read_park
    from parkgis.serve.app import create_app
    from parkgis.serve.users import add_user
    from tests.test_serve import running_server

    with tempfile.TemporaryDirectory(prefix="parkgis-bench-serve-") as folder:
        path = Path(folder) / "park.gpkg"
        park = synthetic_park(n)
        parcels = park.parcels.copy()
        parcels["acquisition_status"] = "unacquired"
        create_park(park.replace(parcels=parcels), path)
        names = [f"editor{i}" for i in range(editors)]
        for name in [*names, "reader"]:
            add_user(
                path, name, f"password-{name}", role="viewer" if name == "reader" else "editor"
            )
        started = time.perf_counter()
        gpd.read_file(path, layer="parcels")
        baseline_ms = (time.perf_counter() - started) * 1000
        ids = parcels["parcel_id"].astype(str).tolist()
        app = create_app(path)
        edit_ms: list[float] = []
        page_ms: list[float] = []
        failures: list[str] = []
        stop = threading.Event()

        def client_for(base: str, name: str) -> Any:
            client = httpx2.Client(base_url=base, timeout=600)
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
            client.post("/login", data={"csrf": token.group(1), "username": name,
                                        "password": f"password-{name}"})  # fmt: skip
            return client

        def editor(base: str, k: int) -> None:
            with contextlib.closing(client_for(base, names[k])) as client:
                token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
                for j in range(edits):
                    pid = ids[k * edits + j]
                    t0 = time.perf_counter()
                    r = client.post(f"/parcel/{pid}/status", headers={"accept": "application/json"},
                                    data={"csrf": token, "field": "acquisition_status",
                                          "value": "acquiring", "date": "2024-03-01",
                                          "note": "bench"})  # fmt: skip
                    edit_ms.append((time.perf_counter() - t0) * 1000)
                    if r.status_code != 200:
                        failures.append(f"{pid}: {r.status_code}")

        def reader(base: str, k: int) -> None:
            with contextlib.closing(client_for(base, "reader")) as client:
                i = k * 7919
                while not stop.is_set():
                    t0 = time.perf_counter()
                    r = client.get(f"/parcel/{ids[i % len(ids)]}")
                    page_ms.append((time.perf_counter() - t0) * 1000)
                    if r.status_code != 200:
                        failures.append(f"page {r.status_code}")
                    client.get("/api/summary")
                    i += 1

        with running_server(app) as base:
            with contextlib.closing(client_for(base, "reader")) as warm:
                warm.get(f"/parcel/{ids[0]}")
            threads = [threading.Thread(target=reader, args=(base, k)) for k in range(readers)]
            writers = [threading.Thread(target=editor, args=(base, k)) for k in range(editors)]
            t0 = time.perf_counter()
            for t in [*threads, *writers]:
                t.start()
            for t in writers:
                t.join()
            stop.set()
            for t in threads:
                t.join()
            seconds = time.perf_counter() - t0
        lost = editors * edits - len(read_park(path).events)
    return {
        "parcels": n,
        "readers": readers,
        "editors": editors,
        "edits": editors * edits,
        "lost_edits": lost,
        "failures": len(failures),
        "edit_p50_ms": round(statistics.median(edit_ms), 1),
        "edit_p95_ms": round(_percentile(edit_ms, 0.95), 1),
        "page_p50_ms": round(statistics.median(page_ms), 1) if page_ms else None,
        "page_p95_ms": round(_percentile(page_ms, 0.95), 1),
        "pages": len(page_ms),
        "requests_per_s": round((len(page_ms) * 2 + len(edit_ms)) / seconds, 1),
        "baseline_read_parcels_ms": round(baseline_ms, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for each size and print one row each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument("--editors", type=int, default=4)
    parser.add_argument("--edits", type=int, default=10, help="edits per editor")
    args = parser.parse_args(argv)
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        row = run(n, readers=args.readers, editors=args.editors, edits=args.edits)
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 1 if any(r["lost_edits"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
