"""Benchmark: ``parkgis serve`` latency of a status edit and of a parcel page, under load.

The server runs as users run it, in a process of its own: ``python -m parkgis
serve PARK --port P`` (uvicorn, access log on) on a synthetic park
(``benchmarks/synthetic.py``) in a park GeoPackage. The clients run in other
processes (one each, ``multiprocessing``, httpx2), so they share no
interpreter lock with the server:

- R readers, each signed in as a viewer: open a parcel page (a parcel taken
  at random from the whole park), then ask ``/api/summary`` as an open map
  does when it polls; then think;
- E editors, each signed in as an editor of its own: record a status change
  (``unacquired`` → ``acquiring``; its own parcels, a POST as the page's form
  sends it: checked, one SQLite transaction, the user as ``by``); then think;
- M map viewers (``--map-viewers``, default 0), each signed in as a viewer
  with the map open: they load ``/map.html`` before the clock starts, then
  poll every 3 s as the map page does (``/api/summary`` with its ETag; on a
  new version ``/api/changes``, and ``/map.html`` again only when told to
  reload; from a server without ``/api/changes``, ``/map.html`` at every
  version, as earlier pages did).

Think time: each user waits ``--think-ms`` (default 1000 ms) times a uniform
0.5–1.5 between two actions, as people do (60 users acting every second is
far more than a park office). ``--think-ms 0`` runs them back to back (a
closed loop: the latencies then mostly measure the queue; requests per second
is the server's capacity). Every client signs in and opens one page before
the clock starts; each then begins after a random part of one think time
(people do not all click at the same instant). After the run, every edit is
looked for in the park's history (none lost: the right parcel, the right
``by``).

Reported: the map viewers' downloads of ``/map.html`` during the run and the
median of that and of ``/api/changes``; p50 and p95 of an edit (the POST, to
its answer: the snapshot served then includes it) and of a parcel page (GET),
p50/p95 of the summary, requests per second, the server's CPU (per cent of one
core) and memory (at the end, and its peak, which includes the sign-ins:
argon2 takes 64 MiB per check, and every client signs in at once before the
clock starts), the median of a page and of an edit alone (one client, before
the load), the seconds the server took to start answering (its first full
reading), and the baseline: a plain ``geopandas.read_file`` of the park's
parcels layer, the floor of any page that would read the park per request.
Goal (issue 16): p95 < 200 ms.

Usage::

    python -m benchmarks.bench_serve                       # 1k and 10k, 10 readers, 4 editors
    python -m benchmarks.bench_serve --sizes 100000 --readers 50 --editors 10
    python -m benchmarks.bench_serve --sizes 10000 --think-ms 0 --out /tmp/x.json  # capacity
    python -m benchmarks.bench_serve --sizes 10000 --readers 0 --editors 1 --edits 10 \
        --think-ms 8000 --map-viewers 1                   # server CPU per edit, one map open

Each run prints one JSON row per size and merges them into
``benchmarks/results/bench_serve.json`` (a row per size, readers, editors,
edits and think time; a new run replaces the row of the same settings).
The served parks are cached under ``benchmarks/.cache/`` (``serve-N-HASH.gpkg``,
from the synthetic park cache of ``benchmarks/tasks.py``) and copied for each
run. This is not a test: nothing is asserted but that no edit was lost.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "run"]

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "bench_serve.json"
_DATE = "2024-03-01"
_TIMEOUT_S = 600.0
_POLL_S = 3.0  # how often an open map asks for the version (parkgis serve's default)
_TIMES = ("page", "summary", "edit", "map", "changes")  # what the clients time
_LIVE = re.compile(r'"live":\{"page":"([0-9a-f]+)","seq":(\d+)\}')


def _percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (nearest rank) of ``values``, None for none."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _password(name: str) -> str:
    return f"password-{name}"


# --------------------------------------------------------------------------- the park


def served_park(n: int) -> Path:
    """The park GeoPackage of ``n`` synthetic parcels, every status ``unacquired`` (cached)."""
    import pickle

    from benchmarks.tasks import CACHE, cache_paths, prepare_park
    from parkgis.io.store import atomic_path, create_park

    prepare_park(n)
    folder, pickled = cache_paths(n)
    target = CACHE / f"serve-{folder.name.removeprefix('synthetic-')}.gpkg"
    if not target.is_file():
        with open(pickled, "rb") as handle:
            park = pickle.load(handle)
        parcels = park.parcels.copy()
        parcels["acquisition_status"] = "unacquired"
        with atomic_path(target) as tmp:
            create_park(park.replace(parcels=parcels), tmp)
    return target


def _parcel_ids(path: Path) -> list[str]:
    import sqlite3

    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [str(r[0]) for r in con.execute("SELECT parcel_id FROM parcels ORDER BY fid")]
    finally:
        con.close()


# --------------------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _server(path: Path, log: Path) -> Any:
    """``python -m parkgis serve PATH`` in a process of its own.

    Yields its base URL, its process id and the seconds it took to answer.
    """
    import httpx2

    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "parkgis", "serve", str(path), "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        try:
            deadline = started + _TIMEOUT_S
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"parkgis serve stopped: {log.read_text()[-2000:]}")
                with contextlib.suppress(httpx2.HTTPError):
                    if httpx2.get(f"{base}/login", timeout=5).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("parkgis serve did not start")
                time.sleep(0.2)
            yield base, proc.pid, time.monotonic() - started
        finally:
            proc.send_signal(signal.SIGINT)  # uvicorn stops gracefully
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_mb(pid: int, field: str) -> float | None:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of process ``pid``, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


# --------------------------------------------------------------------------- the clients


def _signed_in(base: str, name: str) -> Any:
    import httpx2

    client = httpx2.Client(base_url=base, timeout=_TIMEOUT_S)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token, "no CSRF field on the sign-in page"
    signed = client.post(
        "/login", data={"csrf": token.group(1), "username": name, "password": _password(name)}
    )
    if signed.status_code not in (200, 303):
        raise RuntimeError(f"{name} could not sign in: {signed.status_code}")
    return client


def _think(rng: random.Random, think_s: float) -> None:
    if think_s > 0:
        time.sleep(think_s * rng.uniform(0.5, 1.5))


def _load_map(client: Any) -> tuple[str, int] | None:
    """``/map.html`` as an open map loads it: its page and seq (None: a map that cannot follow)."""
    found = _LIVE.search(client.get("/map.html").text)
    return (found.group(1), int(found.group(2))) if found else None


def _follow_map(
    client: Any, live: tuple[str, int] | None, stop: Any, times: dict[str, list[float]]
) -> list[str]:
    """Poll as the map page does until ``stop``; the failures."""
    failures = []
    etag = client.get("/api/version").headers.get("etag", "")
    while not stop.wait(_POLL_S):
        r = client.get("/api/summary", headers={"if-none-match": etag})
        if r.status_code != 200:
            if r.status_code != 304:
                failures.append(f"map summary: {r.status_code}")
            continue
        etag = r.headers.get("etag", "")
        reload = live is None
        if live is not None:
            t0 = time.perf_counter()
            r = client.get("/api/changes", params={"page": live[0], "since": live[1]})
            times["changes"].append((time.perf_counter() - t0) * 1000)
            body = r.json() if r.status_code == 200 else {"reload": True}
            reload = bool(body.get("reload", True))
            live = live if reload else (live[0], int(body["seq"]))
        if reload:
            t0 = time.perf_counter()
            live = _load_map(client)
            times["map"].append((time.perf_counter() - t0) * 1000)
    return failures


def _client(job: dict[str, Any], ready: Any, go: Any, stop: Any, out: Any) -> None:
    """One user, in a process of its own: sign in, wait for the start, act, report."""
    rng = random.Random(job["seed"])
    times: dict[str, list[float]] = {k: [] for k in _TIMES}
    failures: list[str] = []
    told = False
    try:
        client = _signed_in(job["base"], job["name"])
        ids = job["ids"]
        client.get(f"/parcel/{ids[rng.randrange(len(ids))]}")  # warm: the first page of a user
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
        live = _load_map(client) if job["role"] == "map" else None
        ready.put(job["name"])
        told = True
        go.wait()
        time.sleep(rng.uniform(0, job["think_s"]))  # users do not all act at the same instant
        if job["role"] == "editor":
            for k, pid in enumerate(job["edit"]):
                t0 = time.perf_counter()
                r = client.post(
                    f"/parcel/{pid}/status", headers={"accept": "application/json"},
                    data={"csrf": token, "field": "acquisition_status", "value": "acquiring",
                          "date": _DATE, "note": f"bench {job['name']}"},
                )  # fmt: skip
                times["edit"].append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    failures.append(f"edit {pid}: {r.status_code} {r.text[:200]}")
                if k + 1 < len(job["edit"]):
                    _think(rng, job["think_s"])
        elif job["role"] == "map":
            failures += _follow_map(client, live, stop, times)
        else:
            while not stop.is_set():
                pid = ids[rng.randrange(len(ids))]
                t0 = time.perf_counter()
                r = client.get(f"/parcel/{pid}")
                times["page"].append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    failures.append(f"page {pid}: {r.status_code}")
                t0 = time.perf_counter()
                r = client.get("/api/summary")
                times["summary"].append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    failures.append(f"summary: {r.status_code}")
                _think(rng, job["think_s"])
        client.close()
    except Exception as exc:  # reported, never lost in the child
        failures.append(f"{job['name']}: {exc!r}")
        if not told:
            ready.put(job["name"])
    out.put({"name": job["name"], "times": times, "failures": failures})


def _alone(base: str, ids: list[str], editor: str | None, spare: list[str]) -> tuple[float, float]:
    """Median ms of a parcel page (a viewer's) and of an edit with no other client."""
    reader = _signed_in(base, "reader")
    pages = []
    for k in range(20):
        t0 = time.perf_counter()
        reader.get(f"/parcel/{ids[(k * 7919) % len(ids)]}")
        pages.append((time.perf_counter() - t0) * 1000)
    reader.close()
    edits = []
    if editor is not None:
        client = _signed_in(base, editor)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
        for pid in spare:
            t0 = time.perf_counter()
            r = client.post(
                f"/parcel/{pid}/status", headers={"accept": "application/json"},
                data={"csrf": token, "field": "acquisition_status", "value": "acquiring",
                      "date": _DATE, "note": "bench alone"},
            )  # fmt: skip
            edits.append((time.perf_counter() - t0) * 1000)
            if r.status_code != 200:
                raise RuntimeError(f"edit alone {pid}: {r.status_code} {r.text[:200]}")
        client.close()
    return statistics.median(pages), statistics.median(edits) if edits else float("nan")


# --------------------------------------------------------------------------- one run


def run(
    n: int,
    *,
    readers: int = 10,
    editors: int = 4,
    edits: int = 20,
    think_ms: float = 1000.0,
    map_viewers: int = 0,
) -> dict[str, Any]:
    """Serve a park of ``n`` parcels to ``readers`` and ``editors`` (see the module docstring)."""
    import multiprocessing

    import geopandas as gpd

    from parkgis.io.store import read_park
    from parkgis.serve.users import add_user

    template = served_park(n)
    ids = _parcel_ids(template)
    spare = ids[-5:] if editors else []  # edited alone, before the load
    if editors * edits + len(spare) > len(ids):
        raise ValueError(f"{editors} editors × {edits} edits need more than {n} parcels")
    started = time.perf_counter()
    gpd.read_file(template, layer="parcels")
    baseline_ms = (time.perf_counter() - started) * 1000
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="parkgis-bench-serve-") as folder:
        path = Path(folder) / "park.gpkg"
        shutil.copyfile(template, path)
        names = [f"editor{k}" for k in range(editors)]
        for name in [*names, "reader"]:
            add_user(path, name, _password(name), role="viewer" if name == "reader" else "editor")
        with _server(path, Path(folder) / "serve.log") as (base, pid, startup):
            page_alone, edit_alone = _alone(base, ids, names[0] if names else None, spare)
            ready, out, go, stop = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Event()
            jobs = [
                {"role": "editor", "name": name, "edit": ids[k * edits:(k + 1) * edits]}
                for k, name in enumerate(names)
            ] + [{"role": "reader", "name": "reader"} for _ in range(readers)] + [
                {"role": "map", "name": "reader"} for _ in range(map_viewers)
            ]  # fmt: skip
            procs = []
            for k, job in enumerate(jobs):
                job.update(base=base, ids=ids, seed=k, think_s=think_ms / 1000)
                p = ctx.Process(target=_client, args=(job, ready, go, stop, out), daemon=True)
                p.start()
                procs.append(p)
            for _ in jobs:
                ready.get(timeout=_TIMEOUT_S)
            cpu0, t0 = _cpu_s(pid), time.perf_counter()
            go.set()
            results = []
            pending = set(names)
            while pending:  # editors report when their edits are done
                results.append(out.get(timeout=_TIMEOUT_S))
                pending.discard(results[-1]["name"])
            stop.set()
            while len(results) < len(jobs):
                results.append(out.get(timeout=_TIMEOUT_S))
            seconds = time.perf_counter() - t0
            cpu = _cpu_s(pid) - cpu0
            rss, peak = _memory_mb(pid, "VmRSS"), _memory_mb(pid, "VmHWM")
            for p in procs:
                p.join(timeout=60)
        events = read_park(path).events
        log_text = (Path(folder) / "serve.log").read_text(encoding="utf-8", errors="replace")
        (HERE / ".cache").mkdir(exist_ok=True)
        (HERE / ".cache" / "serve-last.log").write_text(log_text, encoding="utf-8")
    times: dict[str, list[float]] = {k: [] for k in _TIMES}
    failures = []
    for result in results:
        for key, values in result["times"].items():
            times[key] += values
        failures += result["failures"]
    expected = {(pid_, f"editor{k}") for k in range(editors) for pid_ in
                ids[k * edits:(k + 1) * edits]}  # fmt: skip
    recorded = {(e, b) for e, b in zip(events["entity_id"], events["by"], strict=True)}
    lost = len(expected - recorded)
    requests = sum(len(v) for v in times.values())
    return {
        "parcels": n,
        "readers": readers,
        "editors": editors,
        "edits": editors * edits,
        "think_ms": think_ms,
        "lost_edits": lost,
        "events_recorded": len(events),
        "failures": len(failures),
        "failure_examples": failures[:3],
        "server_errors": log_text.count("Traceback"),
        "edit_p50_ms": _median(times["edit"]),
        "edit_p95_ms": _percentile(times["edit"], 0.95),
        "page_p50_ms": _median(times["page"]),
        "page_p95_ms": _percentile(times["page"], 0.95),
        "summary_p50_ms": _median(times["summary"]),
        "summary_p95_ms": _percentile(times["summary"], 0.95),
        "map_viewers": map_viewers,
        "map_loads": len(times["map"]),
        "map_load_p50_ms": _median(times["map"]),
        "changes_requests": len(times["changes"]),
        "changes_p50_ms": _median(times["changes"]),
        "pages": len(times["page"]),
        "requests_per_s": round(requests / seconds, 1),
        "seconds": round(seconds, 1),
        "server_cpu_pct": round(100 * cpu / seconds, 1),
        "server_rss_mb": rss,
        "server_peak_mb": peak,
        "startup_s": round(startup, 1),
        "page_alone_ms": round(page_alone, 1),
        "edit_alone_ms": round(edit_alone, 1),
        "baseline_read_parcels_ms": round(baseline_ms, 1),
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
    }


def _merged(rows: list[dict[str, Any]], out: Path) -> list[dict[str, Any]]:
    """The rows stored in ``out`` with ``rows`` in place of those of the same settings."""

    def key(row: dict[str, Any]) -> tuple[Any, ...]:
        keys = ("parcels", "readers", "editors", "edits", "think_ms")
        return (*(row.get(k) for k in keys), row.get("map_viewers", 0))

    old = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else []
    new = {key(r): r for r in rows}
    kept = [r for r in old if key(r) not in new and "think_ms" in r]
    return sorted([*kept, *rows], key=lambda r: tuple(float(v or 0) for v in key(r)))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for each size and print one row each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--readers", type=int, default=10)
    parser.add_argument("--editors", type=int, default=4)
    parser.add_argument("--map-viewers", type=int, default=0,
                        help="viewers with the map open, following the changes")  # fmt: skip
    parser.add_argument("--edits", type=int, default=20, help="edits per editor")
    parser.add_argument("--think-ms", type=float, default=1000.0,
                        help="mean pause of a user between two actions (0: none)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=RESULTS, help="the JSON file of results")
    args = parser.parse_args(argv)
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        row = run(n, readers=args.readers, editors=args.editors, edits=args.edits,
                  think_ms=args.think_ms, map_viewers=args.map_viewers)  # fmt: skip
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_merged(rows, args.out), ensure_ascii=False, indent=2) + "\n"
    args.out.write_text(text, encoding="utf-8")
    return 1 if any(r["lost_edits"] or r["failures"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
